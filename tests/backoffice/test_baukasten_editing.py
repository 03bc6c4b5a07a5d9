"""The Baukasten beyond the import: steps and fields added, moved and removed, conditions and
their rules, a Testantrag that goes the whole way to the test target and nowhere else, the
four-eyes rule, withdrawal, versions in words, and Nachnutzung (export, import, copy)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.applications import stats
from portal.applications.models import Application, FormDraft, FormPolicy, FormVersion
from portal.backoffice import formulare
from portal.catalog.models import LeistungKey
from portal.config import ConfigError
from portal.core.db import utcnow
from portal.extensions import db
from portal.handoff.models import Delivery, DeliveryState
from portal.identity.models import StaffRole
from portal.retention import services as retention
from tests.factories import make_office, make_person, make_service, make_staff
from tests.support.auth import login_as, staff_login_as
from tests.support.jobs import run_rq_jobs

pytestmark = pytest.mark.usefixtures("db_session")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BASE = "/verwaltung/formulare"


def _definition(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "schema": "serviceportal-form/1",
        "key": "hund",
        "title": "Hund anmelden",
        "steps": [
            {
                "key": "hund",
                "title": "Ihr Hund",
                "fields": [
                    {
                        "key": "anzahl",
                        "type": "integer",
                        "label": "Anzahl der Hunde",
                        "required": True,
                        "min": 1,
                        "max": 5,
                    },
                    {
                        "key": "gefaehrlich",
                        "type": "yesno",
                        "label": "Ist der Hund gefährlich?",
                        "required": True,
                    },
                ],
            },
            {
                "key": "nachweis",
                "title": "Nachweise",
                "fields": [{"key": "rasse", "type": "text", "label": "Rasse", "required": True}],
            },
        ],
        "fee": {"kind": "per_item", "field": "hund.anzahl", "unit_cents": 750},
        "payment": "afterwards",
    }
    raw.update(changes)
    return raw


def _package(definition: dict[str, Any], source: str = "Kreis Nachbarland") -> bytes:
    manifest = {
        "format": "serviceportal-form-export/1",
        "source": source,
        "key": "hund",
        "version": 3,
        "licence": "CC BY 4.0",
    }
    return json.dumps({"manifest": manifest, "definition": definition}).encode()


class Desk:
    """A Formularredaktion's browser: posts with the session's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        token = CSRF.search(client.get(f"{BASE}/uebernehmen").get_data(as_text=True))
        assert token
        self.token = token.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})})

    def upload(self, path: str, field: str, data: bytes, **values: str) -> Any:
        fields = MultiDict({"csrf_token": self.token, **values})
        fields.add(field, FileStorage(io.BytesIO(data), filename="formular.json"))
        boundary, body = encode_multipart(fields)
        kind = f"multipart/form-data; boundary={boundary}"
        return self.client.post(path, data=body, content_type=kind)

    def page(self, path: str) -> str:
        return str(self.client.get(path).get_data(as_text=True))


def _desk(app: Flask, client: FlaskClient, *roles: StaffRole) -> tuple[Desk, int, int]:
    with app.test_request_context("/"):
        mine, other = make_office(name="Steueramt"), make_office(name="Anderes Amt")
        staff_login_as(client, make_staff(*((role, mine) for role in roles)))
        db.session.commit()
        return Desk(client), mine.id, other.id


