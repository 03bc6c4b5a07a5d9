"""Themes: templates and static files looked up in the chosen theme, then in the default theme.

A theme is a folder under ``themes/`` with ``theme.toml``, ``templates/`` and ``static/``. It only
holds what it changes. A template may extend the one it overrides as ``@default/<name>``.
``theme.toml`` names the municipality, the logo and asset mounts: folders (usually installed by npm)
served under ``/static/<mount>/``. Its ``[catalog]`` tables give the OZG taxonomy the words the
municipality's citizens use (``themenfelder`` and ``lebenslagen``: OZG key → label) and list
services under further Lebenslagen (``auch_in``: OZG-ID → Lebenslage keys); a theme's entries
replace the default theme's one by one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader
from werkzeug.security import safe_join

from portal.config import ConfigError

DEFAULT_THEME = "default"


@dataclass(frozen=True)
class Theme:
    name: str
    path: Path
    municipality: str
    logo: str
    logo_alt: str
    assets: dict[str, Path] = field(default_factory=dict)
    catalog: dict[str, dict[str, Any]] = field(default_factory=dict)
    dgs: dict[str, str] = field(default_factory=dict)  # topic -> video file in static/

    @property
    def templates(self) -> Path:
        return self.path / "templates"

    @property
    def static(self) -> Path:
        return self.path / "static"


def load_theme(themes_dir: Path, name: str) -> Theme:
    """Read ``themes_dir/name/theme.toml``; raise ConfigError if the theme does not exist."""
    path = themes_dir / name
    manifest = path / "theme.toml"
    if not name.replace("-", "").replace("_", "").isalnum() or not manifest.is_file():
        raise ConfigError(f"PORTAL_THEME: Theme {name!r} nicht gefunden unter {themes_dir}.")
    data: dict[str, Any] = tomllib.loads(manifest.read_text(encoding="utf-8"))
    return Theme(
        name=name,
        path=path,
        municipality=str(data.get("municipality", "")),
        logo=str(data.get("logo", "")),
        logo_alt=str(data.get("logo_alt", "")),
        assets={mount: path / rel for mount, rel in data.get("assets", {}).items()},
        catalog=_catalog_tables(data.get("catalog", {}), manifest),
        dgs=_dgs_videos(data.get("dgs", {}), manifest, path / "static"),
    )


# The topics BITV 2.0 § 4 asks a start page to explain in Deutscher Gebärdensprache.
DGS_TOPICS = ("inhalt", "navigation", "barrierefreiheit")
VIDEO_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}


def _dgs_videos(raw: Any, manifest: Path, static: Path) -> dict[str, str]:
    """``[dgs]``: the municipality's own videos in DGS by topic, files in the theme's static
    folder (MP4 or WebM). A topic we do not know or a file that is missing stops the start."""
    if not isinstance(raw, dict) or set(raw) - set(DGS_TOPICS):
        raise ConfigError(f"{manifest}: [dgs] kennt nur {', '.join(DGS_TOPICS)}.")
    videos: dict[str, str] = {}
    for topic, filename in raw.items():
        name = str(filename)
        if (
            Path(name).suffix not in VIDEO_TYPES
            or not safe_join(str(static), name)
            or not (static / name).is_file()
        ):
            raise ConfigError(
                f"{manifest}: [dgs] {topic} = {name!r}: keine MP4- oder WebM-Datei unter static/."
            )
        videos[topic] = name
    return videos


CATALOG_TABLES = ("themenfelder", "lebenslagen", "auch_in")


def _catalog_tables(raw: Any, manifest: Path) -> dict[str, dict[str, Any]]:
    """The ``[catalog]`` tables, checked: labels are text, ``auch_in`` lists Lebenslage keys."""
    if not isinstance(raw, dict) or set(raw) - set(CATALOG_TABLES):
        raise ConfigError(f"{manifest}: [catalog] kennt nur {', '.join(CATALOG_TABLES)}.")
    tables: dict[str, dict[str, Any]] = {}
    for name in CATALOG_TABLES:
        table = raw.get(name, {})
        wanted = list if name == "auch_in" else str
        if not isinstance(table, dict) or not all(isinstance(v, wanted) for v in table.values()):
            raise ConfigError(f"{manifest}: [catalog.{name}] hat einen ungültigen Eintrag.")
        tables[name] = {str(key): value for key, value in table.items()}
    return tables


@dataclass(frozen=True)
class ThemeChain:
    """The chosen theme followed by the default theme; values come from the first that has them."""

    themes: tuple[Theme, ...]

    @property
    def active(self) -> Theme:
        return self.themes[0]

    def setting(self, attribute: str) -> str:
        for theme in self.themes:
            value = getattr(theme, attribute)
            if value:
                return str(value)
        return ""

    def catalog(self, table: str) -> dict[str, Any]:
        """One ``[catalog]`` table, the chosen theme's entries over the default theme's."""
        merged: dict[str, Any] = {}
        for theme in reversed(self.themes):
            merged.update(theme.catalog.get(table, {}))
        return merged

    def dgs_videos(self) -> dict[str, str]:
        """The DGS videos by topic, the chosen theme's over the default theme's."""
        merged: dict[str, str] = {}
        for theme in reversed(self.themes):
            merged.update(theme.dgs)
        return merged

    def find_static(self, filename: str) -> tuple[Path, str] | None:
        """Return (folder, relative name) of the first theme file or asset matching ``filename``."""
        for theme in self.themes:
            if safe_join(str(theme.static), filename) and (theme.static / filename).is_file():
                return theme.static, filename
        mount, _, rest = filename.partition("/")
        for theme in self.themes:
            folder = theme.assets.get(mount)
            if folder and rest and safe_join(str(folder), rest) and (folder / rest).is_file():
                return folder, rest
        return None

    def jinja_loader(self) -> BaseLoader:
        default = FileSystemLoader(str(self.themes[-1].templates))
        return ChoiceLoader(
            [
                PrefixLoader({"@default": default}, delimiter="/"),
                *(FileSystemLoader(str(theme.templates)) for theme in self.themes),
            ]
        )


def init_themes(app: Flask) -> None:
    """Install the theme's template loader; ``core.assets`` serves its static files."""
    settings = app.config["PORTAL"]
    themes_dir = Path(settings.themes_dir)
    chain = [load_theme(themes_dir, settings.theme)]
    if settings.theme != DEFAULT_THEME:
        chain.append(load_theme(themes_dir, DEFAULT_THEME))
    themes = ThemeChain(tuple(chain))
    app.extensions["portal.themes"] = themes
    app.jinja_loader = themes.jinja_loader()
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def theme_context() -> dict[str, Any]:
        return {
            "municipality": themes.setting("municipality"),
            "theme_logo": themes.setting("logo"),
            "theme_logo_alt": themes.setting("logo_alt"),
            "theme_name": themes.active.name,
        }
