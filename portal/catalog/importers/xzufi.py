"""XZuFi 2.2 XML as the Landesredaktionen and the PVOG publish it.

A message (root with ``xzufiVersion``) holds ``schreibe`` elements with the objects ``leistung``,
``organisationseinheit`` and ``onlinedienst``, and ``loesche`` elements naming withdrawn objects.
Messages are incremental: objects not mentioned stay as they are.

No public sample of a Landesredaktion export exists; this reader follows the structure in
REFERENCE.md and reads elements by local name, so namespace prefixes and nesting depth of
container elements do not matter. Where the code lists are not documented there (communication
channels, trust level codes), both the codes named below and plain words are accepted.
Parsed with defusedxml: entity expansion and external entities are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from portal.catalog.importers.dldb import summarise
from portal.catalog.importers.records import (
    CatalogImportError,
    ImportBatch,
    OfficeRecord,
    Responsibility,
    ServiceRecord,
)
from portal.catalog.keys import InvalidKeyError, parse_keys
from portal.catalog.text import clean_html, plain_text

# Code list leistungstextmodulleika → our module names.
TEXT_MODULES = {
    "02": "leistungsbezeichnung",
    "03": "leistungsname",
    "05": "kurztext",
    "06": "volltext",
    "07": "rechtsgrundlage",
    "08": "unterlagen",
    "09": "voraussetzungen",
    "11": "verfahrensablauf",
    "14": "formulare",
    "15": "weitere_informationen",
    "16": "hinweise",
    "18": "urheber",
    "22": "zustaendige_stelle",
    "23": "ansprechpunkt",
    "24": "teaser",
    "25": "rechtsbehelf",
}
ADDRESSEES = {"001": "buerger", "002": "unternehmen", "003": "verwaltung"}
TRUST_LEVELS = {
    "basisregistrierung": "basisregistrierung",
    "niedrig": "basisregistrierung",
    "stork-qaa-level-1": "basisregistrierung",
    "substanziell": "substanziell",
    "stork-qaa-level-3": "substanziell",
    "hoch": "hoch",
    "stork-qaa-level-4": "hoch",
}
START_LINK = "01"


def local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if local(child) == name)


def child(element: Element, name: str) -> Element | None:
    return next(children(element, name), None)


def descendants(element: Element, name: str) -> Iterator[Element]:
    return (node for node in element.iter() if local(node) == name)


def text_of(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def code_of(element: Element | None) -> str:
    """The value of an un-namespaced ``code`` child, or the element's own text."""
    if element is None:
        return ""
    code = child(element, "code")
    return text_of(code if code is not None else element)


def languages(element: Element) -> dict[str, str]:
    """``inhalt`` children by languageCode, HTML cleaned; empty ones left out."""
    result: dict[str, str] = {}
    for content in descendants(element, "inhalt"):
        language = (content.get("languageCode") or "de").split("-")[0].lower()
        # Inline HTML arrives either escaped (as text) or as child elements.
        raw = (content.text or "") + "".join(
            SafeET.tostring(node, encoding="unicode") for node in content
        )
        html = clean_html(raw)
        if html:
            result[language] = html
    return result


def parse(path: str, text: str) -> ImportBatch:
    try:
        root = SafeET.fromstring(text)
    except (ParseError, DefusedXmlException) as error:
        raise CatalogImportError(path, "(Datei)", f"kein gültiges XML: {error}") from None
    if not root.get("xzufiVersion", "").startswith("2."):
        raise CatalogImportError(path, "(Datei)", "keine XZuFi-2-Nachricht (xzufiVersion fehlt)")
    online_services = {
        service_id: service
        for service in descendants(root, "onlinedienst")
        if (service_id := text_of(child(service, "id")))
    }
    batch = ImportBatch(source=_source(root))
    for write in descendants(root, "schreibe"):
        for element in write:
            kind = local(element)
            if kind == "leistung":
                batch.services.append(_service(path, element, online_services))
            elif kind == "organisationseinheit":
                office, responsibilities = _office(path, element)
                batch.offices.append(office)
                batch.responsibilities.extend(responsibilities)
    for delete in descendants(root, "loesche"):
        for reference in delete.iter():
            name = local(reference)
            if name in {"leistungID", "leistungId"}:
                batch.withdrawn_services.append(text_of(reference))
            elif name in {"organisationseinheitID", "organisationseinheitId"}:
                batch.withdrawn_offices.append(text_of(reference))
    return batch


def _source(root: Element) -> str:
    """'xzufi:<Redaktion>' from the first scheme agency (ids and references carry it)."""
    for node in root.iter():
        if node.get("schemeAgencyID"):
            return f"xzufi:{node.get('schemeAgencyID')}"
    return "xzufi"