def _imported(desk: Desk, office: int, key: str = "hund", **changes: Any) -> tuple[int, str]:
    answer = desk.upload(
        f"{BASE}/uebernehmen",
        "package",
        _package(_definition(**changes)),
        office=str(office),
        key=key,
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[-3000:]
    location = answer.headers["Location"]
    return int(location.rsplit("/", 1)[1]), location


def _draft(draft_id: int) -> FormDraft:
    db.session.expire_all()
    found = db.session.get(FormDraft, draft_id)
    assert found is not None
    return found


def _fields(draft: FormDraft, step: str) -> list[str]:
    return [f["key"] for s in draft.definition["steps"] if s["key"] == step for f in s["fields"]]


def test_steps_and_fields_are_built_and_conditions_only_look_back(
    app: Flask, client: FlaskClient
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    draft_id, location = _imported(desk, mine)
    # A new step, with a new choice field whose answers are typed one per line.
    answer = desk.post(f"{location}/schritte", {"title": "Versicherung"})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/schritte/versicherung/felder")
    assert "Ein Schritt braucht mindestens ein Feld" in desk.page(location)  # not publishable
    made = desk.post(
        f"{location}/schritte/versicherung/felder", {"kind": "choice", "label": "Versicherer"}
    )
    assert made.status_code == 303
    edit = f"{location}/felder/versicherung/versicherer"
    assert made.headers["Location"].endswith(edit)
    page = desk.page(edit)
    assert "hund.gefaehrlich=ja" in page  # an earlier step's answer can be the condition
    assert "nachweis.rasse" not in page
    saved = desk.post(
        edit,
        {
            "label": "Versicherer",
            "required": "y",
            "options": "A | Allianz\nHUK-Coburg\n",
            "condition": "hund.gefaehrlich=ja",
        },
    )
    assert saved.status_code == 303
    spec = next(
        f
        for s in _draft(draft_id).definition["steps"]
        for f in s["fields"]
        if f["key"] == "versicherer"
    )
    assert spec["options"] == [
        {"value": "A", "label": "Allianz"},
        {"value": "huk_coburg", "label": "HUK-Coburg"},
    ]
    assert spec["show_if"] == {"field": "hund.gefaehrlich", "equals": "ja"}
    assert spec["required"] is True
    # A condition on a later step, or a made-up one, is refused with the field's name.
    later = desk.post(
        f"{location}/felder/hund/anzahl",
        {"label": "Anzahl der Hunde", "condition": "nachweis.rasse=Dackel"},
    )
    assert later.status_code == 422
    assert (
        "Nur zeigen, wenn: Eine Bedingung kann nur eine Antwort eines früheren Schritts"
        in later.get_data(as_text=True)
    )
    # A field used by a condition cannot be removed; one used by the fee neither.
    refused = desk.post(f"{location}/aufbau", {"aktion": "feld-entfernen:hund:gefaehrlich"})
    assert refused.status_code == 303
    page = desk.page(location)
    assert "„Ist der Hund gefährlich?“ lässt sich nicht entfernen" in page
    assert "die Bedingung des Feldes „Versicherer“" in page
    desk.post(f"{location}/aufbau", {"aktion": "feld-entfernen:hund:anzahl"})
    assert "die Gebühr verwendet es" in desk.page(location)
    assert _fields(_draft(draft_id), "hund") == ["anzahl", "gefaehrlich"]
    # Moving the step with the condition before the step it looks at: saved, not publishable.
    desk.post(f"{location}/aufbau", {"aktion": "schritt-hoch:versicherung"})
    desk.post(f"{location}/aufbau", {"aktion": "schritt-hoch:versicherung"})
    draft = _draft(draft_id)
    assert [s["key"] for s in draft.definition["steps"]] == ["versicherung", "hund", "nachweis"]
    page = desk.page(location)
    assert "Schritt 1 „Versicherung“, Feld „Versicherer“: Die Bedingung nennt" in page
    assert "data-publish" not in page
    assert desk.post(f"{location}/veroeffentlichen").status_code == 303
    assert db.session.scalar(select(FormVersion).where(FormVersion.key == "hund")) is None
    desk.post(f"{location}/aufbau", {"aktion": "schritt-runter:versicherung"})
    desk.post(f"{location}/aufbau", {"aktion": "schritt-runter:versicherung"})
    desk.post(f"{location}/aufbau", {"aktion": "feld-runter:hund:anzahl"})
    assert _fields(_draft(draft_id), "hund") == ["gefaehrlich", "anzahl"]
    assert "data-publish" in desk.page(location)
    # Unknown actions, steps and fields change nothing.
    assert desk.post(f"{location}/aufbau", {"aktion": "alles-loeschen:x"}).status_code == 400
    desk.post(f"{location}/aufbau", {"aktion": "feld-entfernen:fehlt:auch"})
    assert "Diesen Schritt gibt es im Formular nicht." in desk.page(location)
    assert client.get(f"{location}/schritte/fehlt").status_code == 404


def test_versions_are_told_in_words(app: Flask, client: FlaskClient) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    _draft_id, location = _imported(desk, mine)
    assert desk.post(f"{location}/veroeffentlichen").status_code == 303
    desk.post(f"{location}/schritte/nachweis/felder", {"kind": "text", "label": "Farbe"})
    desk.post(f"{location}/felder/nachweis/farbe", {"label": "Farbe", "required": "y"})
    desk.post(f"{location}/felder/nachweis/rasse", {"label": "Hunderasse", "required": "y"})
    page = desk.page(location)
    assert "Feld „Farbe“ neu in „Nachweise“, Pflicht" in page
    assert "Feld „Rasse“ heißt jetzt „Hunderasse“" in page
    desk.post(f"{location}/veroeffentlichen")
    history = desk.page(f"{location}/versionen")
    assert history.index("Version 2") < history.index("Version 1")
    assert "Feld „Farbe“ neu in „Nachweise“, Pflicht" in history
    assert "erste Version" in history


def test_a_testantrag_goes_the_whole_way_to_the_test_target_and_counts_nowhere(  # noqa: PLR0915
    app: Flask, client: FlaskClient
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    draft_id, location = _imported(desk, mine)
    assert desk.post(f"{location}/testen").status_code == 303
    assert _draft(draft_id).state.value == "test"
    link = re.search(r'data-test-link>.*?href="([^"]+)"', desk.page(location), re.S)
    assert link
    test_url = link.group(1).replace("&amp;", "&")
    citizen = app.test_client()
    with app.test_request_context("/"):
        login_as(citizen, make_person())
        db.session.commit()
    assert citizen.get("/antrag/hund--test").status_code == 404  # not without the link
    assert citizen.get("/antrag/hund").status_code == 404  # nothing is published
    assert citizen.get(test_url).status_code == 200
    start = citizen.get("/antrag/hund--test").get_data(as_text=True)  # the link was remembered
    token = CSRF.search(start)
    assert token
    csrf = token.group(1)
    begun = citizen.post("/antrag/hund--test/beginnen", data={"csrf_token": csrf})
    assert begun.status_code == 303
    step = begun.headers["Location"]
    answer = citizen.post(
        step, data={"csrf_token": csrf, "anzahl": "2", "gefaehrlich": "nein", "aktion": "weiter"}
    )
    answer = citizen.post(
        answer.headers["Location"], data={"csrf_token": csrf, "rasse": "Dackel", "aktion": "weiter"}
    )
    summary = answer.headers["Location"]
    assert summary.endswith("/pruefen")
    sent = citizen.post(summary.replace("/pruefen", "/absenden"), data={"csrf_token": csrf})
    assert sent.status_code == 303
    confirmation = citizen.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Testantrag" in confirmation
    application = db.session.scalar(select(Application).where(Application.form_key == "hund--test"))
    assert application is not None
    assert application.test
    assert application.fee_cents == 1500  # the fee is worked out as it would be
    application_id, reference = application.id, application.reference
    pay = citizen.post(
        sent.headers["Location"].replace("/bestaetigung", "/bezahlen"), data={"csrf_token": csrf}
    )
    assert pay.status_code == 404  # but never charged
    # Delivered to the test target, not to the office's.
    run_rq_jobs(app)  # with Redis the hand-off waits for a worker
    delivery = db.session.scalar(select(Delivery).where(Delivery.application_id == application_id))
    assert delivery is not None
    assert delivery.target == "test:folder"
    assert delivery.state == DeliveryState.DELIVERED
    folder = Path(app.config["PORTAL"].instance_path) / "handoff-test" / delivery.idempotency_key
    data = json.loads((folder / "data.json").read_text("utf-8"))
    assert data["answers"]["nachweis"]["rasse"] == "Dackel"
    assert not (
        Path(app.config["PORTAL"].instance_path) / "handoff" / delivery.idempotency_key
    ).exists()
    # The Formularredaktion sees it arrive; the office's figures do not count it.
    assert f'data-test-application="{reference}"' in desk.page(location)
    with app.test_request_context("/"):
        assert mine not in stats.case_figures(None)
        # Retention deletes it whole after PORTAL_RETENTION_TEST_DAYS.
        days = app.config["PORTAL"].retention_test_days
        assert retention.run(utcnow() + dt.timedelta(days=days - 1)).tests == 0
        report = retention.run(utcnow() + dt.timedelta(days=days + 1))
        assert report.tests == 1
        db.session.commit()
    assert db.session.get(Application, application_id) is None


def test_an_altered_test_link_opens_nothing(app: Flask, client: FlaskClient) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    _draft_id, location = _imported(desk, mine)
    desk.post(f"{location}/testen")
    citizen = app.test_client()
    for token in ("", "kaputt", "x" * 400):
        assert citizen.get(f"/antrag/hund--test?pruefschluessel={token}").status_code == 404


def test_the_four_eyes_rule_needs_a_second_person(app: Flask, client: FlaskClient) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION, StaffRole.AMTSLEITUNG)
    _draft_id, location = _imported(desk, mine)
    assert f'data-four-eyes="{mine}"' in desk.page(f"{BASE}/")
    assert desk.post(f"{BASE}/vier-augen", {"office": str(mine), "on": "ja"}).status_code == 303
    page = desk.page(location)
    assert "Vier-Augen-Prinzip" in page
    assert "data-publish" not in page
    desk.post(f"{location}/veroeffentlichen")
    assert db.session.scalar(select(FormVersion).where(FormVersion.key == "hund")) is None
    second = app.test_client()
    with app.test_request_context("/"):
        office = db.session.get(type(make_office()), mine)
        staff_login_as(second, make_staff((StaffRole.FORMULARREDAKTION, office)))
        db.session.commit()
    other_desk = Desk(second)
    assert "data-publish" in other_desk.page(location)
    assert other_desk.post(f"{location}/veroeffentlichen").status_code == 303
    assert db.session.scalar(select(FormVersion).where(FormVersion.key == "hund")) is not None
    # Only Amtsleitung or Administration may switch it: a Formularredaktion may not.
    assert (
        other_desk.post(f"{BASE}/vier-augen", {"office": str(mine), "on": "nein"}).status_code
        == 403
    )


def test_a_withdrawn_form_says_how_to_apply_and_comes_back_when_published(
    app: Flask, client: FlaskClient
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    draft_id, location = _imported(desk, mine)
    desk.post(f"{location}/veroeffentlichen")
    citizen = app.test_client()
    assert citizen.get("/antrag/hund").status_code == 200
    assert desk.post(f"{location}/zurueckziehen").status_code == 303
    gone = citizen.get("/antrag/hund")
    assert gone.status_code == 410
    text = gone.get_data(as_text=True)
    assert "bietet das Amt zurzeit nicht mehr an" in text
    assert "Steueramt" in text
    assert 'data-state="zurueckgezogen"' in desk.page(f"{BASE}/")
    assert _draft(draft_id).state.value == "zurueckgezogen"
    desk.post(f"{location}/veroeffentlichen")
    assert citizen.get("/antrag/hund").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"kein JSON", "keine Formular-Datei (JSON)"),
        (b'{"manifest": {"format": "anders"}, "definition": {}}', "Format serviceportal-form"),
        (b"[1, 2]", "keine Formular-Datei eines Serviceportals"),
        (b" " * (6 * 1024 * 1024), "zu groß"),
        (
            _package(
                _definition(
                    steps=[
                        {
                            "key": "a",
                            "title": "Angaben",
                            "fields": [
                                {"key": "x", "type": "text", "label": "Name"},
                                {"key": "x", "type": "text", "label": "Vorname"},
                            ],
                        }
                    ],
                    fee={"kind": "none"},
                    payment="none",
                )
            ),
            "Schritt 1 „Angaben“: Der Schlüssel „x“ kommt bei zwei Feldern vor.",
        ),
    ],
)
def test_a_bad_package_is_refused_in_german_and_stores_nothing(
    app: Flask, client: FlaskClient, data: bytes, message: str
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    answer = desk.upload(f"{BASE}/uebernehmen", "package", data, office=str(mine), key="neu")
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FormDraft.id)).where(FormDraft.key == "neu")) == 0


