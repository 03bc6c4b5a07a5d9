"""XZuFi 2.2 import from fixtures written for this project (no public sample exists)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.models import Leistung, Office
from tests.catalog.test_import import run_import

FIXTURES = Path(__file__).parent / "fixtures"
MESSAGE = FIXTURES / "xzufi_landesredaktion.xml"
WITHDRAWAL = FIXTURES / "xzufi_loesche.xml"


def service(session: scoped_session[Session], source_id: str) -> Leistung:
    return session.scalars(select(Leistung).filter_by(source_id=source_id)).one()


def test_xzufi_message_imports_services_office_and_online_service(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    result = run_import(app, MESSAGE)
    assert result.exit_code == 0, result.output
    assert "XZuFi 2.2" in result.output
    assert "Leistungen: 2 neu" in result.output
    hund = service(db_session, "L100042_LEISTUNG_1")
    assert hund.source == "xzufi:L100042"
    assert hund.name == "Hund anmelden"
    assert [row.key for row in hund.keys] == ["99108007000000", "99108007001000"]
    # Both languages kept; escaped HTML cleaned, the script and the handler dropped.
    assert hund.texts["leistungsbezeichnung"]["en"] == "Register a dog"
    volltext = hund.texts["volltext"]["de"]
    assert volltext.startswith("<p>Wer einen Hund hält")
    assert "script" not in volltext
    assert "alert" not in volltext
    assert "onclick" not in volltext
    assert "<li>Chipnummer des Hundes</li>" in hund.texts["unterlagen"]["de"]
    assert hund.summary == "Hund online bei der Stadt anmelden."
    assert hund.fees == [{"amount_cents": 1250, "currency": "EUR", "text": ""}]
    assert hund.deadlines[0]["duration"] == "2"
    assert hund.processing_times[0]["unit"] == "Arbeitstag"
    assert hund.addressees == ["buerger"]
    assert hund.trust_level == "substanziell"
    assert hund.online_url == "https://antrag.example.org/hund"  # the start link (typ 01)
    areas = sorted(row.area for row in hund.zustaendigkeiten)
    assert areas == ["091620000000", "091620001000"]
    office = db_session.scalars(select(Office).filter_by(source_id="L100042_OE_3")).one()
    assert (office.street, office.postal_code, office.city) == (
        "Rathausplatz 1",
        "12345",
        "Musterstadt",
    )
    assert office.phone == "0123 456-0"
    assert office.email == "steueramt@musterstadt.example"
    assert office.opening_hours == [{"text": "Mo–Fr 8–12 Uhr, Do 14–18 Uhr"}]
    # A Leistung with nothing but its name still imports.
    gewerbe = service(db_session, "L100042_LEISTUNG_2")
    assert gewerbe.name == "Gewerbe anmelden"
    assert gewerbe.trust_level is None


def test_xzufi_reimport_is_idempotent_and_loesche_unpublishes(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    assert run_import(app, MESSAGE).exit_code == 0
    again = run_import(app, MESSAGE)
    assert "Leistungen: 0 neu, 0 geändert, 2 unverändert, 0 zurückgezogen" in again.output
    withdrawal = run_import(app, WITHDRAWAL)
    assert withdrawal.exit_code == 0, withdrawal.output
    assert "Leistungen: 0 neu, 0 geändert, 0 unverändert, 1 zurückgezogen" in withdrawal.output
    assert not service(db_session, "L100042_LEISTUNG_2").published
    assert service(db_session, "L100042_LEISTUNG_1").published


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda xml: xml[: len(xml) // 2], "kein gültiges XML"),
        (lambda xml: xml.replace("99108007001000", "99108007"), "leistung L100042_LEISTUNG_1"),
        (
            lambda xml: xml.replace("<code>substanziell</code>", "<code>mittel</code>"),
            "unbekanntes Vertrauensniveau 'mittel'",
        ),
        (lambda xml: xml.replace(' xzufiVersion="2.2.0"', ""), "keine XZuFi-2-Nachricht"),
        (
            lambda xml: xml.replace("<xzufi:betrag>12.50", "<xzufi:betrag>zwölf"),
            "ungültiger Betrag",
        ),
        (
            lambda xml: xml.replace("<!-- Test", '<!DOCTYPE x [<!ENTITY a "aaaa">]><!-- Test'),
            "kein gültiges XML",
        ),
    ],
)
def test_broken_xzufi_changes_nothing(
    app: Flask, db_session: scoped_session[Session], tmp_path: Path, edit: object, expected: str
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(edit(MESSAGE.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    result = run_import(app, broken)
    assert result.exit_code != 0
    assert expected in result.output
    assert (
        db_session.scalars(select(Leistung).where(Leistung.source == "xzufi:L100042")).first()
        is None
    )
