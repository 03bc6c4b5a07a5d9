"""``flask authorities`` and ``catalog import --authority``: setting up a region by hand."""

from __future__ import annotations

import secrets

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.models import Authority, AuthorityKind, Office
from tests.catalog.test_import import LOCATIONS


def _run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _fails(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code != 0
    return result.output


def test_a_region_is_set_up_and_imported_per_authority(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    key = secrets.token_hex(3)
    kreis, gemeinde = f"kreis-{key}", f"gemeinde-{key}"
    ars = f"{secrets.randbelow(90) + 10}{secrets.randbelow(1000):03d}"
    _run(app, "authorities", "save", kreis, "--name", "Kreis X", "--kind", "kreis", "--ars", ars)
    _run(app, "authorities", "save", gemeinde, "--name", "Gemeinde X", "--ars",
         f"{ars}0001001", "--parent", kreis, "--plz", "54321, 54322")  # fmt: skip
    row = db_session.scalar(select(Authority).filter_by(slug=gemeinde))
    assert row is not None
    assert row.postal_codes == ["54321", "54322"]
    assert row.kind == AuthorityKind.GEMEINDE
    assert row.parent_id is not None
    gemeinde_id = row.id
    listing = _run(app, "authorities", "list")
    assert f"{gemeinde}\tgemeinde\t{ars}0001001\tGemeinde X\tin {kreis}\tPLZ 54321,54322" in (
        listing
    )
    _run(app, "authorities", "save", kreis, "--name", "Kreis X", "--kind", "kreis", "--ars", ars,
         "--wappen", "img/logo.svg")  # fmt: skip
    assert "--wappen" in _fails(app, "authorities", "save", kreis, "--name", "Kreis X",
                                "--wappen", "img/gibt-es-nicht.svg")  # fmt: skip
    assert "--ars" in _fails(app, "authorities", "save", "x", "--name", "X", "--ars", "123")
    assert "--plz" in _fails(app, "authorities", "save", "x", "--name", "X", "--plz", "1234")
    assert "Keine Gebietskörperschaft" in _fails(app, "authorities", "save", "x", "--name", "X",
                                                  "--parent", "gibt-es-nicht")  # fmt: skip

    _run(app, "catalog", "import", str(LOCATIONS), "--authority", kreis)
    owner = db_session.scalar(select(Authority.id).filter_by(slug=kreis))
    owners = set(db_session.scalars(select(Office.authority_id).where(
        Office.source.like("dldb%"))))  # fmt: skip
    assert owners == {owner}
    first = db_session.scalars(select(Office.id).where(Office.source.like("dldb%"))).first()
    _run(app, "authorities", "assign", gemeinde, str(first))
    assert db_session.scalar(select(Office.authority_id).filter_by(id=first)) == gemeinde_id
    assert "Keine Gebietskörperschaft" in _fails(app, "catalog", "import", str(LOCATIONS),
                                                  "--authority", "nirgendwo")  # fmt: skip