def test_export_import_and_copy_carry_the_form_to_another_office(
    app: Flask, client: FlaskClient
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    draft_id, location = _imported(desk, mine)
    page = desk.page(location)
    assert "Übernommen von Kreis Nachbarland, Version 3, Lizenz CC BY 4.0." in page
    assert "Bitte an Ihre eigene Gebührensatzung anpassen" in page
    desk.post(f"{location}/veroeffentlichen")
    exported = client.get(f"{location}/export.json")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    body = json.loads(exported.get_data(as_text=True))
    assert body["manifest"]["format"] == "serviceportal-form-export/1"
    assert body["manifest"]["version"] == 1
    assert "office" not in body["definition"]
    # Another Kommune (here: another office of ours) takes it over as its own Entwurf.
    again = desk.upload(
        f"{BASE}/uebernehmen", "package", exported.get_data(), office=str(mine), key="hund-nachbar"
    )
    assert again.status_code == 303
    copied = desk.post(f"{location}/kopieren", {"office": str(mine), "key": "hund-kopie"})
    assert copied.status_code == 303
    taken = desk.post(f"{location}/kopieren", {"office": str(mine), "key": "hund"})
    assert "gibt es schon" in taken.get_data(as_text=True)
    keys = set(db.session.scalars(select(FormDraft.key).where(FormDraft.key.like("hund%"))))
    assert keys == {"hund", "hund-nachbar", "hund-kopie"}
    assert (
        _draft(draft_id).definition["steps"]
        == next(
            d for d in db.session.scalars(select(FormDraft)) if d.key == "hund-kopie"
        ).definition["steps"]
    )


def test_the_preview_shows_every_step_and_checks_without_storing(
    app: Flask, client: FlaskClient
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    _draft_id, location = _imported(desk, mine)
    before = db.session.scalar(select(func.count(Application.id)))
    first = desk.page(f"{location}/vorschau")
    assert "Schritt 1 von 2" in first
    assert "Anzahl der Hunde" in first
    checked = desk.post(f"{location}/vorschau?schritt=1", {"anzahl": "9"})
    assert checked.status_code == 422
    assert "Anzahl der Hunde" in checked.get_data(as_text=True)
    fine = desk.post(f"{location}/vorschau?schritt=1", {"anzahl": "2", "gefaehrlich": "ja"})
    assert "data-preview-ok" in fine.get_data(as_text=True)
    assert "Rasse" in desk.page(f"{location}/vorschau?schritt=2")
    assert client.get(f"{location}/vorschau?schritt=3").status_code == 404
    assert db.session.scalar(select(func.count(Application.id))) == before


def test_the_four_eyes_rule_of_another_office_cannot_be_switched(
    app: Flask, client: FlaskClient
) -> None:
    desk, _mine, other = _desk(app, client, StaffRole.FORMULARREDAKTION, StaffRole.AMTSLEITUNG)
    assert f'data-four-eyes="{other}"' not in desk.page(f"{BASE}/")
    assert desk.post(f"{BASE}/vier-augen", {"office": str(other), "on": "ja"}).status_code == 404
    assert desk.post(f"{BASE}/vier-augen", {"office": "x", "on": "ja"}).status_code == 400
    assert db.session.scalar(select(FormPolicy).where(FormPolicy.office_id == other)) is None


def test_a_form_starts_from_a_catalogue_service_with_its_documents_and_fee(
    app: Flask, client: FlaskClient
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    with app.test_request_context("/"):
        service = make_service(
            name="Sondernutzungserlaubnis Zwetschgenstand",
            texts={
                "unterlagen": {
                    "de": "<ul><li>Lageplan des Standes</li>"
                    "<li>Nachweis der Haftpflicht &amp; Unfall</li></ul>"
                }
            },
            fees=[{"amount_cents": 4550, "currency": "EUR", "text": ""}],
        )
        service.keys.append(LeistungKey(key="99999999999999"))
        db.session.commit()
        service_id = service.id
    found = desk.page(f"{BASE}/neu/leistung?suche=Zwetschgen")
    assert "Sondernutzungserlaubnis Zwetschgenstand" in found
    assert "Keine Leistung gefunden" in desk.page(f"{BASE}/neu/leistung?suche=Quittenmus")
    unknown = desk.post(
        f"{BASE}/neu/leistung?suche=Zwetschgen",
        {"leistung": "999999", "office": str(mine), "key": "stand"},
    )
    assert unknown.status_code == 422
    assert "Bitte wählen Sie eine der gefundenen Leistungen." in unknown.get_data(as_text=True)
    chosen = {"leistung": str(service_id), "office": str(mine), "key": "stand"}
    made = desk.post(f"{BASE}/neu/leistung?suche=Zwetschgen", chosen)
    assert made.status_code == 303
    draft = db.session.scalar(select(FormDraft).where(FormDraft.key == "stand"))
    assert draft is not None
    definition = draft.definition
    assert definition["service"] == "99999999999999"
    assert definition["fee"] == {"kind": "fixed", "amount_cents": 4550}
    uploads = [f["label"] for s in definition["steps"] for f in s["fields"] if f["type"] == "file"]
    assert uploads == ["Lageplan des Standes", "Nachweis der Haftpflicht & Unfall"]
    assert "data-publish" in desk.page(made.headers["Location"])  # complete from the start


def test_a_form_offered_to_the_region_is_adopted_by_another_office_with_its_own(
    app: Flask, client: FlaskClient
) -> None:
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    draft_id, location = _imported(desk, mine)
    desk.post(f"{location}/teilen")
    assert "Nur ein veröffentlichtes Formular" in desk.page(location)
    desk.post(f"{location}/veroeffentlichen")
    desk.post(f"{location}/felder/nachweis/rasse", {"label": "Noch nicht veröffentlicht"})
    assert desk.post(f"{location}/teilen").status_code == 303
    assert _draft(draft_id).shared
    neighbour = app.test_client()
    with app.test_request_context("/"):
        gemeinde = make_office(name="Ordnungsamt Neudorf")
        staff_login_as(neighbour, make_staff((StaffRole.FORMULARREDAKTION, gemeinde)))
        db.session.commit()
        gemeinde_id = gemeinde.id
    theirs = Desk(neighbour)
    listing = theirs.page(f"{BASE}/")
    assert 'data-offer="hund"' in listing
    assert client.get(f"{BASE}/").get_data(as_text=True).count('data-offer="hund"') == 0  # own
    assert neighbour.get(location).status_code == 404  # the offer is no key to the draft
    made = theirs.post(
        f"{BASE}/angebote/{draft_id}", {"office": str(gemeinde_id), "key": "hund-neudorf"}
    )
    assert made.status_code == 303
    adopted = db.session.scalar(select(FormDraft).where(FormDraft.key == "hund-neudorf"))
    assert adopted is not None
    assert adopted.office_id == gemeinde_id
    labels = [f["label"] for s in adopted.definition["steps"] for f in s["fields"]]
    assert "Rasse" in labels  # the published version, not the change in progress
    assert "Noch nicht veröffentlicht" not in labels
    assert "Bitte an Ihre eigene Gebührensatzung anpassen" in theirs.page(made.headers["Location"])
    desk.post(f"{location}/teilen")  # no longer offered
    assert theirs.client.get(f"{BASE}/angebote/{draft_id}").status_code == 404


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ftp:server", "PORTAL_HANDOFF_TEST_TARGET"),
        ("folder", "PORTAL_HANDOFF_TEST_TARGET"),
        ("webhook:mailto:x", "keine http"),
    ],
)
def test_a_bad_test_target_stops_the_start(
    make_app: Callable[..., Flask], spec: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_app(handoff_test_target=spec, handoff_webhook_secret="s" * 32)


def test_a_fee_is_refused_while_citizens_could_not_pay_it(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In production with only the test provider, the pay button would say "unavailable": a fee
    cannot be set up there, and the Formularredaktion is told whom to ask."""
    desk, mine, _other = _desk(app, client, StaffRole.FORMULARREDAKTION)
    draft_id, location = _imported(desk, mine, fee={"kind": "none"}, payment="none")
    settings = {
        "title": "Hund anmelden",
        "office": str(mine),
        "trust_level": "basisregistrierung",
        "accounts": "buerger",
        "fee_kind": "fixed",
        "fee": "30,60",
        "payment": "afterwards",
    }
    production = dataclasses.replace(app.config["PORTAL"], env="production")
    monkeypatch.setattr(formulare, "current_app", SimpleNamespace(config={"PORTAL": production}))
    refused = desk.post(f"{location}/einstellungen", settings)
    assert refused.status_code == 422
    assert "kein Bezahldienst eingerichtet" in refused.get_data(as_text=True)
    assert _draft(draft_id).definition["fee"] == {"kind": "none"}
    monkeypatch.undo()
    assert desk.post(f"{location}/einstellungen", settings).status_code == 303
    assert _draft(draft_id).definition["fee"] == {"kind": "fixed", "amount_cents": 3060}


def test_the_office_that_works_the_cases_is_chosen_among_ones_own(
    app: Flask, client: FlaskClient
) -> None:
    with app.test_request_context("/"):
        first, second, foreign = make_office(name="Amt A"), make_office(name="Amt B"), make_office()
        staff_login_as(client, make_staff((StaffRole.FORMULARREDAKTION, first),
                                          (StaffRole.FORMULARREDAKTION, second)))  # fmt: skip
        db.session.commit()
        ids = first.id, second.id, foreign.id
    desk = Desk(client)
    draft_id, location = _imported(desk, ids[0], fee={"kind": "none"}, payment="none")
    settings = {"title": "Hund anmelden", "trust_level": "basisregistrierung",
                "accounts": "buerger", "fee_kind": "none", "payment": "none"}  # fmt: skip
    refused = desk.post(f"{location}/einstellungen", {**settings, "office": str(ids[2])})
    assert refused.status_code == 422
    assert "Bitte wählen Sie das Amt, das die Anträge bearbeitet." in refused.get_data(as_text=True)
    assert desk.post(f"{location}/einstellungen", {**settings, "office": str(ids[1])}).status_code \
        == 303  # fmt: skip
    assert _draft(draft_id).office_id == ids[1]
    desk.post(f"{location}/veroeffentlichen")
    version = db.session.scalar(select(FormVersion).where(FormVersion.key == "hund"))
    assert version is not None
    assert version.office_id == ids[1]
