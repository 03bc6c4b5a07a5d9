"""FIM XDatenfelder (versions 1 and 2) Stammdatenschema → our form definition.

Each top-level Datenfeldgruppe becomes a step; top-level fields between groups are gathered in
steps of their own; nested groups become sections within a step. Cardinalities ``0:…`` make a
field optional (and everything in an optional group). ``feldart``/``datentyp`` decide the field
type; ``praezisierung`` (JSON) gives lengths and ranges. Selects whose code list is not part of
the file become text fields that name the code list in their help; a list given in the
``bezug`` as ``Codeliste: "A", "B"`` becomes a choice. What is not converted is reported.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException, ElementTree

NAMESPACES = {
    "urn:xoev-de:fim:standard:xdatenfelder_1": 1,
    "urn:xoev-de:fim:standard:xdatenfelder_2": 2,
}
INLINE_LIST = re.compile(r'Codeliste:\s*((?:"[^"]+"\s*,?\s*)+)')
LOOSE_STEP_SIZE = 8


class FimError(ValueError):
    """The file is not an XDatenfelder Stammdatenschema we can read."""


@dataclass(frozen=True)
class _Named:
    name: str


@dataclass
class Conversion:
    definition: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, namespace: str) -> None:
        self.ns = "{" + namespace + "}"
        self.version = NAMESPACES[namespace]
        self.notes: list[str] = []
        self.keys: set[str] = set()

    def child(self, element: Element, name: str) -> Element | None:
        return element.find(self.ns + name)

    def text(self, element: Element, name: str) -> str:
        found = self.child(element, name)
        return (found.text or "").strip() if found is not None else ""

    def code(self, element: Element, name: str) -> str:
        found = self.child(element, name)
        if found is None:
            return ""
        code = found.find("code")
        return (code.text or "").strip() if code is not None else ""

    def ident(self, element: Element) -> tuple[str, str]:
        if self.version == 2:
            ident = self.child(element, "identifikation")
            if ident is None:
                return "", ""
            return self.text(ident, "id"), self.text(ident, "version")
        return self.text(element, "id"), self.text(element, "version")

    def label(self, element: Element) -> str:
        return self.text(element, "bezeichnungEingabe") or self.text(element, "name")

    def unique(self, base: str) -> str:
        key, number = base, 2
        while key in self.keys:
            key, number = f"{base}-{number}", number + 1
        self.keys.add(key)
        return key

    def field(self, element: Element, optional: bool, section: str) -> dict[str, Any]:
        ident, _version = self.ident(element)
        kind, datatype = self.code(element, "feldart"), self.code(element, "datentyp")
        label = self.label(element)
        help_text = self.text(element, "hilfetextEingabe")
        spec: dict[str, Any] = {
            "key": self.unique(ident.lower() or "feld"),
            "label": label,
            "required": not optional and kind != "label",
        }
        if help_text and help_text != "-":
            spec["help"] = help_text
        if section:
            spec["section"] = section
        rules = self._precision(element)
        self._type(spec, element, kind, datatype, rules)
        if spec["type"] in ("text", "textarea", "number", "integer"):
            spec.update(rules)
        if kind not in ("input", "select", "label"):
            self.notes.append(f"{ident}: Feldart „{kind}“ als Eingabefeld übernommen.")
        return spec

    def _type(
        self,
        spec: dict[str, Any],
        element: Element,
        kind: str,
        datatype: str,
        rules: dict[str, Any],
    ) -> None:
        label = spec["label"]
        if kind == "label":
            spec.update(type="info", required=False)
            content = self.text(element, "inhalt")
            if content:
                spec["help"] = content
        elif kind == "select":
            spec.update(self._select(element, label))
        elif datatype == "bool":
            spec["type"] = "yesno"
        elif datatype == "date":
            spec["type"] = "date"
        elif datatype in ("num", "num_currency"):
            spec["type"] = "number"
        elif datatype == "num_int":
            spec["type"] = "integer"
        elif datatype == "file":
            spec["type"] = "file"
        else:
            spec["type"] = "text" if (rules.get("max_length") or 0) <= 250 else "textarea"

    def _precision(self, element: Element) -> dict[str, Any]:
        raw = self.text(element, "praezisierung")
        if not raw.startswith("{"):
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        mapping = {
            "minLength": "min_length",
            "maxLength": "max_length",
            "minValue": "min",
            "maxValue": "max",
            "pattern": "pattern",
        }
        result: dict[str, Any] = {}
        for source, target in mapping.items():
            if source in data and str(data[source]).strip():
                value = data[source]
                result[target] = int(value) if target.endswith("length") else value
        if result.get("min_length") == 1:
            result.pop("min_length")  # "at least one character" is what required means
        return result

    def _select(self, element: Element, label: str) -> dict[str, Any]:
        inline = INLINE_LIST.search(self.text(element, "bezug"))
        if inline:
            values = re.findall(r'"([^"]+)"', inline.group(1))
            return {"type": "choice", "options": [{"value": v, "label": v} for v in values]}
        urn = ""
        reference = self.child(element, "codelisteReferenz")
        if reference is not None:
            generic = self.child(reference, "genericodeIdentification")
            if generic is not None:
                urn = self.text(generic, "canonicalIdentification")
        listed = self.child(element, "codeliste")
        if listed is not None and not urn:
            urn = self.text(listed, "kennung")
        ident, _version = self.ident(element)
        self.notes.append(
            f"{ident} „{label}“: Codeliste {urn or '(ohne Kennung)'} nicht in der Datei; "
            "als Textfeld übernommen."
        )
        return {"type": "text", "code_list": urn or None, "max_length": 200}

    def members(self, group: Element, optional: bool, section: str) -> list[dict[str, Any]]:
        fields: list[dict[str, Any]] = []
        for structure in group.findall(self.ns + "struktur"):
            count = self.text(structure, "anzahl") or "1:1"
            inner_optional = optional or count.startswith("0")
            if count.endswith("*") or count.split(":")[-1] not in ("0", "1"):
                self.notes.append(
                    f"{self.ident(group)[0]}: Wiederholung ({count}) wird einmal abgefragt."
                )
            contained = self.child(structure, "enthaelt")
            if contained is None:
                continue
            for element in contained:
                if element.tag == self.ns + "datenfeld":
                    fields.append(self.field(element, inner_optional, section))
                elif element.tag == self.ns + "datenfeldgruppe":
                    fields.extend(self.members(element, inner_optional, self.label(element)))
        return fields


def convert(source: Path | bytes, *, key: str | None = None, name: str | None = None) -> Conversion:
    """The definition made from a file (``source`` a path, or its bytes as uploaded, then
    ``name`` is how errors call it). Raises ``FimError`` in German for what cannot be read:
    no XML, entities or a DTD (an XML bomb), not a Stammdatenschema."""
    label = name or (source.name if isinstance(source, Path) else "Die Datei")
    path = _Named(label)
    try:
        parsed = ElementTree.parse(
            source if isinstance(source, Path) else io.BytesIO(source)
        ).getroot()
    except ElementTree.ParseError as error:
        raise FimError(f"{path.name}: kein lesbares XML ({error}).") from None
    except DefusedXmlException:
        raise FimError(
            f"{path.name}: enthält Entitäten oder eine DTD; solche Dateien nehmen wir nicht an."
        ) from None
    if parsed is None:
        raise FimError(f"{path.name}: leeres Dokument.")
    root: Element = parsed
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if namespace not in NAMESPACES or (
        not root.tag.endswith("stammdatenschema.0102")
        and not root.tag.endswith("stammdatenschema.0102001")
    ):
        raise FimError(f"{path.name}: kein XDatenfelder-Stammdatenschema (Version 1 oder 2).")
    reader = _Reader(namespace)
    schema = reader.child(root, "stammdatenschema")
    if schema is None:
        raise FimError(f"{path.name}: das Element stammdatenschema fehlt.")
    ident, version = reader.ident(schema)
    steps: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []

    def flush_loose() -> None:
        while loose:
            chunk = loose[:LOOSE_STEP_SIZE]
            del loose[:LOOSE_STEP_SIZE]
            steps.append(
                {"key": f"weitere-{len(steps) + 1}", "title": "Weitere Angaben", "fields": chunk}
            )

    for structure in schema.findall(reader.ns + "struktur"):
        count = reader.text(structure, "anzahl") or "1:1"
        optional = count.startswith("0")
        contained = reader.child(structure, "enthaelt")
        if contained is None:
            continue
        for element in contained:
            if element.tag == reader.ns + "datenfeldgruppe":
                flush_loose()
                group_id, _ = reader.ident(element)
                fields = reader.members(element, optional, "")
                if fields:
                    steps.append(
                        {"key": group_id.lower(), "title": reader.label(element), "fields": fields}
                    )
            elif element.tag == reader.ns + "datenfeld":
                loose.append(reader.field(element, optional, ""))
    flush_loose()
    rules = sum(1 for _ in schema.iter(reader.ns + "regel"))
    if rules:
        reader.notes.append(f"{rules} Regel(n) des Schemas sind nicht übernommen; bitte prüfen.")
    definition = {
        "schema": "serviceportal-form/1",
        "key": key or f"fim-{ident.lower()}",
        "version": 1,
        "title": reader.label(schema) or ident,
        "trust_level": "basisregistrierung",
        "accounts": ["buerger"],
        "fee": {"kind": "none"},
        "payment": "none",
        "source": {"fim_id": ident, "fim_version": version, "xdatenfelder": str(reader.version)},
        "steps": steps,
    }
    return Conversion(definition, reader.notes)
