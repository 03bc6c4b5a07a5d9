"""Offices of the demo municipality Musterstadt (invented; addresses are not real)."""

from __future__ import annotations

from portal.catalog.importers.records import OfficeRecord

WEEKDAYS = [
    {"text": "Montag, Dienstag, Freitag: 8:00–12:00 Uhr"},
    {"text": "Donnerstag: 14:00–18:00 Uhr"},
]
CITIZEN_HOURS = [
    {"text": "Montag bis Freitag: 8:00–12:30 Uhr"},
    {"text": "Dienstag und Donnerstag: 14:00–18:00 Uhr"},
    {"text": "Jeden ersten Samstag im Monat: 9:00–12:00 Uhr"},
]


def _office(
    source_id: str,
    name: str,
    street: str,
    *,
    phone: str,
    email: str,
    hours: list[dict[str, str]],
    place: tuple[str, str, str] = ("Stadtverwaltung Musterstadt", "12345", "Musterstadt"),
) -> OfficeRecord:
    organization, postal_code, city = place
    return OfficeRecord(
        source_id=source_id,
        name=name,
        organization=organization,
        street=street,
        postal_code=postal_code,
        city=city,
        phone=phone,
        email=email,
        opening_hours=hours,
    )


OFFICES = [
    _office(
        "buergerbuero",
        "Bürgerbüro",
        "Rathausplatz 1",
        phone="0123 4567-100",
        email="buergerbuero@musterstadt.example",
        hours=CITIZEN_HOURS,
    ),
    _office(
        "standesamt",
        "Standesamt",
        "Rathausplatz 1",
        phone="0123 4567-200",
        email="standesamt@musterstadt.example",
        hours=WEEKDAYS,
    ),
    _office(
        "ordnungsamt",
        "Ordnungsamt",
        "Marktstraße 12",
        phone="0123 4567-300",
        email="ordnungsamt@musterstadt.example",
        hours=WEEKDAYS,
    ),
    _office(
        "steueramt",
        "Steueramt",
        "Rathausplatz 1",
        phone="0123 4567-400",
        email="steueramt@musterstadt.example",
        hours=WEEKDAYS,
    ),
    _office(
        "kfz",
        "Kfz-Zulassungsstelle",
        "Industriestraße 5",
        phone="0123 4567-500",
        email="zulassung@musterstadt.example",
        hours=[
            {"text": "Montag bis Freitag: 7:30–12:00 Uhr"},
            {"text": "Donnerstag: 14:00–17:30 Uhr"},
        ],
    ),
    _office(
        "bauamt",
        "Bauaufsichtsamt",
        "Schillerstraße 3",
        phone="0123 4567-600",
        email="bauaufsicht@musterstadt.example",
        hours=WEEKDAYS,
    ),
    _office(
        "sozialamt",
        "Amt für Soziales und Wohnen",
        "Schillerstraße 5",
        phone="0123 4567-700",
        email="soziales@musterstadt.example",
        hours=WEEKDAYS,
    ),
    _office(
        "jugendamt",
        "Jugendamt – Kindertagesbetreuung",
        "Lindenallee 8",
        phone="0123 4567-800",
        email="kita@musterstadt.example",
        hours=WEEKDAYS,
    ),
    _office(
        "umwelt",
        "Umwelt- und Grünflächenamt",
        "Am Stadtpark 2",
        phone="0123 4567-900",
        email="umwelt@musterstadt.example",
        hours=WEEKDAYS,
    ),
    _office(
        "stadtbuecherei",
        "Stadtbücherei",
        "Kirchgasse 4",
        phone="0123 4567-950",
        email="buecherei@musterstadt.example",
        hours=[
            {"text": "Dienstag bis Freitag: 10:00–18:00 Uhr"},
            {"text": "Samstag: 10:00–13:00 Uhr"},
        ],
    ),
    # The other Gemeinden of the demo's Kreis (see catalog.demo: the region).
    _office(
        "buergerbuero-neudorf",
        "Bürgerbüro Neudorf",
        "Dorfplatz 1",
        phone="0123 5550-10",
        email="buergerbuero@neudorf.example",
        hours=CITIZEN_HOURS,
        place=("Gemeindeverwaltung Neudorf", "12350", "Neudorf"),
    ),
    _office(
        "buergerbuero-beispielhausen",
        "Bürgerbüro Beispielhausen",
        "Am Rathaus 3",
        phone="0123 6660-20",
        email="buergerbuero@beispielhausen.example",
        hours=CITIZEN_HOURS,
        place=("Gemeindeverwaltung Beispielhausen", "12351", "Beispielhausen"),
    ),
]
