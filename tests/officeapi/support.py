"""A small world for office API tests: two offices with a case each, and clients of both."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from portal.extensions import db
from portal.identity.models import Person
from portal.officeapi.openapi import openapi_document
from tests.factories import (
    PDF,
    make_api_client,
    make_application,
    make_form,
    make_office,
    make_person,
)

BASE = "/api/office/v1"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str


@dataclass
class World:
    office_a: int
    office_b: int
    case_a: str
    case_b: str
    person_a: int
    full_a: Credentials  # every scope, office A
    reader_a: Credentials  # cases:read only, office A
    writer_a: Credentials  # messages:write only, office A
    full_b: Credentials  # every scope, office B
    tokens: dict[Credentials, str] = field(default_factory=dict)


def build_world(app: Flask, **case_values: Any) -> World:
    """Made inside its own application context, which is closed again: no ``g`` is shared with
    the requests that follow."""
    with app.test_request_context("/"):
        office_a, office_b = make_office(), make_office()
        applicant = make_person()
        case_a = make_application(make_form(office_a), applicant, with_file=True, **case_values)
        case_b = make_application(make_form(office_b), make_person())

        def credentials(office: Any, *scopes: str) -> Credentials:
            made = make_api_client(office, scopes=scopes) if scopes else make_api_client(office)
            return Credentials(made.client.client_id, made.secret)

        world = World(
            office_a=office_a.id,
            office_b=office_b.id,
            case_a=case_a.public_id,
            case_b=case_b.public_id,
            person_a=applicant.id,
            full_a=credentials(office_a),
            reader_a=credentials(office_a, "cases:read"),
            writer_a=credentials(office_a, "messages:write"),
            full_b=credentials(office_b),
        )
        db.session.commit()
    return world


def person(person_id: int) -> Person:
    found: Person = db.session.get(Person, person_id)
    return found


def fetch_token(client: FlaskClient, who: Credentials, scope: str = "") -> TestResponse:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return client.post(f"{BASE}/token", data=data, auth=(who.client_id, who.secret))


def token(client: FlaskClient, world: World, who: Credentials) -> str:
    if who not in world.tokens:
        answer = fetch_token(client, who)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        world.tokens[who] = answer.get_json()["access_token"]
    return world.tokens[who]


def call(
    client: FlaskClient,
    method: str,
    path: str,
    bearer: str | None,
    body: Any = None,
    *,
    key: str | None = "",
) -> TestResponse:
    headers = {}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    if method == "POST" and key is not None:
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return client.open(f"{BASE}{path}", method=method, json=body, headers=headers)


def pdf_b64() -> str:
    return base64.b64encode(PDF).decode()


def conforms(body: Any, schema: str) -> Any:
    """``body`` checked against a schema of the served OpenAPI document; returns it."""
    document = openapi_document()
    Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    ).validate(body)
    return body
