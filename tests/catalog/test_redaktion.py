"""The Redaktion changes what citizens see about its office; the import stays as it was."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import requests
from flask import Flask
from sqlalchemy import select

from portal.applications.models import AuditEntry
from portal.catalog import editing
from portal.catalog.models import Leistung, LocalOverride, Office, Zustaendigkeit
from portal.extensions import db
from portal.identity.models import StaffAccount
from tests.identity.conftest import TOKEN, Portal, log_in
from tests.support.staff import grant_staff


@dataclass
class Records:
    office_id: int
    office_slug: str
    other_office_id: int
    service_id: int
    service_slug: str
    spare_service_id: int
    spare_name: str


def _records(portal: Portal) -> Records:
    """Two offices, one service imported for the first, one service nobody handles yet."""
    tag = secrets.token_hex(3)
    with portal.app.app_context():
        office = Office(
            source="test",
            source_id=f"amt-{tag}",
            name=f"Redaktionsamt {tag}",
            slug=f"redaktionsamt-{tag}",
            phone="089 111",
            email="alt@amt.example",
            url="https://amt.example",
            opening_hours=[{"days": "Mo–Fr", "hours": "8:00–12:00"}],
            content_hash="x",
        )
        other = Office(
            source="test", source_id=f"anderes-{tag}", name=f"Anderes Amt {tag}",
            slug=f"anderes-{tag}", content_hash="x",
        )  # fmt: skip
        service = Leistung(
            source="test", source_id=f"l-{tag}", name=f"Sondernutzung {tag}",
            slug=f"sondernutzung-{tag}", content_hash="x", online_url="https://alt.example/form",
        )  # fmt: skip
        spare = Leistung(
            source="test", source_id=f"s-{tag}", name=f"Plakatierung Zettel {tag}",
            slug=f"plakatierung-{tag}", content_hash="x",
        )  # fmt: skip
        db.session.add_all([office, other, service, spare])
        db.session.flush()
        db.session.add(Zustaendigkeit(leistung_id=service.id, office_id=office.id))
        db.session.commit()
        return Records(
            office.id, office.slug, other.id, service.id, service.slug, spare.id, spare.name
        )


def _grant(portal: Portal, email: str, role: str, office_id: int | None = None) -> None:
    with portal.app.app_context():
        slug = db.session.get(Office, office_id).slug if office_id else None
    grant_staff(portal.app, email, role, slug)


def _editor(portal: Portal, records: Records) -> requests.Session:
    _grant(portal, "sven@musterstadt.example", "redaktion", records.office_id)
    editor, _home = log_in(portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    return editor


def _public(url: str) -> requests.Response:
    """A page as an anonymous visitor sees it (served from the page cache where possible)."""
    return requests.get(url, timeout=10)


def _post(browser: requests.Session, page: str, **data: str) -> requests.Response:
    token = TOKEN.search(browser.get(page).text)
    assert token
    return browser.post(page, data={"csrf_token": token.group(1), **data})


def test_the_redaktion_changes_contact_and_hours_and_can_return_to_the_import(
    portal: Portal,
) -> None:
    records = _records(portal)
    public = f"{portal.url}/stellen/{records.office_id}/{records.office_slug}"
    assert "089 111" in _public(public).text  # now in the anonymous page cache
    editor = _editor(portal, records)
    edit = f"{portal.url}/verwaltung/redaktion/aemter/{records.office_id}"
    assert "Redaktionsamt" in editor.get(portal.url + "/verwaltung/redaktion/").text

    saved = _post(
        editor, edit, phone="089 222-0", email="neu@amt.example", url="https://amt.example",
        opening_hours="Mo–Do 8:00–16:00\n\nFr 8:00–12:00\n",
    )  # fmt: skip
    assert saved.status_code == 200
    assert "sofort sichtbar" in saved.text
    assert "Wert aus dem Import: 089 111" in saved.text

    page = _public(public).text
    assert "089 222-0" in page
    assert "neu@amt.example" in page
    assert "Mo–Do 8:00–16:00<br>Fr 8:00–12:00" in page
    assert "089 111" not in page
    assert "alt@amt.example" not in page
    with portal.app.app_context():
        office = db.session.get(Office, records.office_id)
        assert office.phone == "089 111"  # the imported record is untouched
        fields = set(
            db.session.scalars(select(LocalOverride.field).filter_by(source_id=office.source_id))
        )
        assert fields == {"phone", "email", "opening_hours"}  # url equals the import
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "catalog.office")
        ).all()
        assert any(entry.detail.get("office") == office.source_id for entry in audit)

    # Saving the imported values again removes the overrides: the import applies once more.
    _post(
        editor, edit, phone="089 111", email="alt@amt.example", url="https://amt.example",
        opening_hours="Mo–Fr 8:00–12:00",
    )  # fmt: skip
    assert "089 111" in _public(public).text
    with portal.app.app_context():
        office = db.session.get(Office, records.office_id)
        assert not db.session.scalars(
            select(LocalOverride).filter_by(source_id=office.source_id)
        ).all()

    # An empty field hides the value.
    _post(editor, edit, phone="", email="alt@amt.example", url="https://amt.example",
          opening_hours="Mo–Fr 8:00–12:00")  # fmt: skip
    assert "089 111" not in _public(public).text


def test_wrong_values_get_german_messages_and_change_nothing(portal: Portal) -> None:
    records = _records(portal)
    editor = _editor(portal, records)
    edit = f"{portal.url}/verwaltung/redaktion/aemter/{records.office_id}"
    refused = _post(
        editor, edit, phone="089 ruf mich an", email="kein-at", url="javascript:alert(1)",
        opening_hours="\n".join(f"Zeile {n}" for n in range(21)),
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Bitte geben Sie nur Ziffern" in refused.text
    assert "name@beispiel.de" in refused.text
    assert "mit https:// beginnt" in refused.text
    assert "höchstens 20 Zeilen" in refused.text
    with portal.app.app_context():
        office = db.session.get(Office, records.office_id)
        assert not db.session.scalars(
            select(LocalOverride).filter_by(source_id=office.source_id)
        ).all()


def _admin(portal: Portal) -> requests.Session:
    grant_staff(portal.app, "admin@musterstadt.example", "administration")
    admin, _home = log_in(portal.url, "admin", "/verwaltung/anmelden")
    return admin


def _responsibilities(portal: Portal, office_id: int) -> dict[int, Zustaendigkeit]:
    with portal.app.app_context():
        return {
            row.leistung_id: row
            for row in db.session.scalars(select(Zustaendigkeit).filter_by(office_id=office_id))
        }


def test_the_redaktion_cannot_take_over_a_service(portal: Portal) -> None:
    """Defect: the Redaktion of any office could declare it responsible for any service and
    then point that service's "Online beantragen" at any address."""
    records = _records(portal)
    editor = _editor(portal, records)
    edit = f"{portal.url}/verwaltung/redaktion/aemter/{records.office_id}"
    page = editor.get(edit, params={"q": records.spare_name.split()[1]})
    assert "Zuständigkeit hinzufügen" not in page.text
    assert "ordnet die Administration zu" in page.text
    token = TOKEN.search(page.text)
    assert token
    refused = editor.post(
        edit + "/zustaendigkeiten",
        data={"csrf_token": token.group(1), "leistung": str(records.spare_service_id)},
    )
    assert refused.status_code == 403
    assert records.spare_service_id not in _responsibilities(portal, records.office_id)
    assert editor.get(f"{edit}/leistungen/{records.spare_service_id}").status_code == 404