def _service(path: str, element: Element, online_services: dict[str, Element]) -> ServiceRecord:
    source_id = text_of(child(element, "id"))
    if not source_id:
        raise CatalogImportError(path, "leistung ohne id", "jede Leistung braucht eine id")
    try:
        keys = parse_keys([code_of(ref) for ref in children(element, "referenzLeiKa")])
    except InvalidKeyError as error:
        raise CatalogImportError(path, f"leistung {source_id}", str(error)) from None
    texts: dict[str, dict[str, str]] = {}
    for module in children(element, "modulText"):
        code = code_of(child(module, "leikaTextmodul"))
        name = TEXT_MODULES.get(code)
        content = languages(module)
        if name and content:
            texts[name] = content
    title = _first_text(texts, "leistungsname", "leistungsbezeichnung")
    if not title:
        raise CatalogImportError(path, f"leistung {source_id}", "hat keinen Namen (Modul 02/03)")
    online = _online_service(path, source_id, element, online_services)
    return ServiceRecord(
        source_id=source_id,
        name=title,
        keys=keys,
        summary=summarise(_first_text(texts, "teaser", "kurztext", "volltext", html=True)),
        texts=texts,
        fees=[_fee(path, source_id, fee) for fee in descendants(element, "modulKosten")],
        deadlines=[_duration(node) for node in descendants(element, "modulFrist")],
        processing_times=[
            _duration(node) for node in descendants(element, "modulBearbeitungsdauer")
        ],
        addressees=sorted(
            {
                ADDRESSEES[code]
                for node in element.iter()
                if local(node).lower().endswith("adressat")
                and (code := code_of(node)) in ADDRESSEES
            }
        ),
        **online,
    )


def _first_text(texts: dict[str, dict[str, str]], *names: str, html: bool = False) -> str:
    for name in names:
        value = texts.get(name, {}).get("de")
        if value:
            return value if html else plain_text(value)
    return ""


def _fee(path: str, source_id: str, element: Element) -> dict[str, Any]:
    amount = text_of(next(descendants(element, "betrag"), None))
    cents: int | None = None
    if amount:
        try:
            cents = int((Decimal(amount.replace(",", ".")) * 100).to_integral_value())
        except InvalidOperation:
            raise CatalogImportError(
                path, f"leistung {source_id}", f"ungültiger Betrag {amount!r}"
            ) from None
    currency = code_of(next(descendants(element, "waehrung"), None)) or "EUR"
    return {
        "amount_cents": cents,
        "currency": currency,
        "text": plain_text(text_of(element)) if cents is None else "",
    }


def _duration(element: Element) -> dict[str, Any]:
    return {
        "type": code_of(next(descendants(element, "typ"), None)),
        "duration": text_of(next(descendants(element, "dauer"), None)),
        "unit": code_of(next(descendants(element, "einheit"), None)),
        "text": plain_text(text_of(next(descendants(element, "beschreibung"), None))),
    }


def _online_service(
    path: str, source_id: str, leistung: Element, online_services: dict[str, Element]
) -> dict[str, Any]:
    """Online link and trust level, from an onlinedienst that points to this Leistung or
    that the Leistung points to."""
    referenced = {text_of(node) for node in leistung.iter() if local(node) == "onlinedienstID"}
    for service_id, service in online_services.items():
        serves = {text_of(node) for node in service.iter() if local(node) == "leistungID"}
        if service_id in referenced or source_id in serves:
            level_code = code_of(next(descendants(service, "vertrauensniveau"), None))
            level = TRUST_LEVELS.get(level_code.lower()) if level_code else None
            if level_code and level is None:
                raise CatalogImportError(
                    path,
                    f"onlinedienst {service_id}",
                    f"unbekanntes Vertrauensniveau {level_code!r}",
                )
            return {"online_url": _start_link(service), "trust_level": level}
    return {}


def _start_link(service: Element) -> str | None:
    links = list(children(service, "link"))
    for link in links:
        if code_of(child(link, "typ")) == START_LINK:
            return text_of(child(link, "link")) or None
    if not links:
        return None
    return text_of(child(links[0], "link")) or None


COMMUNICATION = {
    "01": "phone", "telefon": "phone",
    "02": "fax", "fax": "fax",
    "03": "email", "email": "email", "e-mail": "email",
    "04": "url", "internet": "url",
}  # fmt: skip


def _office(path: str, element: Element) -> tuple[OfficeRecord, list[tuple[str, Responsibility]]]:
    source_id = text_of(child(element, "id"))
    name = text_of(child(child(element, "name") or element, "name")) or text_of(
        child(element, "name")
    )
    if not source_id or not name:
        raise CatalogImportError(
            path, f"organisationseinheit {source_id or '(ohne id)'}", "braucht id und Namen"
        )
    address = next(descendants(element, "anschrift"), None)
    contact: dict[str, str] = {}
    for channel in descendants(element, "kommunikation"):
        kind = COMMUNICATION.get(code_of(child(channel, "kanal")).lower())
        value = text_of(child(channel, "kennung"))
        if kind and value:
            contact.setdefault(kind, value)
    hours = [
        {"text": plain_text(html)}
        for node in descendants(element, "oeffnungszeiten")
        for html in languages(node).values()
    ]
    office = OfficeRecord(
        source_id=source_id,
        name=name,
        street=" ".join(filter(None, (_part(address, "strasse"), _part(address, "hausnummer")))),
        postal_code=_part(address, "postleitzahl"),
        city=_part(address, "ort"),
        opening_hours=hours,
        phone=contact.get("phone", ""),
        fax=contact.get("fax", ""),
        email=contact.get("email", ""),
        url=contact.get("url", ""),
    )
    responsibilities = [
        (text_of(child(node, "leistungID")), Responsibility(source_id, area))
        for node in children(element, "zustaendigkeit")
        for area in ([text_of(g) for g in children(node, "gebietID")] or [""])
    ]
    return office, responsibilities


def _part(address: Element | None, name: str) -> str:
    return text_of(next(descendants(address, name), None)) if address is not None else ""
