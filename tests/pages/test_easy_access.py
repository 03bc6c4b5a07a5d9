"""BITV 2.0 § 4: every page's header leads to the portal explained in Leichte Sprache and in
Deutscher Gebärdensprache; the sign-language videos are the municipality's, named in its theme,
each shown with the text it signs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.config import ConfigError
from tests.support.html import visible_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SENTENCE = re.compile(r"(?<=[.?!:])\s+")


@pytest.mark.parametrize("path", ["/", "/impressum", "/leistungen", "/diese-seite-gibt-es-nicht"])
def test_every_page_links_both_from_its_header(client: FlaskClient, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    header = html[html.index('<header class="site-header">') : html.index("</header>")]
    assert 'href="/leichte-sprache">Leichte Sprache</a>' in header
    assert 'href="/gebaerdensprache">Gebärdensprache</a>' in header


def test_the_leichte_sprache_page_keeps_its_sentences_short(client: FlaskClient) -> None:
    answer = client.get("/leichte-sprache")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    body = html[html.index('class="kern-stack-lg easy-read" lang="de"') :]
    paragraphs = re.findall(r"<p>(.*?)</p>", body[: body.index("</main>")], re.DOTALL)
    sentences = [s for p in paragraphs for s in SENTENCE.split(visible_text(p)) if s.strip()]
    assert len(sentences) > 40
    longest = max(sentences, key=lambda s: len(s.split()))
    assert len(longest.split()) <= 12, longest  # one statement per sentence
    for needed in ("/barrierefreiheit", "/barrierefreiheit#rueckmeldung", "/gebaerdensprache"):
        assert f'href="{needed}"' in body
    assert "mailto:barrierefreiheit@localhost" in body


def test_in_english_the_page_says_what_it_is(client: FlaskClient) -> None:
    client.get("/sprache/en?next=/leichte-sprache")
    html = client.get("/leichte-sprache").get_data(as_text=True)
    assert "easy-to-read form of German" in html
    assert 'lang="de"' in html


def test_without_videos_the_page_gives_the_texts(client: FlaskClient) -> None:
    html = client.get("/gebaerdensprache").get_data(as_text=True)
    assert "data-no-videos" in html
    assert "<video" not in html
    text = visible_text(html)
    for topic in ("Was bietet das Serviceportal?", "So finden Sie sich zurecht"):
        assert topic in text
    # Issue 31, 13: it says plainly that there are no videos yet, and where signed
    # explanations are (the federal Bundesfachstelle Barrierefreiheit).
    assert "Hier gibt es noch keine Videos in Deutscher Gebärdensprache" in text
    assert 'href="https://www.bundesfachstelle-barrierefreiheit.de/' in html


def _theme_with(tmp_path: Path, dgs: str, video: str | None = "video/dgs-inhalt.mp4") -> Path:
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "default").symlink_to(PROJECT_ROOT / "themes" / "default")
    (themes / "gebaerden" / "static" / "video").mkdir(parents=True)
    (themes / "gebaerden" / "theme.toml").write_text(f'municipality = "Gebärdenstadt"\n{dgs}')
    if video:
        (themes / "gebaerden" / "static" / video).write_bytes(b"\x00\x00\x00\x18ftypmp42")
    return themes


def test_a_theme_adds_its_videos_with_their_texts(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    themes = _theme_with(tmp_path, '[dgs]\ninhalt = "video/dgs-inhalt.mp4"\n')
    client = make_app(theme="gebaerden", themes_dir=str(themes)).test_client()
    html = client.get("/gebaerdensprache").get_data(as_text=True)
    assert 'data-dgs-video="inhalt"' in html
    assert 'aria-describedby="dgs-inhalt-text"' in html
    assert 'type="video/mp4"' in html
    assert "Text zum Video" in html
    video = re.search(r'<source src="([^"]+)"', html)
    assert video
    assert client.get(video.group(1)).status_code == 200
    assert 'data-dgs-video="navigation"' not in html  # only what the municipality has


@pytest.mark.parametrize(
    ("dgs", "video", "message"),
    [
        ('[dgs]\nwetter = "video/dgs-inhalt.mp4"\n', "video/dgs-inhalt.mp4", "kennt nur"),
        ('[dgs]\ninhalt = "video/fehlt.mp4"\n', None, "keine MP4- oder WebM-Datei"),
        ('[dgs]\ninhalt = "video/dgs-inhalt.avi"\n', "video/dgs-inhalt.avi", "keine MP4"),
        ('[dgs]\ninhalt = "../../theme.toml"\n', None, "keine MP4"),
    ],
)
def test_a_wrong_video_setting_stops_the_start(
    tmp_path: Path, make_app: Callable[..., Flask], dgs: str, video: str | None, message: str
) -> None:
    themes = _theme_with(tmp_path, dgs, video)
    with pytest.raises(ConfigError, match=message):
        make_app(theme="gebaerden", themes_dir=str(themes))