def test_a_shared_service_link_is_changed_by_the_administration(portal: Portal) -> None:
    records = _records(portal)
    with portal.app.app_context():
        db.session.add(
            Zustaendigkeit(leistung_id=records.service_id, office_id=records.other_office_id)
        )
        db.session.commit()
    editor = _editor(portal, records)
    service_edit = (
        f"{portal.url}/verwaltung/redaktion/aemter/{records.office_id}"
        f"/leistungen/{records.service_id}"
    )
    page = editor.get(service_edit)
    assert "mehrere Ämter zuständig" in page.text
    token = TOKEN.search(editor.get(portal.url + "/verwaltung/").text)
    assert token
    refused = editor.post(
        service_edit, data={"csrf_token": token.group(1), "online_url": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert (
        "https://evil.example" not in _public(f"{portal.url}/leistungen/{records.service_id}").text
    )
    admin = _admin(portal)
    _post(admin, service_edit, online_url="https://gemeinsam.example/antrag")
    assert (
        "https://gemeinsam.example/antrag"
        in _public(f"{portal.url}/leistungen/{records.service_id}").text
    )


def test_responsibilities_by_the_administration_and_the_online_link(portal: Portal) -> None:
    records = _records(portal)
    admin = _admin(portal)
    edit = f"{portal.url}/verwaltung/redaktion/aemter/{records.office_id}"

    found = admin.get(edit, params={"q": records.spare_name.split()[1]})
    assert records.spare_name in found.text
    token = TOKEN.search(found.text)
    assert token
    bad = admin.post(
        edit + "/zustaendigkeiten",
        data={"csrf_token": token.group(1), "leistung": str(records.spare_service_id),
              "area": "09abc"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "höchstens 12 Ziffern" in bad.text
    added = admin.post(
        edit + "/zustaendigkeiten",
        data={"csrf_token": token.group(1), "leistung": str(records.spare_service_id)},
    )
    assert added.status_code == 200
    assert "jetzt diesem Amt zugeordnet" in added.text
    spare_page = _public(f"{portal.url}/leistungen/{records.spare_service_id}").text
    assert f"/stellen/{records.office_id}/" in spare_page

    rows = _responsibilities(portal, records.office_id)
    local, imported = rows[records.spare_service_id], rows[records.service_id]
    assert local.origin == "local"
    assert imported.origin == "import"
    # The office's Redaktion now edits the assigned service, but cannot remove the assignment.
    editor = _editor(portal, records)
    assert editor.get(f"{edit}/leistungen/{records.spare_service_id}").status_code == 200
    token = TOKEN.search(editor.get(edit).text)
    assert token
    assert (
        editor.post(
            f"{edit}/zustaendigkeiten/{local.id}/entfernen", data={"csrf_token": token.group(1)}
        ).status_code
        == 403
    )
    # An imported responsibility is changed at the source, not here.
    admin = _admin(portal)
    token = TOKEN.search(admin.get(edit).text)
    assert token
    refused = admin.post(
        f"{edit}/zustaendigkeiten/{imported.id}/entfernen", data={"csrf_token": token.group(1)}
    )
    assert refused.status_code == 404
    removed = admin.post(
        f"{edit}/zustaendigkeiten/{local.id}/entfernen", data={"csrf_token": token.group(1)}
    )
    assert removed.status_code == 200
    assert "wurde entfernt" in removed.text
    spare_page = _public(f"{portal.url}/leistungen/{records.spare_service_id}").text
    assert f"/stellen/{records.office_id}/" not in spare_page

    # The online link of a service only this office handles: its Redaktion changes it.
    editor = _editor(portal, records)
    service_edit = f"{edit}/leistungen/{records.service_id}"
    assert _post(editor, service_edit, online_url="javascript:alert(1)").status_code == 422
    _post(editor, service_edit, online_url="https://neu.example/antrag")
    service_page = _public(f"{portal.url}/leistungen/{records.service_id}").text
    assert "https://neu.example/antrag" in service_page
    assert "https://alt.example/form" not in service_page
    # Not a service of this office: not editable from here.
    assert editor.get(f"{edit}/leistungen/{records.spare_service_id}").status_code == 404


def test_only_the_offices_redaktion_and_administrators_get_in(portal: Portal) -> None:
    records = _records(portal)
    editor = _editor(portal, records)
    other = f"{portal.url}/verwaltung/redaktion/aemter/{records.other_office_id}"
    assert editor.get(other).status_code == 404
    token = TOKEN.search(editor.get(portal.url + "/verwaltung/").text)
    assert token
    assert editor.post(other, data={"csrf_token": token.group(1), "phone": "1"}).status_code == 404
    assert "Anderes Amt" not in editor.get(portal.url + "/verwaltung/redaktion/").text

    # A clerk without the role Redaktion is refused; a citizen is sent to the staff login.
    _grant(portal, "sven@musterstadt.example", "sachbearbeitung", records.other_office_id)
    with portal.app.app_context():
        staff = db.session.scalar(select(StaffAccount).filter_by(email="sven@musterstadt.example"))
        for item in list(staff.roles):
            if item.role.value == "redaktion":
                staff.roles.remove(item)
        db.session.commit()
    clerk, _home = log_in(portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    assert clerk.get(portal.url + "/verwaltung/redaktion/").status_code == 403
    mine = f"{portal.url}/verwaltung/redaktion/aemter/{records.office_id}"
    assert clerk.get(mine).status_code == 403
    citizen, _home = log_in(portal.url, "anna")
    answer = citizen.get(mine, allow_redirects=False)
    assert answer.status_code in (302, 303)
    assert "/verwaltung/anmelden" in answer.headers["Location"]

    _grant(portal, "admin@musterstadt.example", "administration")
    admin, _home = log_in(portal.url, "admin", "/verwaltung/anmelden")
    assert admin.get(other).status_code == 200
    assert re.search(r"Anderes Amt", admin.get(portal.url + "/verwaltung/redaktion/").text)


def test_a_change_reaches_cached_pages_at_once(
    portal: Portal, make_app: Callable[..., Flask]
) -> None:
    records = _records(portal)
    cached = make_app(page_cache_size=50)
    visitor = cached.test_client()
    page = f"/stellen/{records.office_id}/{records.office_slug}"
    assert "089 111" in visitor.get(page).text
    with cached.app_context():
        office = db.session.get(Office, records.office_id)
        values = {"phone": "089 999", "email": "", "url": "", "opening_hours": []}
        assert editing.save_office(office, values) == ["phone", "email", "url", "opening_hours"]
        db.session.commit()
    shown = visitor.get(page).text
    assert "089 999" in shown
    assert "alt@amt.example" not in shown
