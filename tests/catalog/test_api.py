"""The catalogue's JSON API against its own OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.catalog import places
from portal.catalog.importers.taxonomy import COMPACT_FILE
from portal.catalog.models import Leistung
from portal.extensions import db
from tests.catalog.test_import import LOCATIONS, SERVICES, run_import
from tests.catalog.test_places import build_region


@pytest.fixture
def catalog(app: Flask, db_session: scoped_session[Session]) -> Flask:
    assert run_import(app, COMPACT_FILE, SERVICES, LOCATIONS).exit_code == 0
    return app


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json is not None
    return response.json


def conforms(document: dict[str, Any], schema: str, payload: Any) -> None:
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    errors = list(Draft202012Validator(root).iter_errors(payload))
    assert errors == [], [error.message for error in errors[:5]]


def test_the_openapi_document_is_valid(document: dict[str, Any]) -> None:
    validate(document)
    assert set(document["paths"]) == {
        "/api/v1/services",
        "/api/v1/services/{id}",
        "/api/v1/themenfelder",
        "/api/v1/offices/{id}",
        "/api/v1/authorities",
    }


def test_services_are_paginated(
    catalog: Flask,
    client: FlaskClient,
    db_session: scoped_session[Session],
    document: dict[str, Any],
) -> None:
    first = client.get("/api/v1/services?per_page=50").json
    assert first is not None
    conforms(document, "ServicePage", first)
    published = len(db_session.scalars(select(Leistung.id).filter_by(published=True)).all())
    assert first["total"] == published > 100
    assert len(first["items"]) == 50
    assert first["next"] == "http://localhost/api/v1/services?page=2&per_page=50"
    names = [item["name"] for item in first["items"]]
    assert names == sorted(names, key=str)  # alphabetical without a query
    last_page = (first["total"] + 49) // 50
    last = client.get(f"/api/v1/services?per_page=50&page={last_page}").json
    assert last is not None
    assert last["next"] is None
    assert 0 < len(last["items"]) <= 50
    beyond = client.get(f"/api/v1/services?per_page=50&page={last_page + 1}").json
    assert beyond is not None
    assert beyond["items"] == []
    assert "Testleistung" not in names


def test_search_and_themenfeld_filter(
    catalog: Flask, client: FlaskClient, document: dict[str, Any]
) -> None:
    found = client.get("/api/v1/services?q=Gewerbe").json
    assert found is not None
    assert found["items"][0]["keys"] == ["99050012104000"]
    business = client.get(
        "/api/v1/services?q=Gewerbe&themenfeld=unternehmensfuehrung-entwicklung"
    ).json
    assert business is not None
    assert business["items"][0]["name"] == "Gewerbe-Anmeldung"
    education = client.get("/api/v1/services?q=Gewerbe&themenfeld=bildung").json
    assert education is not None
    assert all(item["name"] != "Gewerbe-Anmeldung" for item in education["items"])
    bad = client.get("/api/v1/services?themenfeld=gibt-es-nicht")
    assert bad.status_code == 400
    conforms(document, "Problem", bad.json)
    assert client.get("/api/v1/services?per_page=101").status_code == 400


def test_one_service_and_its_office(
    catalog: Flask,
    client: FlaskClient,
    db_session: scoped_session[Session],
    document: dict[str, Any],
) -> None:
    service_id = db_session.scalars(select(Leistung.id).filter_by(source_id="1063423")).one()
    service = client.get(f"/api/v1/services/{service_id}").json
    assert service is not None
    conforms(document, "Service", service)
    assert service["name"] == "Gewerbe-Anmeldung"
    assert "volltext" in service["texts"]
    assert service["lebenslagen"][0]["name"] == "Unternehmensstart & Gewerbezulassung"
    office_url = service["offices"][0]["api_url"]
    office = client.get(office_url.removeprefix("http://localhost")).json
    assert office is not None
    conforms(document, "Office", office)
    assert office["address"]["street"] == "Implerstraße 11"
    assert {"id": service_id, "name": "Gewerbe-Anmeldung"} in office["services"]


def test_unpublished_and_unknown_records_give_json_404(
    catalog: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    hidden = db_session.scalars(select(Leistung.id).filter_by(name="Testleistung")).one()
    for path in (f"/api/v1/services/{hidden}", "/api/v1/services/999999", "/api/v1/offices/999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.is_json


def test_caching_headers_and_conditional_requests(catalog: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/themenfelder")
    assert response.status_code == 200
    assert response.json is not None
    assert len(response.json) == 14
    assert "max-age=300" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = client.get("/api/v1/themenfelder", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize("name", ["_external", "endpoint", "_method", "_anchor", "seite"])
def test_an_unknown_parameter_is_a_json_400(catalog: Flask, client: FlaskClient, name: str) -> None:
    """Defect: ``?_external=1`` (and ``endpoint=``, ``_method=``) gave a 500 HTML page, because
    the next link passed every query parameter to url_for."""
    response = client.get(f"/api/v1/services?per_page=1&{name}=1")
    assert response.status_code == 400
    assert response.mimetype in ("application/json", "application/problem+json")
    assert name in response.get_data(as_text=True)


def test_the_region_and_the_offices_responsible_for_a_place(
    app: Flask, client: FlaskClient, document: dict[str, Any]
) -> None:
    with app.test_request_context("/"):
        region = build_region()
        nord = places.by_slug(region.nord)
        assert nord is not None
        nord_ars, nord_code = nord.ars, nord.postal_codes[1]
        db.session.commit()
    listing = client.get("/api/v1/authorities").json
    assert listing is not None
    for item in listing:
        conforms(document, "Authority", item)
    kinds = {item["slug"]: item["kind"] for item in listing}
    assert kinds[region.nord] == "gemeinde"
    assert "kreis" in kinds.values()

    base = f"/api/v1/services/{region.licence}"
    plain = client.get(base).json
    assert plain is not None
    conforms(document, "Service", plain)
    assert "responsible_here" not in plain
    for place in (region.nord, nord_code, nord_ars, "Nordhausen-Süd"):
        answer = client.get(f"{base}?place={place}").json
        assert answer is not None
        conforms(document, "Service", answer)
        assert answer["place"]["slug"] == region.nord
        assert [o["name"] for o in answer["responsible_here"]] == [region.names["nord"]]
    sued = client.get(f"{base}?place={region.sued}").json
    assert sued is not None
    assert [o["name"] for o in sued["responsible_here"]] == [region.names["kreis"]]
    for bad, reason in (
        (region.shared_code, "mehreren Orten"),
        ("Atlantis", "nicht in der Region"),
    ):
        refused = client.get(f"{base}?place={bad}")
        assert refused.status_code == 400
        assert reason in refused.json["detail"]  # type: ignore[index]
        assert refused.content_type == "application/problem+json"
    office_id = sued["responsible_here"][0]["id"]
    office = client.get(f"/api/v1/offices/{office_id}").json
    conforms(document, "Office", office)
    assert office["authority_id"] == region.kreis  # type: ignore[index]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/services/null,null", "/api/v1/offices/abc", "/api/v1/gibt-es-nicht",
     "/api/v1/services/99999999"],
)  # fmt: skip
def test_a_malformed_or_unknown_address_answers_problem_details(
    client: FlaskClient, path: str
) -> None:
    """Issue 31, 17: the HTML 404 page was served for ids that are no number."""
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.content_type == "application/problem+json"
    body = answer.get_json()
    assert body["status"] == 404
    assert body["title"]
    assert "<html" not in answer.get_data(as_text=True)


def test_the_documents_limits_are_the_codes_limits(client: FlaskClient) -> None:
    """Issue 31, 23: ``q`` was documented as at most 200 characters but silently cut, and the
    page's maximum was enforced but not documented. Every limit the document states is tried."""
    document = client.get("/api/openapi.json").get_json()
    parameters = {p["name"]: p["schema"] for p in
                  document["paths"]["/api/v1/services"]["get"]["parameters"]}  # fmt: skip
    assert parameters["page"]["maximum"] == 100_000
    for name, schema in parameters.items():
        if "maxLength" in schema:
            assert client.get("/api/v1/services", query_string={
                name: "x" * schema["maxLength"]}).status_code in (200, 400)  # fmt: skip
            too_long = client.get("/api/v1/services",
                                  query_string={name: "x" * (schema["maxLength"] + 1)})  # fmt: skip
            assert too_long.status_code == 400, name
        if "maximum" in schema:
            beyond = client.get("/api/v1/services", query_string={name: schema["maximum"] + 1})
            assert beyond.status_code == 400, name
            within = client.get("/api/v1/services", query_string={name: schema["maximum"]})
            assert within.status_code == 200, name
