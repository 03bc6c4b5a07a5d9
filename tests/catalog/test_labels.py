"""The taxonomy in citizens' words: labels, further placements, empty entries last."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.models import Leistung
from portal.config import ConfigError
from tests.catalog.test_demo import load_demo
from tests.support.html import visible_text


def test_ozg_jargon_gets_the_themes_labels(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    load_demo(app)
    start = client.get("/").get_data(as_text=True)
    assert ">Ausweise, Urkunden &amp; Register</a>" in start
    assert "Querschnitt" not in visible_text(start)
    page = client.get("/themen/querschnitt").get_data(as_text=True)
    assert "Ausweise, Urkunden &amp; Bescheinigungen" in page
    assert "Querschnitt" not in visible_text(page)


def test_the_personalausweis_is_found_next_to_the_reisepass(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    load_demo(app)
    abroad = client.get("/themen/mobilitaet-reisen/auslandsaufenthalt-10").get_data(as_text=True)
    assert "Personalausweis beantragen" in abroad
    assert "Reisepass beantragen" in abroad
    ids = client.get("/themen/querschnitt/querschnitt-buerger-37").get_data(as_text=True)
    assert "Reisepass beantragen" in ids
    counts = client.get("/themen/mobilitaet-reisen").get_data(as_text=True)
    tile = counts.split("auslandsaufenthalt-10")[1].split("</li>")[0]
    assert "3 Leistungen" in tile  # Kinderreisepass, Reisepass and the Personalausweis


def test_empty_lebenslagen_and_themenfelder_come_last_with_the_115(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    load_demo(app)
    db_session.execute(update(Leistung).values(published=False))
    db_session.commit()
    start = client.get("/").get_data(as_text=True)
    assert 'class="kern-card kern-card--hug tile"' not in start
    assert "data-empty-themenfelder" in start
    assert 'href="tel:115"' in start
    page = client.get("/themen/mobilitaet-reisen").get_data(as_text=True)
    empty = page.split("data-empty-lebenslagen")[1]
    assert "<li>Auslandsaufenthalt</li>" in empty
    assert "tile-list" not in page


def test_a_broken_catalog_table_in_a_theme_stops_the_start(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    theme = tmp_path / "kaputt"
    (theme / "templates").mkdir(parents=True)
    (theme / "theme.toml").write_text('[catalog.lebenslagen]\n"37" = 5\n', encoding="utf-8")
    (tmp_path / "default").symlink_to(Path(__file__).parents[2] / "themes" / "default")
    with pytest.raises(ConfigError, match=r"\[catalog.lebenslagen\]"):
        make_app(theme="kaputt", themes_dir=str(tmp_path))
