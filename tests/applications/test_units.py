"""Form definitions, fees, the FIM import, Aktenzeichen and upload checks, without a server."""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portal.applications.definition import DefinitionError, parse
from portal.applications.fim import FimError, convert
from portal.applications.reference import ALPHABET, is_valid, new_reference
from portal.applications.uploads import UploadRefusedError, check, sniff
from portal.config import PROJECT_ROOT
from portal.extensions import db
from tests.applications.conftest import EXE, PDF, PNG
from tests.factories import make_office

DATA = PROJECT_ROOT.parent / "shared" / "data"
DEFINITIONS = PROJECT_ROOT / "portal" / "applications" / "definitions"


def _minimal(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "schema": "serviceportal-form/1",
        "key": "probe",
        "title": "Probe",
        "steps": [
            {
                "key": "a",
                "title": "A",
                "fields": [{"key": "n", "type": "integer", "label": "Anzahl", "max": 100}],
            },
            {"key": "b", "title": "B", "fields": [{"key": "x", "type": "text", "label": "X"}]},
        ],
    }
    raw.update(changes)
    return raw


def test_every_demo_definition_is_valid() -> None:
    for path in DEFINITIONS.glob("*.json"):
        definition = parse(json.loads(path.read_text("utf-8")))
        assert definition.steps, path.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "other"}, "schema"),
        ({"key": "Mit Leerzeichen"}, "key"),
        ({"payment": "sofort"}, "Bezahlung"),
        ({"accounts": ["verwaltung"]}, "Wer den Antrag stellen darf"),
        (
            {"fee": {"kind": "tiered", "field": "a.n", "tiers": [{"up_to": 2, "amount_cents": 1}]}},
            "letzte Stufe",
        ),
        ({"fee": {"kind": "per_item", "field": "a.fehlt"}}, "gibt es nicht"),
    ],
)
def test_broken_definitions_are_refused_with_the_place(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse(_minimal(**change))


def test_a_per_item_fee_needs_a_bounded_quantity() -> None:
    """The fee is stored as a 32-bit integer: a count without upper bound could overflow it
    (a 500 at submission on PostgreSQL)."""
    raw = _minimal(fee={"kind": "per_item", "field": "a.n", "unit_cents": 3060})
    del raw["steps"][0]["fields"][0]["max"]
    with pytest.raises(DefinitionError, match="braucht einen Höchstwert"):
        parse(raw)
    raw["steps"][0]["fields"][0]["max"] = 10**6
    with pytest.raises(DefinitionError, match="zu groß"):
        parse(raw)
    raw["steps"][0]["fields"][0]["max"] = 1000
    assert parse(raw).fee.amount({"a": {"n": "1000"}}) == 3_060_000


def test_errors_name_steps_and_fields_as_the_redaktion_sees_them() -> None:
    """The Baukasten shows these messages: a step by its number and title, a field by its
    label, never a path such as ``steps[1]``."""
    raw = _minimal()
    raw["steps"][1]["title"] = "Angaben zum Hund"
    raw["steps"][1]["fields"].append(dict(raw["steps"][1]["fields"][0]))
    with pytest.raises(DefinitionError) as caught:
        parse(raw)
    assert str(caught.value).startswith("Schritt 2 „Angaben zum Hund“:")
    assert "steps[" not in str(caught.value)
    raw = _minimal()
    raw["steps"][1]["fields"][0] |= {"type": "choice", "label": "Rasse"}
    with pytest.raises(DefinitionError, match="Feld „Rasse“: Eine Auswahl braucht"):
        parse(raw)


def test_conditions_may_only_look_back() -> None:
    raw = _minimal()
    raw["steps"][0]["show_if"] = {"field": "b.x", "equals": "1"}
    with pytest.raises(DefinitionError, match="nur ein Feld eines früheren Schritts"):
        parse(raw)
    raw = _minimal()
    raw["steps"][1]["show_if"] = {"field": "a.n", "in": ["1", "2"]}
    definition = parse(raw)
    assert [s.key for s in definition.visible_steps({"a": {"n": "3"}})] == ["a"]
    assert [s.key for s in definition.visible_steps({"a": {"n": "2"}})] == ["a", "b"]


@pytest.mark.parametrize(
    ("fee", "count", "cents"),
    [
        ({"kind": "fixed", "amount_cents": 1300}, "7", 1300),
        ({"kind": "per_item", "field": "a.n", "unit_cents": 3060}, "2", 6120),
        ({"kind": "per_item", "field": "a.n", "unit_cents": 3060}, "kaputt", 0),
        (
            {
                "kind": "tiered",
                "field": "a.n",
                "tiers": [
                    {"up_to": 1, "amount_cents": 500},
                    {"up_to": 5, "amount_cents": 900},
                    {"amount_cents": 1500},
                ],
            },
            "4",
            900,
        ),
        (
            {
                "kind": "tiered",
                "field": "a.n",
                "tiers": [{"up_to": 1, "amount_cents": 500}, {"amount_cents": 1500}],
            },
            "40",
            1500,
        ),
    ],
)
def test_fees(fee: dict[str, Any], count: str, cents: int) -> None:
    definition = parse(_minimal(fee=fee))
    assert definition.fee.amount({"a": {"n": count}}) == cents


@pytest.mark.parametrize(
    ("name", "steps", "fields"),
    [
        ("fim_xdatenfelder2_S00000121_antrag_blaue_karte_eu.xml", 12, 88),
        ("fim_xdatenfelder1_S00000036_waffenbesitzkarte.xml", 7, 46),
    ],
)
def test_real_fim_schemas_become_usable_forms(name: str, steps: int, fields: int) -> None:
    result = convert(DATA / name)
    definition = parse(result.definition)  # our own checks accept it
    assert len(definition.steps) == steps
    assert sum(len(step.fields) for step in definition.steps) == fields
    keys = [f"{s.key}.{f.key}" for s in definition.steps for f in s.fields]
    assert len(keys) == len(set(keys))
    inputs = [f for s in definition.steps for f in s.fields if f.type != "info"]
    assert inputs
    assert all(f.label for f in inputs)
    assert result.definition["source"]["xdatenfelder"] in ("1", "2")


def test_fim_details_carry_over() -> None:
    blue = parse(convert(DATA / "fim_xdatenfelder2_S00000121_antrag_blaue_karte_eu.xml").definition)
    first = blue.steps[0]
    assert first.title == "Persönliche Angaben zum Antragsteller"
    titel = first.fields[0]
    assert titel.label == "Titel"
    assert not titel.required  # 0:1 in the schema
    assert titel.help.startswith("Geben Sie Titel ein")
    assert any(f.type == "file" for s in blue.steps for f in s.fields)
    assert any(f.code_list and "geschlecht" in f.code_list for s in blue.steps for f in s.fields)
    weapons = parse(convert(DATA / "fim_xdatenfelder1_S00000036_waffenbesitzkarte.xml").definition)
    salutation = next(f for s in weapons.steps for f in s.fields if f.label == "Anrede")
    assert salutation.type == "choice"
    assert [o.value for o in salutation.options] == ["Herr", "Frau"]


def test_fim_import_refuses_other_xml(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<root/>")
    with pytest.raises(FimError, match="kein XDatenfelder"):
        convert(other)


def test_fim_import_command_stores_a_version_once(app: Flask, db_session: object) -> None:
    path = DATA / "fim_xdatenfelder1_S00000036_waffenbesitzkarte.xml"
    runner = app.test_cli_runner()
    office = make_office(source_id="ordnungsamt-wbk")
    db.session.commit()  # a savepoint: the CLI's app context ends its own session
    command = ["forms", "import-fim", str(path), "--key", "wbk-test", "--office", office.source_id]
    unknown = runner.invoke(args=[*command[:-1], "kein-amt"])
    assert unknown.exit_code != 0
    assert "office: kein Amt „kein-amt“" in unknown.output
    first = runner.invoke(args=command)
    assert first.exit_code == 0, first.output
    assert "7 Schritte, 46 Felder" in first.output
    assert "wbk-test: Version 1 (neue Version)" in first.output
    again = runner.invoke(args=command)
    assert "wbk-test: Version 1 (unverändert)" in again.output


def test_references_are_valid_and_catch_typos() -> None:
    reference = new_reference("SP", 2026)
    assert reference.startswith("SP-2026-")
    assert is_valid(reference)
    body = reference.replace("-", "")[6:]
    for index in range(len(body)):
        for replacement in ALPHABET:
            if replacement == body[index]:
                continue
            typo = body[:index] + replacement + body[index + 1 :]
            assert not is_valid(f"SP-2026-{typo[:4]}-{typo[4:]}")
    for index in range(len(body) - 1):
        if body[index] != body[index + 1]:
            swapped = body[:index] + body[index + 1] + body[index] + body[index + 2 :]
            assert not is_valid(f"SP-2026-{swapped[:4]}-{swapped[4:]}")


def test_sniffing_trusts_content_not_names() -> None:
    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0JFIF") == "image/jpeg"
    assert sniff(EXE) is None
    with pytest.raises(UploadRefusedError, match="kein erlaubtes Format"):
        check(io.BytesIO(EXE), accept=("application/pdf",), limit=1000, clamd="")
    with pytest.raises(UploadRefusedError, match="kein erlaubtes Format"):
        check(io.BytesIO(PNG), accept=("application/pdf",), limit=1000, clamd="")


def test_size_is_checked_by_reading_one_byte_more_at_most() -> None:
    class Endless(io.RawIOBase):
        read_total = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            assert size >= 0, "must not read without a limit"
            Endless.read_total += size
            return PDF[:5] + b"\0" * (size - 5)

    with pytest.raises(UploadRefusedError, match="höchstens 1 MB"):
        check(Endless(), accept=("application/pdf",), limit=1024 * 1024, clamd="")  # type: ignore[arg-type]
    assert Endless.read_total == 1024 * 1024 + 1


class FakeClamd:
    """Speaks clamd's INSTREAM: answers FOUND for data containing the EICAR marker."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.received: list[bytes] = []
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                command = conn.recv(10)
                assert command == b"zINSTREAM\0"
                data = b""
                while True:
                    size = struct.unpack("!I", self._exactly(conn, 4))[0]
                    if size == 0:
                        break
                    data += self._exactly(conn, size)
                self.received.append(data)
                verdict = (
                    b"stream: Eicar-Test-Signature FOUND\0" if b"EICAR" in data else b"stream: OK\0"
                )
                conn.sendall(verdict)

    @staticmethod
    def _exactly(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            data += conn.recv(size - len(data))
        return data


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    server = FakeClamd()
    yield server
    server.sock.close()


def test_the_virus_scan_refuses_what_clamd_finds(clamd: FakeClamd) -> None:
    clean = check(io.BytesIO(PDF), accept=("application/pdf",), limit=10_000, clamd=clamd.address)
    assert clean.content_type == "application/pdf"
    assert clamd.received == [PDF]
    infected = PDF + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
    with pytest.raises(UploadRefusedError, match="Schadsoftware"):
        check(io.BytesIO(infected), accept=("application/pdf",), limit=10_000, clamd=clamd.address)


def test_an_unreachable_scanner_refuses_the_upload() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UploadRefusedError, match="nicht auf Schadsoftware geprüft"):
        check(io.BytesIO(PDF), accept=("application/pdf",), limit=10_000, clamd=f"127.0.0.1:{port}")
