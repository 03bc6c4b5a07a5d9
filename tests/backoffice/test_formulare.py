"""The Baukasten: a Formularredaktion creates a form from a FIM file uploaded in the browser,
sees what was not carried over, publishes it, and a citizen can apply; bad files are refused in
German and store nothing; other offices' staff and other roles reach none of it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.applications.models import Application, AuditEntry, FormDraft, FormVersion
from portal.catalog.models import Office
from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.identity.models import StaffAccount, StaffRole
from tests.factories import make_application, make_office, make_person, make_staff
from tests.support.auth import login_as, staff_login_as

pytestmark = pytest.mark.usefixtures("db_session")
BLUE_CARD = (
    PROJECT_ROOT.parent
    / "shared"
    / "data"
    / ("fim_xdatenfelder2_S00000121_antrag_blaue_karte_eu.xml")
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""


def _staff(app: Flask, client: FlaskClient, role: StaffRole) -> tuple[int, int]:
    with app.test_request_context("/"):
        mine, other = make_office(name="Ausländerbehörde"), make_office(name="Anderes Amt")
        staff_login_as(client, make_staff((role, mine)))
        db.session.commit()
        return mine.id, other.id


def _upload(client: FlaskClient, office_id: int, data: bytes, name: str = "schema.xml",
            key: str = "") -> tuple[int, str, str]:  # fmt: skip
    token = CSRF.search(client.get("/verwaltung/formulare/neu").get_data(as_text=True))
    assert token
    # Encoded here, in memory: the test client would spool a large body to a file it leaves open.
    fields = MultiDict({"csrf_token": token.group(1), "office": str(office_id), "key": key})
    fields.add("schema", FileStorage(io.BytesIO(data), filename=name))
    boundary, body = encode_multipart(fields)
    answer = client.post("/verwaltung/formulare/neu", data=body,
                         content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip
    return answer.status_code, answer.headers.get("Location", ""), answer.get_data(as_text=True)


def _drafts() -> int:
    return int(db.session.scalar(select(func.count(FormDraft.id))) or 0)


def test_a_formularredaktion_publishes_a_form_from_the_blue_card_schema(
    app: Flask, client: FlaskClient
) -> None:
    mine, _other = _staff(app, client, StaffRole.FORMULARREDAKTION)
    assert 'href="/verwaltung/formulare/"' in client.get("/verwaltung/").get_data(as_text=True)
    status, location, _page = _upload(client, mine, BLUE_CARD.read_bytes(),
                                      BLUE_CARD.name, key="blaue-karte-test")  # fmt: skip
    assert status == 303
    page = client.get(location).get_data(as_text=True)
    assert "Bitte prüfen: nicht übernommen" in page  # the import's notes, for a person to check
    assert 'data-draft="entwurf"' in page
    assert page.count("data-step=") >= 5
    listing = client.get("/verwaltung/formulare/").get_data(as_text=True)
    assert 'data-form="blaue-karte-test"' in listing
    assert 'data-state="entwurf"' in listing
    assert client.get("/antrag/blaue-karte-test").status_code == 404  # an Entwurf is not public

    token = CSRF.search(page)
    assert token
    published = client.post(location + "/veroeffentlichen", data={"csrf_token": token.group(1)})
    assert published.status_code == 303
    assert "Version 1 ist veröffentlicht" in client.get(location).get_data(as_text=True)
    row = db.session.scalar(select(FormVersion).where(FormVersion.key == "blaue-karte-test"))
    assert row is not None
    assert row.active
    assert row.office_id == mine
    listed = client.get("/verwaltung/formulare/").get_data(as_text=True)
    assert 'data-state="veroeffentlicht"' in listed  # not "Entwurf" once published
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"formular.angelegt", "formular.veroeffentlicht"} <= actions
    with app.test_request_context("/"):
        login_as(client, make_person())
        db.session.commit()
    assert client.get("/antrag/blaue-karte-test").status_code == 200


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"kein XML", "notiz.txt", "kein lesbares XML"),
        (b"<a><b></a>", "kaputt.xml", "kein lesbares XML"),
        (BOMB, "bombe.xml", "Entitäten oder eine DTD"),
        (b"<?xml version='1.0'?><stammdatenschema/>", "fremd.xml", "kein XDatenfelder"),
        (b"<x>" + b" " * (6 * 1024 * 1024) + b"</x>", "gross.xml", "zu groß"),
    ],
)
def test_a_bad_file_is_refused_in_german_and_stores_nothing(
    app: Flask, client: FlaskClient, data: bytes, name: str, message: str
) -> None:
    mine, _other = _staff(app, client, StaffRole.FORMULARREDAKTION)
    before = _drafts()
    status, _location, page = _upload(client, mine, data, name)
    assert status == 422
    assert message in page
    assert "Bitte prüfen Sie Ihre Angaben" in page
    assert _drafts() == before


def test_a_taken_key_and_a_missing_file_are_named(app: Flask, client: FlaskClient) -> None:
    mine, _other = _staff(app, client, StaffRole.FORMULARREDAKTION)
    assert _upload(client, mine, BLUE_CARD.read_bytes(), key="doppelt")[0] == 303
    status, _location, page = _upload(client, mine, BLUE_CARD.read_bytes(), key="doppelt")
    assert status == 422
    assert "Ein Formular mit dem Kurznamen „doppelt“ gibt es schon" in page
    token = CSRF.search(client.get("/verwaltung/formulare/neu").get_data(as_text=True))
    assert token
    empty = client.post("/verwaltung/formulare/neu", data={"csrf_token": token.group(1),
                        "office": str(mine)}, content_type="multipart/form-data")  # fmt: skip
    assert empty.status_code == 422
    assert "Bitte wählen Sie die XML-Datei des Schemas aus." in empty.get_data(as_text=True)


def test_another_offices_office_cannot_be_chosen(app: Flask, client: FlaskClient) -> None:
    _mine, other = _staff(app, client, StaffRole.FORMULARREDAKTION)
    before = _drafts()
    status, _location, _page = _upload(client, other, BLUE_CARD.read_bytes())
    assert status == 422
    assert _drafts() == before


def test_a_clerk_and_a_citizen_reach_none_of_it(app: Flask, client: FlaskClient) -> None:
    _staff(app, client, StaffRole.SACHBEARBEITUNG)
    assert client.get("/verwaltung/formulare/").status_code == 403
    assert client.get("/verwaltung/formulare/neu").status_code == 403
    assert 'href="/verwaltung/formulare/"' not in client.get("/verwaltung/").get_data(as_text=True)
    citizen = client.application.test_client()
    with app.test_request_context("/"):
        login_as(citizen, make_person())
        db.session.commit()
    answer = citizen.get("/verwaltung/formulare/")
    assert answer.status_code in (302, 303, 401, 403)
    assert "Formulare" not in answer.get_data(as_text=True) or answer.status_code != 200


def test_the_staff_who_changed_a_form_is_listed(app: Flask, client: FlaskClient) -> None:
    mine, _other = _staff(app, client, StaffRole.FORMULARREDAKTION)
    _upload(client, mine, BLUE_CARD.read_bytes(), key="wer-hat")
    draft = db.session.scalar(select(FormDraft).where(FormDraft.key == "wer-hat"))
    assert draft is not None
    editor = db.session.get(StaffAccount, draft.updated_by_id)
    assert editor is not None
    name = editor.name
    listing = client.get("/verwaltung/formulare/").get_data(as_text=True)
    assert name in listing
    assert db.session.get(Office, mine) is not None
    assert Path(BLUE_CARD).exists()


def _new_draft(client: FlaskClient, office_id: int, key: str) -> str:
    status, location, _page = _upload(client, office_id, BLUE_CARD.read_bytes(), key=key)
    assert status == 303
    return location


def test_the_whole_forms_settings_are_changed_without_code(app: Flask, client: FlaskClient) -> None:
    mine, _other = _staff(app, client, StaffRole.FORMULARREDAKTION)
    location = _new_draft(client, mine, "mit-gebuehr")
    path = location + "/einstellungen"
    token = CSRF.search(client.get(path).get_data(as_text=True))
    assert token
    base = {"csrf_token": token.group(1), "title": "Blaue Karte EU beantragen", "office": str(mine),
            "service": "", "trust_level": "substanziell", "accounts": ["buerger"],
            "fee_kind": "fixed", "fee": "100", "payment": "none", "purpose": "",
            "fee_field": "", "unit": "", "tiers": ""}  # fmt: skip
    for changes, message in (
        ({"service": "123"}, "Der Leistungsschlüssel hat genau 14 Ziffern."),
        ({"fee": "12.50"}, "Fester Betrag: Bitte geben Sie einen Betrag ein"),
        (
            {"fee_kind": "per_item", "payment": "afterwards"},
            "Feld, nach dem sich die Gebühr richtet: Bitte wählen Sie ein Feld.",
        ),
        (
            {"fee_kind": "tiered", "payment": "afterwards", "fee_field": "kein.feld"},
            "Bitte wählen Sie eines der angebotenen Felder.",
        ),
        (
            {"fee_kind": "tiered", "payment": "afterwards", "tiers": "bis 2: 10,00\nbis 1: 5,00"},
            "Stufen, Zeile 2: Die Obergrenzen müssen von Zeile zu Zeile steigen.",
        ),
        ({"fee_kind": "fixed", "payment": "afterwards", "tiers": "bis zwei: 10"}, None),
        ({"fee_kind": "unbekannt"}, "Gebühr: Bitte wählen Sie eine der angebotenen Arten."),
        ({"trust_level": "sehr hoch"}, "Vertrauensniveau: Bitte wählen Sie eines der angebotenen."),
        ({}, "Bei einer Gebühr wählen Sie bitte, wann sie bezahlt wird."),
        ({"accounts": []}, "Bitte wählen Sie, wer den Antrag stellen darf."),
        ({"title": "Blaue\\nKarte"}, "Bitte in einer Zeile eingeben"),
    ):
        data = {**base, **changes}
        if "title" in changes:
            data["title"] = "Blaue\nKarte"
        answer = client.post(path, data=data)
        if message is None:  # what does not apply to the kind of fee is not checked
            assert answer.status_code == 303, changes
            continue
        assert answer.status_code == 422, changes
        assert message in answer.get_data(as_text=True), changes
    saved = client.post(path, data={**base, "fee": "100,5", "payment": "afterwards",
                                    "purpose": "Blaue Karte"})  # fmt: skip
    assert saved.status_code == 303
    draft = db.session.scalar(select(FormDraft).where(FormDraft.key == "mit-gebuehr"))
    assert draft is not None
    assert draft.title == "Blaue Karte EU beantragen"
    assert draft.definition["fee"] == {"kind": "fixed", "amount_cents": 10050}
    assert draft.definition["trust_level"] == "substanziell"
    assert draft.definition["payment"] == "afterwards"
    page = client.get(path).get_data(as_text=True)
    assert 'value="100,50"' in page  # shown as it was saved


def test_a_field_is_relabelled_and_made_optional_and_a_republish_keeps_running_drafts(
    app: Flask, client: FlaskClient
) -> None:
    mine, _other = _staff(app, client, StaffRole.FORMULARREDAKTION)
    location = _new_draft(client, mine, "umbenannt")
    detail = client.get(location).get_data(as_text=True)
    edit = re.search(r'href="(/verwaltung/formulare/\d+/felder/[^"]+)"', detail)
    assert edit
    token = CSRF.search(client.get(edit.group(1)).get_data(as_text=True))
    assert token
    empty = client.post(edit.group(1), data={"csrf_token": token.group(1), "label": ""})
    assert "Bitte geben Sie die Beschriftung des Feldes ein." in empty.get_data(as_text=True)
    saved = client.post(edit.group(1), data={"csrf_token": token.group(1),
                        "label": "Ihr Familienname", "help": "Wie im Pass"})  # fmt: skip
    assert saved.status_code == 303
    step_key, field_key = edit.group(1).rsplit("/", 2)[-2:]
    draft = db.session.scalar(select(FormDraft).where(FormDraft.key == "umbenannt"))
    assert draft is not None
    step = next(s for s in draft.definition["steps"] if s["key"] == step_key)
    spec = next(f for f in step["fields"] if f["key"] == field_key)
    assert (spec["label"], spec["help"], spec["required"]) == ("Ihr Familienname", "Wie im Pass",
                                                             False)  # fmt: skip
    assert client.get(location.replace("/formulare/", "/formulare/") + "/felder/x/y").status_code \
        == 404  # fmt: skip
    # Published, then changed: the list says so, and a citizen's draft keeps version 1.
    token = CSRF.search(client.get(location).get_data(as_text=True))
    assert token
    client.post(location + "/veroeffentlichen", data={"csrf_token": token.group(1)})
    first = db.session.scalar(select(FormVersion).where(FormVersion.key == "umbenannt"))
    assert first is not None
    with app.test_request_context("/"):
        running = make_application(first, make_person(), case_status=None).id
        db.session.commit()
    client.post(edit.group(1), data={"csrf_token": token.group(1), "label": "Name"})
    listing = client.get("/verwaltung/formulare/").get_data(as_text=True)
    assert 'data-state="geaendert"' in listing
    client.post(location + "/veroeffentlichen", data={"csrf_token": token.group(1)})
    versions = list(db.session.scalars(select(FormVersion.version).where(
        FormVersion.key == "umbenannt").order_by(FormVersion.version)))  # fmt: skip
    assert versions == [1, 2]
    kept = db.session.get(Application, running)
    assert kept is not None
    assert (kept.form_version, kept.status.value) == (1, "entwurf")
