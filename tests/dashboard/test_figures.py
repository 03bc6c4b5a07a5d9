"""The dashboard's figures against a small set computed by hand, the "< 5" rule, empty months,
and the open data (JSON against its schema, CSV, DCAT-AP.de)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pyshacl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import DCAT, DCTERMS, RDF, Graph, URIRef

from portal.applications.models import Application, CaseEvent, CaseStatus
from portal.catalog.figures import themenfeld_figures
from portal.catalog.models import (
    Lebenslage,
    LeikaKey,
    LeistungKey,
    Office,
    OzgLeistung,
    Themenfeld,
)
from portal.config import ConfigError
from portal.dashboard.dcat import contributor
from portal.dashboard.figures import (
    FEW,
    Usage,
    compute,
    last_months,
    per_month,
    rounded,
    shown,
    usage_by_office,
    usage_by_themenfeld,
)
from portal.dashboard.routes import SCHEMA
from portal.extensions import db
from portal.payments.models import PaymentState
from portal.postfach.services import post, thread_for_application
from tests.factories import (
    make_application,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_service,
)

NOW = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


def _case(office: Office, *, fee: int = 0, month_ago: int = 0) -> Application:
    application = make_application(make_form(office), make_person(), fee_cents=fee)
    application.submitted_at = NOW - dt.timedelta(days=30 * month_ago)
    return application


def _decide(application: Application, days: float, *, postfach: bool) -> None:
    assert application.submitted_at is not None
    application.case_status = CaseStatus.DECIDED
    db.session.add(
        CaseEvent(
            application_id=application.id, kind="status", status="beschieden", text="",
            visible_to_applicant=True,
            created_at=application.submitted_at + dt.timedelta(days=days),
        )
    )  # fmt: skip
    if postfach:
        post(thread_for_application(application), "Bescheid", from_office=True, kind="bescheid")


def _scene() -> tuple[Office, Office]:
    """Office A: six applications (this month: 4, two months ago: 2), five with a fee, of which
    three paid and one paid and refunded (4 online), one payment failed; five decided after 1, 2,
    3, 4 and 10 days (median 3), four of them through the Postfach. Office B: three
    applications without fee (two months ago), one decided after 8 days by post. A draft of A
    counts nowhere."""
    a, b = make_office(), make_office()
    fees = [3060, 3060, 3060, 3060, 3060, 0]
    cases = [_case(a, fee=fee, month_ago=0 if n < 4 else 2) for n, fee in enumerate(fees)]
    for application, state in zip(
        cases[:5],
        [PaymentState.PAID, PaymentState.PAID, PaymentState.PAID, PaymentState.REFUNDED,
         PaymentState.FAILED],
        strict=True,
    ):  # fmt: skip
        make_payment(application, state=state)
    for application, days in zip(cases[:5], [1, 2, 3, 4, 10], strict=True):
        _decide(application, days, postfach=days != 10)
    others = [_case(b, month_ago=2) for _ in range(3)]
    _decide(others[0], 8, postfach=False)
    make_application(make_form(a), make_person(), case_status=None)  # a draft
    db.session.flush()
    return a, b


@pytest.mark.usefixtures("app_context")
def test_usage_per_office_as_computed_by_hand() -> None:
    a, b = _scene()
    usage = usage_by_office()
    alpha, beta = usage[a.id], usage[b.id]
    assert (alpha.submitted, alpha.fee_bearing, alpha.paid_online, alpha.via_postfach) == (
        6, 5, 4, 4,
    )  # fmt: skip
    assert sorted(alpha.days_to_decision) == pytest.approx([1, 2, 3, 4, 10])
    assert alpha.published() == {
        "applications": 5,  # six, rounded to a multiple of five
        "share_paid_online": 0.8,
        "median_days_to_decision": 3.0,
        "share_decisions_via_postfach": 0.8,
    }
    # Three applications: "<5"; no fee: no share; one Bescheid: neither median nor share.
    assert beta.published() == {
        "applications": FEW,
        "share_paid_online": None,
        "median_days_to_decision": None,
        "share_decisions_via_postfach": None,
    }
    total = Usage()
    total.add(alpha)
    total.add(beta)
    assert total.published() == {
        "applications": 10,  # nine, rounded
        "share_paid_online": 0.8,
        "median_days_to_decision": 3.5,  # 1, 2, 3, 4, 8, 10
        "share_decisions_via_postfach": 0.667,  # 4 of 6
    }


@pytest.mark.usefixtures("app_context")
def test_no_small_count_can_be_undone_by_subtracting_the_other_cells() -> None:
    """The review: 276 in all, 275 elsewhere, so the Standesamt had 1. Rounded cells and a
    total summed from them leave only multiples of five to subtract."""
    assert [rounded(n) for n in (0, 1, 2, 3, 4, 5, 7, 8, 275, 276, 278)] == [
        0, 0, 0, 5, 5, 5, 5, 10, 275, 275, 280,
    ]  # fmt: skip
    assert [shown(n) for n in (0, 1, 4, 6, 276)] == [0, FEW, FEW, 5, 275]
    a, b = _scene()
    data = compute(dt.datetime(2026, 7, 1, tzinfo=dt.UTC))  # June is complete
    cells = {row.id: row.usage.published()["applications"] for row in data.offices}
    assert cells[a.id] == 5
    assert cells[b.id] == FEW
    published = [row.usage.published()["applications"] for row in data.offices]
    assert all(value == FEW or value % 5 == 0 for value in published)
    assert data.total.published()["applications"] == sum(
        rounded(row.usage.submitted) for row in data.offices
    )


@pytest.mark.usefixtures("app_context")
def test_only_complete_months_are_published() -> None:
    """An application this month changes nothing until the month is over: polling the figures
    does not show when one more arrived."""
    a, _b = _scene()  # four of A's are from this month (June)
    before = compute(NOW)
    assert [month for month, _ in before.months][-1] == "2026-05"
    june = {row.id: row.usage.submitted for row in before.offices}
    assert june[a.id] == 2  # the two of April only
    _case(a)
    db.session.flush()
    again = compute(NOW)
    assert {row.id: row.usage.submitted for row in again.offices}[a.id] == 2
    assert again.months == before.months
    july = compute(dt.datetime(2026, 7, 2, tzinfo=dt.UTC))
    assert {row.id: row.usage.submitted for row in july.offices}[a.id] == 7
    assert july.months[-1] == ("2026-06", 5)


@pytest.mark.usefixtures("app_context")
def test_months_count_submissions_and_list_empty_months() -> None:
    a, b = _scene()
    months = per_month(NOW, offices=[a.id, b.id])
    assert [month for month, _ in months] == last_months(NOW)
    assert months[0][0] == "2025-07"
    assert months[-1] == ("2026-06", 4)
    assert dict(months)["2026-04"] == 5  # two of A, three of B (60 days before 15 June)
    assert sum(count for _, count in months) == 9
    assert [count for _, count in months].count(0) == 10  # the empty months are there


def test_last_months_cross_the_year() -> None:
    assert last_months(dt.datetime(2026, 2, 1, tzinfo=dt.UTC), 3) == [
        "2025-12",
        "2026-01",
        "2026-02",
    ]


@pytest.mark.usefixtures("app_context")
def test_themenfeld_services_online_and_reifegrad() -> None:
    feld = Themenfeld(key="T-DASH", name="Testthema", slug="testthema-dash", position=99)
    lage = Lebenslage(key="L-DASH", name="Testlage", slug="testlage-dash", themenfeld=feld)
    ozg = OzgLeistung(ozg_id="O-DASH", name="Test-OZG", lebenslage=lage)
    db.session.add_all([feld, lage, ozg])
    db.session.flush()
    levels = [None, 1, 3, 3]
    keys = [f"9999000000000{n}" for n in range(4)]
    for number, (level, key) in enumerate(zip(levels, keys, strict=True)):
        db.session.add(LeikaKey(key=key, name="x", ozg_leistung_id=ozg.id))
        service = make_service(
            reifegrad=level, online_url="https://online.example/" if number == 2 else None
        )
        db.session.add(LeistungKey(leistung_id=service.id, key=key))
    db.session.flush()
    figures = themenfeld_figures({keys[3]})[feld.id]  # the portal has a form for the fourth
    assert figures.services == 4
    assert figures.online == 2  # one with an online service, one with the portal's form
    assert figures.reifegrad == {None: 1, 1: 1, 3: 2}
    # Applications count for the Themenfeld of their form's Leistungsschlüssel.
    form = make_form(make_office(), service=keys[3])
    paid = [make_application(form, make_person(), fee_cents=500) for _ in range(6)]
    make_payment(paid[0])
    other = make_form(make_office())  # no Leistungsschlüssel: in no Themenfeld
    make_application(other, make_person())
    usage = usage_by_themenfeld()[feld.id]
    assert (usage.submitted, usage.fee_bearing, usage.paid_online) == (6, 6, 1)
    assert usage.published()["share_paid_online"] == pytest.approx(0.167)


@pytest.fixture
def open_data(make_app: Callable[..., Flask], app_context: None) -> FlaskClient:
    _scene()
    db.session.commit()
    return make_app(dashboard_cache_seconds=0).test_client()


def test_the_json_validates_against_its_published_schema(open_data: FlaskClient) -> None:
    response = open_data.get("/digitalisierung/zahlen.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    figures = response.get_json()
    schema = json.loads(open_data.get("/digitalisierung/zahlen.schema.json").data)
    assert schema == json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.validate(figures, schema, format_checker=jsonschema.FormatChecker())
    assert figures["licence"] == "dl-de/by-2-0"
    assert len(figures["months"]) == 12
    assert any(office["applications"] == FEW for office in figures["offices"])
    broken = {**figures, "total": {**figures["total"], "applications": 3}}
    with pytest.raises(jsonschema.ValidationError):  # the schema is strict enough to fail
        jsonschema.validate({**broken, "licence": "cc-by"}, schema)


def test_the_csv_holds_the_same_figures(open_data: FlaskClient) -> None:
    response = open_data.get("/digitalisierung/zahlen.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    figures = open_data.get("/digitalisierung/zahlen.json").get_json()
    assert set(rows[0]) == {"bereich", "schluessel", "name", "kennzahl", "wert"}
    total = {row["kennzahl"]: row["wert"] for row in rows if row["bereich"] == "gesamt"}
    assert total["applications"] == str(figures["total"]["applications"])
    months = [row for row in rows if row["bereich"] == "monat"]
    assert [row["schluessel"] for row in months] == [m["month"] for m in figures["months"]]
    small = [row for row in rows if row["bereich"] == "amt" and row["wert"] == FEW]
    assert small, "an office with 1–4 applications shows <5"


def test_the_dcat_description_names_both_data_sets_and_the_licence(
    open_data: FlaskClient,
) -> None:
    response = open_data.get("/digitalisierung/katalog.rdf")
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="xml")
    catalogues = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1
    data_sets = list(graph.objects(catalogues[0], DCAT.dataset))
    assert len(data_sets) == 2
    licences = set(graph.objects(None, DCTERMS.license))
    assert licences == {URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")}
    urls = {str(url) for url in graph.objects(None, DCAT.downloadURL)}
    assert any(url.endswith("/digitalisierung/zahlen.csv") for url in urls)
    assert any(url.endswith("/api/v1/services") for url in urls)
    for data_set in data_sets:
        assert graph.value(data_set, DCTERMS.title) is not None
        assert graph.value(data_set, DCTERMS.publisher) is not None


def test_the_page_shows_charts_with_names_and_tables(open_data: FlaskClient) -> None:
    html = open_data.get("/digitalisierung").get_data(as_text=True)
    assert html.count('<svg class="chart" role="img" aria-labelledby=') == 3
    assert html.count("<title id=") == 3
    assert html.count("<desc id=") == 3
    assert html.count("<table") == 4
    assert "weniger als 5" in html
    assert 'href="/digitalisierung"' in open_data.get("/impressum").get_data(as_text=True)


def test_each_themes_bar_is_measured_against_its_own_total(app: Flask) -> None:
    """Issue 31, 14: one online service of eight drew a full-width bar (the largest count set
    the scale). Shares are drawn against 1: 1 of 8 is an eighth of a full bar."""
    with app.test_request_context("/"):
        chart = app.jinja_env.get_template("dashboard/_chart.html").module.bar_chart  # type: ignore[attr-defined]
        svg = str(chart("c", "T", "D", [("Bauen", 1 / 8, "1 von 8"), ("Familie", 0.5, "2 von 4")],
                        top=1))  # fmt: skip
    widths = re.findall(r'<rect class="chart__bar"[^>]*width="([0-9.]+)%"', svg)
    assert widths == ["8.8", "35.0"]  # 70 % is a whole
    assert "1 von 8" in svg


def test_the_page_says_that_only_complete_months_are_counted(open_data: FlaskClient) -> None:
    html = open_data.get("/digitalisierung").get_data(as_text=True)
    assert "data-complete-months" in html
    assert "Der laufende Monat erscheint, sobald er vorbei ist." in html
    assert "Jeder Balken zeigt den Anteil der Leistungen eines Themas" in html


SHAPES = Path(__file__).with_name("dcat_ap_de_shapes.ttl")


def test_the_dcat_description_meets_govdatas_conventions(open_data: FlaskClient) -> None:
    """Issue 31, 21: GovData refuses a harvest without dcatde:contributorID; the description is
    validated against SHACL shapes for the conventions it checks (pyshacl)."""
    graph = Graph().parse(data=open_data.get("/digitalisierung/katalog.rdf").data, format="xml")
    conforms, _report, text = pyshacl.validate(graph, shacl_graph=Graph().parse(SHAPES))
    assert conforms, text
    contributors = set(graph.objects(None, URIRef("http://dcat-ap.de/def/dcatde/contributorID")))
    assert len(contributors) == 1
    stripped = Graph()
    for triple in graph:
        if str(triple[1]) != "http://dcat-ap.de/def/dcatde/contributorID":
            stripped.add(triple)
    assert not pyshacl.validate(stripped, shacl_graph=Graph().parse(SHAPES))[0]  # shapes bite


@pytest.mark.parametrize(
    ("setting", "name", "expected"),
    [("", "Kreis Musterland", "kreisMusterland"), ("", "Bad Münstereifel", "badMuenstereifel"),
     ("stadtRostock", "x", "stadtRostock"),
     ("http://dcat-ap.de/def/contributors/landBrandenburg", "x", "landBrandenburg")],
)  # fmt: skip
def test_the_contributor_id_is_the_operators_or_built_from_the_name(
    setting: str, name: str, expected: str
) -> None:
    assert str(contributor(setting, name)) == f"http://dcat-ap.de/def/contributors/{expected}"


def test_a_wrong_contributor_id_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="PORTAL_DCAT_CONTRIBUTOR_ID"):
        make_app(dcat_contributor_id="https://example.org/nicht-aus-der-liste")
