"""Reading the catalogue for pages: published records only, local overrides applied."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.catalog import places
from portal.catalog.models import (
    Authority,
    Lebenslage,
    LeikaKey,
    Leistung,
    LeistungKey,
    LocalOverride,
    Office,
    OzgLeistung,
    Themenfeld,
    Zustaendigkeit,
)
from portal.extensions import db

# Order and German headings of the text modules on a service page.
MODULE_HEADINGS = {
    "volltext": _l("Beschreibung"),
    "voraussetzungen": _l("Voraussetzungen"),
    "unterlagen": _l("Erforderliche Unterlagen"),
    "kosten": _l("Kosten"),
    "verfahrensablauf": _l("Verfahrensablauf"),
    "fristen": _l("Fristen"),
    "bearbeitungsdauer": _l("Bearbeitungsdauer"),
    "formulare": _l("Formulare"),
    "hinweise": _l("Hinweise"),
    "rechtsgrundlage": _l("Rechtsgrundlage"),
    "rechtsbehelf": _l("Rechtsbehelf"),
    "weitere_informationen": _l("Weiterführende Informationen"),
    "zustaendige_stelle": _l("Zuständige Stelle"),
    "ansprechpunkt": _l("Ansprechpunkt"),
    "urheber": _l("Urheber"),
}
# How to log in, in the words a citizen uses (never "Vertrauensniveau substanziell").
LOGIN_IN_PLAIN_WORDS = {
    "basisregistrierung": _l("ein Nutzerkonto; Benutzername und Passwort genügen"),
    "substanziell": _l(
        "eine sichere Anmeldung: mit Ihrem ELSTER-Zertifikat oder der Online-Ausweisfunktion"
    ),
    "hoch": _l(
        "die Online-Ausweisfunktion Ihres Personalausweises mit PIN (auch mit dem Smartphone)"
    ),
}


@dataclass(frozen=True)
class YouNeed:
    """What it takes to apply online, in plain words: the "Sie brauchen" block.

    ``uploads`` lists (label, required) of what the form asks to upload; ``None`` where the
    portal does not know the form (another authority's online service).
    """

    login: str
    uploads: tuple[tuple[str, bool], ...] | None
    cost: str
    steps: int | None = None  # steps everyone answers
    more_steps: int = 0  # steps that only some answer (shown by earlier answers)
    # The portal's own form: what it charges with the application (``None``: it depends on
    # the answers), so the catalogue's costs can be set beside it without contradiction.
    charged_cents: int | None = None
    own_form: bool = False


# Words of a catalogue cost without an amount that say there is nothing to pay.
FREE_WORDS = ("gebührenfrei", "kostenfrei", "kostenlos", "keine gebühr", "keine kosten")


def _costs_in_words(fees: list[dict[str, Any]]) -> list[str]:
    """The catalogue's costs that cost something, as the service page shows them."""
    shown = []
    for fee in fees:
        text = str(fee.get("text") or "").strip()
        cents = fee.get("amount_cents")
        if cents is None and (not text or any(word in text.lower() for word in FREE_WORDS)):
            continue
        if cents == 0:
            continue
        amount = format_currency(cents / 100, fee.get("currency") or "EUR") if cents else ""
        shown.append(" ".join(part for part in (amount, text) if part))
    return shown


def with_catalogue_costs(needs: YouNeed, fees: list[dict[str, Any]]) -> YouNeed:
    """The own form's "Kosten" beside what the catalogue says the service costs: what is paid
    with the application and what the office sets later by Bescheid (the Hundesteuer of a dog
    registered free of charge), so the page never says "keine" next to "96 Euro im Jahr"."""
    if not needs.own_form:
        return needs
    costs = _costs_in_words(
        [
            fee
            for fee in fees
            if needs.charged_cents is None or fee.get("amount_cents") != needs.charged_cents
        ]
    )
    if not costs:
        return needs
    if needs.charged_cents == 0:
        cost = _(
            "Mit dem Online-Antrag bezahlen Sie nichts. Die Leistungsbeschreibung nennt: "
            "%(costs)s. Das setzt das Amt danach mit einem Bescheid fest; Sie bezahlen es erst, "
            "wenn Sie den Bescheid haben.",
            costs="; ".join(costs),
        )
    else:
        cost = _(
            "%(now)s Die Leistungsbeschreibung nennt außerdem: %(costs)s. Was davon nicht mit "
            "dem Antrag bezahlt wird, setzt das Amt mit dem Bescheid fest.",
            now=needs.cost,
            costs="; ".join(costs),
        )
    return dataclasses.replace(needs, cost=cost)


def fees_for_keys(keys: list[str]) -> list[dict[str, Any]]:
    """The costs the catalogue lists for the published Leistung with one of these keys."""
    if not keys:
        return []
    found = db.session.scalar(
        select(Leistung)
        .join(LeistungKey, LeistungKey.leistung_id == Leistung.id)
        .where(LeistungKey.key.in_(keys), Leistung.published)
        .order_by(Leistung.id)
        .limit(1)
    )
    return list(found.fees) if found is not None else []


def you_need(leistung: Leistung, link: str | None) -> YouNeed | None:
    """The "Sie brauchen" block for a service applied for online (``None`` without a link).

    The portal's own form says exactly what it asks for (``online_form_needs(keys)``, registered
    by the applications domain); for another authority's service the catalogue says what it knows.
    """
    if link is None:
        return None
    finder = current_app.extensions.get("online_form_needs")
    if finder is not None:
        own: YouNeed | None = finder([item.key for item in leistung.keys])
        if own is not None:
            return with_catalogue_costs(own, list(leistung.fees))
    login = LOGIN_IN_PLAIN_WORDS.get(leistung.trust_level or "")
    amounts = [
        format_currency(fee["amount_cents"] / 100, fee.get("currency") or "EUR")
        for fee in leistung.fees
        if fee.get("amount_cents") is not None
    ]
    if amounts:
        cost = _(
            "%(amounts)s; wie Sie bezahlen, erfahren Sie im Online-Dienst.",
            amounts=", ".join(amounts),
        )
    elif leistung.fees:
        cost = _("siehe „Kosten“ weiter unten")
    else:
        cost = _("Die zuständige Stelle nennt Ihnen die Kosten.")
    return YouNeed(
        login=str(login) if login else _("Wie Sie sich anmelden, sagt Ihnen der Online-Dienst."),
        uploads=None,
        cost=cost,
    )


def citizen_label(row: Themenfeld | Lebenslage) -> str:
    """The name citizens read: the theme's label for the OZG key, else the OZG name."""
    table = "themenfelder" if isinstance(row, Themenfeld) else "lebenslagen"
    labels = current_app.extensions["portal.themes"].catalog(table)
    return str(labels.get(row.key, row.name))


def _also_in(lebenslage: Lebenslage) -> list[str]:
    """OZG-IDs the theme lists under this Lebenslage as well (``[catalog.auch_in]``)."""
    placements = current_app.extensions["portal.themes"].catalog("auch_in")
    return [ozg_id for ozg_id, keys in placements.items() if lebenslage.key in keys]


def themenfelder() -> list[Themenfeld]:
    return list(db.session.scalars(select(Themenfeld).order_by(Themenfeld.position)))


def themenfeld_counts() -> dict[int, int]:
    """Number of published Leistungen per Themenfeld (by its Lebenslagen's OZG-Leistungen)."""
    rows = db.session.execute(
        placed(Lebenslage.themenfeld_id, func.count(func.distinct(Leistung.id)))
        .join(Lebenslage, Lebenslage.id == OzgLeistung.lebenslage_id)
        .group_by(Lebenslage.themenfeld_id)
    )
    return dict(rows.all())


def themenfeld_by_slug(slug: str) -> Themenfeld | None:
    return db.session.scalars(select(Themenfeld).filter_by(slug=slug)).first()


def lebenslage_by_slug(themenfeld: Themenfeld, slug: str) -> Lebenslage | None:
    return db.session.scalars(
        select(Lebenslage).filter_by(themenfeld_id=themenfeld.id, slug=slug)
    ).first()


def placed(*columns: Any) -> Any:
    """``select(columns)`` over published Leistungen joined, through their keys, to the
    OZG-Leistungen that place them in the taxonomy."""
    return (
        select(*columns)
        .select_from(Leistung)
        .join(LeistungKey, LeistungKey.leistung_id == Leistung.id)
        .join(LeikaKey, LeikaKey.key == LeistungKey.key)
        .join(OzgLeistung, OzgLeistung.id == LeikaKey.ozg_leistung_id)
        .where(Leistung.published)
    )


def _published_in(lebenslage_ids: Any) -> Any:
    """Published Leistungen whose keys belong to OZG-Leistungen of the given Lebenslagen."""
    return placed(Leistung.id).where(OzgLeistung.lebenslage_id.in_(lebenslage_ids))


def published_in_themenfeld(themenfeld: Themenfeld) -> Any:
    """Select of the ids of published Leistungen in any Lebenslage of the Themenfeld."""
    return _published_in(
        select(Lebenslage.id).where(Lebenslage.themenfeld_id == themenfeld.id)
    ).distinct()


def service_counts(themenfeld: Themenfeld) -> dict[int, int]:
    """Number of published Leistungen per Lebenslage of a Themenfeld."""
    rows = db.session.execute(
        placed(OzgLeistung.lebenslage_id, func.count(func.distinct(Leistung.id)))
        .join(Lebenslage, Lebenslage.id == OzgLeistung.lebenslage_id)
        .where(Lebenslage.themenfeld_id == themenfeld.id)
        .group_by(OzgLeistung.lebenslage_id)
    )
    counts = {lebenslage_id: total for lebenslage_id, total in rows if lebenslage_id is not None}
    for lage in themenfeld.lebenslagen:
        also = _also_in(lage)
        if also:  # counted again with the theme's further placements
            ids = _ids_in(lage, also).subquery()
            total = db.session.scalar(select(func.count()).select_from(ids)) or 0
            if total:
                counts[lage.id] = total
    return counts


def _ids_in(lebenslage: Lebenslage, also: list[str] | None = None) -> Any:
    """Published Leistungen of a Lebenslage, the theme's further placements (``also``, looked up
    when not given) included."""
    return (
        placed(Leistung.id)
        .where(
            or_(
                OzgLeistung.lebenslage_id == lebenslage.id,
                OzgLeistung.ozg_id.in_(_also_in(lebenslage) if also is None else also),
            )
        )
        .distinct()
    )


def services_for(lebenslage: Lebenslage) -> list[Leistung]:
    ids = _ids_in(lebenslage)
    return list(
        db.session.scalars(select(Leistung).where(Leistung.id.in_(ids)).order_by(Leistung.name))
    )


def published_service(service_id: int) -> Leistung | None:
    leistung = db.session.get(Leistung, service_id)
    return leistung if leistung is not None and leistung.published else None


def published_office(office_id: int) -> Office | None:
    office = db.session.get(Office, office_id)
    return office if office is not None and office.published else None


def overrides(kind: str, source: str, source_id: str) -> dict[str, Any]:
    rows = db.session.scalars(
        select(LocalOverride).filter_by(kind=kind, source=source, source_id=source_id)
    )
    return {row.field: row.value for row in rows}


@dataclass(frozen=True)
class OfficeView:
    """An office as citizens see it: imported data with the municipality's overrides."""

    office: Office
    phone: str
    email: str
    url: str
    opening_hours: list[dict[str, str]]
    areas: tuple[str, ...] = ()  # the names of the places covered, where they are known
    area_codes: tuple[str, ...] = ()  # the responsibilities' own ARS, as imported


def office_view(
    office: Office, areas: tuple[str, ...] = (), area_codes: tuple[str, ...] = ()
) -> OfficeView:
    local = overrides("office", office.source, office.source_id)
    return OfficeView(
        office=office,
        phone=local.get("phone", office.phone),
        email=local.get("email", office.email),
        url=local.get("url", office.url),
        opening_hours=local.get("opening_hours", office.opening_hours),
        areas=areas,
        area_codes=area_codes,
    )


def offices_of_authority(authority_id: int) -> list[OfficeView]:
    """The published offices of an authority (a Gemeinde's own administration), by name: whom
    to ask where the catalogue names no office responsible for a service in that place."""
    rows = db.session.scalars(
        select(Office)
        .where(Office.authority_id == authority_id, Office.published)
        .order_by(Office.name)
    )
    return [office_view(office) for office in rows]


def responsible_offices(leistung: Leistung) -> list[OfficeView]:
    """Every office responsible for the service, each with the names of the places it covers."""
    areas: dict[int, list[str]] = {}
    codes: dict[int, list[str]] = {}
    offices: dict[int, Office] = {}
    for row in leistung.zustaendigkeiten:
        if row.office.published:
            offices[row.office_id] = row.office
            areas.setdefault(row.office_id, []).append(places.area_of(row))
            if row.area:
                codes.setdefault(row.office_id, []).append(row.area)
    return [
        office_view(
            office,
            places.area_names(areas.get(office_id, [])),
            tuple(sorted(codes.get(office_id, []))),
        )
        for office_id, office in sorted(offices.items(), key=lambda item: item[1].name)
    ]


def online_url(leistung: Leistung, place: Authority | None = None) -> str | None:
    """The portal's own online form for the service, if there is one, else the source's link
    (or a local override). Other domains register ``online_form_url(keys)`` to offer forms and
    ``online_form_office(keys)`` to say which office receives them.

    With a ``place``, the portal's own form counts only if it goes to an office responsible
    there: a Neudorf dog is not registered with the Musterstadt tax office."""
    finder = current_app.extensions.get("online_form_url")
    keys = [item.key for item in leistung.keys]
    if finder is not None:
        own = finder(keys)
        if own and place is not None:
            office_of = current_app.extensions.get("online_form_office")
            receiving = office_of(keys) if office_of is not None else None
            here = {office.id for office in places.responsible_here(leistung, place)}
            if receiving is not None and receiving not in here:
                return None
        if own:
            return str(own)
    local = overrides("leistung", leistung.source, leistung.source_id)
    value = local.get("online_url", leistung.online_url)
    return str(value) if value else None


def booking_places(leistung: Leistung) -> list[Any]:
    """Where an appointment for the service can be booked (``office_name``, ``url``,
    ``external``, ``office_id``); the appointments domain registers
    ``appointment_places(leistung_id)``."""
    finder = current_app.extensions.get("appointment_places")
    return list(finder(leistung.id)) if finder is not None else []


def booking_places_of(found: list[Any], here: list[Office]) -> list[Any]:
    """Of ``booking_places``, those of the offices responsible for the chosen place: a
    Neudorf citizen does not book the Musterstadt Bürgerbüro."""
    responsible = {office.id for office in here}
    return [item for item in found if item.office_id in responsible]


def services_of(office: Office) -> list[Leistung]:
    return list(
        db.session.scalars(
            select(Leistung)
            .join(Zustaendigkeit, Zustaendigkeit.leistung_id == Leistung.id)
            .where(Zustaendigkeit.office_id == office.id, Leistung.published)
            .distinct()
            .order_by(Leistung.name)
        )
    )


def modules(leistung: Leistung, language: str) -> list[tuple[Any, str, str, str]]:
    """(heading, HTML, its language, module name) of each text module in page order, in the
    visitor's language or else German (the page marks German parts with ``lang="de"``)."""
    result = []
    for name, heading in MODULE_HEADINGS.items():
        texts = leistung.texts.get(name, {})
        if texts.get(language):
            result.append((heading, texts[language], language, name))
        elif texts.get("de"):
            result.append((heading, texts["de"], "de", name))
    return result


def lebenslagen_of(leistung: Leistung) -> list[Lebenslage]:
    return list(
        db.session.scalars(
            select(Lebenslage)
            .join(OzgLeistung, OzgLeistung.lebenslage_id == Lebenslage.id)
            .join(LeikaKey, LeikaKey.ozg_leistung_id == OzgLeistung.id)
            .join(LeistungKey, LeistungKey.key == LeikaKey.key)
            .where(LeistungKey.leistung_id == leistung.id)
            .distinct()
            .order_by(Lebenslage.name)
        )
    )


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def initial(name: str) -> str:
    """The A–Z letter of a name: umlauts under their base letter, digits and signs under '#'."""
    for char in name.strip():
        folded = char.upper().translate(str.maketrans("ÄÖÜ", "AOU"))
        if folded in ALPHABET:
            return folded
        if char.isalnum():
            return "#"
    return "#"


def a_to_z() -> dict[str, list[tuple[int, str, str]]]:
    """Published services by letter as (id, name, slug), sorted by name; empty letters absent."""
    letters: dict[str, list[tuple[int, str, str]]] = {}
    rows = db.session.execute(
        select(Leistung.id, Leistung.name, Leistung.slug).where(Leistung.published)
    )
    for service_id, name, slug in rows:
        letters.setdefault(initial(name), []).append((service_id, name, slug))
    for entries in letters.values():
        entries.sort(key=lambda entry: entry[1].casefold())
    return letters


def sitemap_entries() -> list[tuple[str, dict[str, Any]]]:
    """(endpoint, values) of every public catalogue page."""
    entries: list[tuple[str, dict[str, Any]]] = []
    for feld in themenfelder():
        entries.append(("catalog.themenfeld", {"slug": feld.slug}))
        entries.extend(
            ("catalog.lebenslage", {"themenfeld_slug": feld.slug, "slug": lage.slug})
            for lage in feld.lebenslagen
        )
    for service_id, slug in db.session.execute(
        select(Leistung.id, Leistung.slug).where(Leistung.published).order_by(Leistung.id)
    ):
        entries.append(("catalog.leistung", {"service_id": service_id, "slug": slug}))
    for office_id, slug in db.session.execute(
        select(Office.id, Office.slug).where(Office.published).order_by(Office.id)
    ):
        entries.append(("catalog.stelle", {"office_id": office_id, "slug": slug}))
    return entries


def structured_data(
    leistung: Leistung, url: str, link: str | None, offices: list[OfficeView]
) -> dict[str, Any]:
    """schema.org GovernmentService for search engines and other portals.

    Takes the online link and the offices the page already loaded, so nothing is queried twice.
    """
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": leistung.name,
        "url": url,
        "identifier": [
            {"@type": "PropertyValue", "propertyID": "Leistungsschlüssel", "value": row.key}
            for row in leistung.keys
        ],
    }
    if leistung.summary:
        data["description"] = leistung.summary
    channels: list[dict[str, Any]] = []
    if link:
        channels.append({"@type": "ServiceChannel", "serviceUrl": link})
    for view in offices:
        office = view.office
        channels.append(
            {
                "@type": "ServiceChannel",
                "serviceLocation": {
                    "@type": "GovernmentOffice",
                    "name": office.name,
                    "telephone": view.phone or None,
                    "email": view.email or None,
                    "address": {
                        "@type": "PostalAddress",
                        "streetAddress": office.street,
                        "postalCode": office.postal_code,
                        "addressLocality": office.city,
                        "addressCountry": "DE",
                    },
                },
            }
        )
    if channels:
        data["availableChannel"] = channels
    return data
