"""/digitalisierung: the public OZG dashboard, its figures as open data, and the DCAT-AP.de
description of the portal's data sets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cachetools import TTLCache
from flask import Blueprint, Response, current_app, render_template
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _

from portal.dashboard.dcat import catalogue_graph, contributor
from portal.dashboard.figures import FEW, SMALL, Dashboard, Shown, compute, rounded, shown

bp = Blueprint("dashboard", __name__, template_folder="templates")
SCHEMA = Path(__file__).resolve().parent / "schema" / "zahlen.schema.json"
LICENCE = "dl-de/by-2-0"
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"
OPEN_DATA_HEADERS = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


def dashboard() -> Dashboard:
    """The figures, computed at most once per ``PORTAL_DASHBOARD_CACHE_SECONDS`` per process."""
    cache: TTLCache[str, Dashboard] | None = current_app.extensions["dashboard_cache"]
    if cache is None:
        return compute()
    found = cache.get("figures")
    if found is None:
        found = cache["figures"] = compute()
    return found


def published(data: Dashboard) -> dict[str, Any]:
    """The figures as published (JSON and CSV): small counts hidden, see figures.py."""
    return {
        "title": "Digitalisierung in Zahlen",
        "publisher": municipality(),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "computed_at": data.computed_at.isoformat(),
        "total": data.total.published(),
        "months": [{"month": month, "applications": shown(count)} for month, count in data.months],
        "themenfelder": [
            {
                "key": theme.key,
                "name": theme.label,
                "services": theme.figures.services,
                "services_online": theme.figures.online,
                "reifegrad": {
                    ("nicht_angegeben" if level is None else str(level)): count
                    for level, count in sorted(
                        theme.figures.reifegrad.items(),
                        key=lambda item: (item[0] is None, item[0] or 0),
                    )
                },
                **theme.usage.published(),
            }
            for theme in data.themes
        ],
        "offices": [
            {
                "id": office.id,
                "name": office.name,
                "services": office.services,
                "online_forms": office.forms,
                **office.usage.published(),
            }
            for office in data.offices
        ],
    }


def municipality() -> str:
    return str(current_app.extensions["portal.themes"].setting("municipality"))


def count_text(value: Shown) -> str:
    return str(_("weniger als 5") if value == FEW else format_decimal(value))


def percent_text(value: float | None) -> str:
    return str(_("zu wenige Fälle") if value is None else format_percent(value, "#,##0.#%"))


def days_text(value: float | None) -> str:
    if value is None:
        return str(_("zu wenige Fälle"))
    return str(_("%(days)s Tage", days=format_decimal(value, "#,##0.#")))


@bp.get("/digitalisierung")
def page() -> str:
    data = dashboard()
    levels: dict[int | None, int] = {}
    for theme in data.themes:
        for level, count in theme.figures.reifegrad.items():
            levels[level] = levels.get(level, 0) + count
    return render_template(
        "dashboard/dashboard.html",
        data=data,
        total=data.total.published(),
        months=[
            (
                _month_label(month),
                rounded(count) if count >= SMALL else None,
                count_text(shown(count)),
            )
            for month, count in data.months
        ],
        theme_rows=[
            (
                theme.label,
                theme.figures.online / theme.figures.services if theme.figures.services else None,
                _(
                    "%(online)s von %(all)s",
                    online=format_decimal(theme.figures.online),
                    all=format_decimal(theme.figures.services),
                ),
            )
            for theme in data.themes
        ],
        levels=[
            (
                _("nicht angegeben") if level is None else _("Reifegrad %(level)d", level=level),
                levels[level],
                format_decimal(levels[level]),
            )
            for level in data.reifegrad_levels
        ],
        count_text=count_text,
        percent_text=percent_text,
        days_text=days_text,
    )


def _month_label(month: str) -> str:
    return str(format_date(dt.date(int(month[:4]), int(month[5:]), 1), "MMMM yyyy"))


@bp.get("/digitalisierung/zahlen.json")
def figures_json() -> Response:
    body = json.dumps(published(dashboard()), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers=OPEN_DATA_HEADERS)


def csv_rows(figures: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per figure: section, key, name, figure, value (a tidy table, see README)."""
    yield ["bereich", "schluessel", "name", "kennzahl", "wert"]
    for figure, value in figures["total"].items():
        yield ["gesamt", "", "", figure, _csv_value(value)]
    for month in figures["months"]:
        yield ["monat", month["month"], "", "applications", _csv_value(month["applications"])]
    for feld in figures["themenfelder"]:
        for figure, value in feld.items():
            if figure == "reifegrad":
                for level, count in value.items():
                    yield ["themenfeld", feld["key"], feld["name"], f"reifegrad_{level}", count]
            elif figure not in ("key", "name"):
                yield ["themenfeld", feld["key"], feld["name"], figure, _csv_value(value)]
    for office in figures["offices"]:
        for figure, value in office.items():
            if figure not in ("id", "name"):
                yield ["amt", office["id"], office["name"], figure, _csv_value(value)]


def _csv_value(value: Any) -> Any:
    return "" if value is None else value


@bp.get("/digitalisierung/zahlen.csv")
def figures_csv() -> Response:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(published(dashboard())))
    return Response(
        "\ufeff" + buffer.getvalue(),  # a BOM, so that spreadsheet programs read UTF-8
        mimetype="text/csv",
        headers={**OPEN_DATA_HEADERS, "Content-Disposition": 'inline; filename="zahlen.csv"'},
    )


@bp.get("/digitalisierung/zahlen.schema.json")
def schema() -> Response:
    return Response(SCHEMA.read_text("utf-8"), mimetype="application/schema+json",
                    headers=OPEN_DATA_HEADERS)  # fmt: skip


@bp.get("/digitalisierung/katalog.rdf")
def dcat() -> Response:
    settings = current_app.config["PORTAL"]
    graph = catalogue_graph(municipality(), dashboard().computed_at,
                            contributor(settings.dcat_contributor_id, municipality()))  # fmt: skip
    return Response(
        graph.serialize(format="pretty-xml"),
        mimetype="application/rdf+xml",
        headers=OPEN_DATA_HEADERS,
    )
