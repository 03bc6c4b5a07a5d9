"""Baukasten benchmark: saving a form of 100 fields in the editor.

    .venv/bin/python benchmarks/bench_baukasten.py [--json FILE]      # part of make bench

For SQLite and (when it runs on loopback) PostgreSQL: a fresh database with one Formularredaktion
and a draft of 10 steps × 10 fields (texts, numbers, choices with 20 answers, uploads, a condition
per step), then, through the app as the browser posts them, with CSRF and the staff login:
saving one field (the whole definition is validated and stored), saving the form's settings,
and publishing it (the same validator and store as ``flask forms load``). Prints p50/p95.
Target (issue 28): a save of a 100-field form < 300 ms. Not part of `make test`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import Row, database, pg_available, report  # noqa: E402

ROUNDS = 60
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KINDS = (
    "text",
    "integer",
    "choice",
    "date",
    "yesno",
    "textarea",
    "email",
    "file",
    "text",
    "number",
)


def definition() -> dict[str, Any]:
    steps = []
    for number in range(10):
        fields: list[dict[str, Any]] = []
        for index, kind in enumerate(KINDS):
            spec: dict[str, Any] = {"key": f"f{index}", "type": kind,
                                    "label": f"Frage {number}.{index}", "required": index % 2 == 0,
                                    "help": "Bitte so angeben wie im Ausweis."}  # fmt: skip
            if kind == "choice":
                spec["options"] = [{"value": f"o{o}", "label": f"Antwort {o}"} for o in range(20)]
            if kind in ("integer", "number"):
                spec |= {"min": 0, "max": 99}
            fields.append(spec)
        step: dict[str, Any] = {"key": f"s{number}", "title": f"Schritt {number}", "fields": fields}
        if number:
            step["show_if"] = {"field": "s0.f4", "equals": "ja"}
        steps.append(step)
    return {"schema": "serviceportal-form/1", "key": "hundert", "title": "Hundert Felder",
            "steps": steps, "fee": {"kind": "per_item", "field": "s0.f1", "unit_cents": 500},
            "payment": "afterwards"}  # fmt: skip


def _measure(kind: str) -> list[Row]:  # noqa: PLR0915 - one scene, three measurements
    from flask_migrate import upgrade

    from portal import create_app
    from portal.applications.models import FormDraft, FormDraftState
    from portal.catalog.models import Office
    from portal.core.db import utcnow
    from portal.extensions import db
    from portal.identity.models import (
        AccountKind,
        LoginSession,
        StaffAccount,
        StaffAssignment,
        StaffRole,
    )
    from portal.identity.sessions import STAFF_COOKIE, STAFF_PATH

    folder = Path(tempfile.mkdtemp(prefix="bench-baukasten-"))
    rows: list[Row] = []
    with database(kind, folder) as url:
        app = create_app({"env": "test", "database_url": url, "instance_path": str(folder),
                          "page_cache_size": 0})  # fmt: skip
        with app.app_context():
            upgrade(directory=str(app.config["PORTAL"].migrations_dir))
            office = Office(source="bench", source_id="steueramt", name="Steueramt",
                            slug="steueramt", content_hash="x")  # fmt: skip
            staff = StaffAccount(email="fr@bench.example", name="Frida Form", issuer="bench",
                                 subject="fr", active=True)  # fmt: skip
            db.session.add_all([office, staff])
            db.session.flush()
            staff.roles = [StaffAssignment(role=StaffRole.FORMULARREDAKTION, office_id=office.id)]
            draft = FormDraft(key="hundert", title="Hundert Felder", office_id=office.id,
                              definition={**definition(), "office": str(office.id)}, notes=[],
                              source="bench", state=FormDraftState.DRAFT, updated_at=utcnow(),
                              updated_by_id=staff.id, editors=[])  # fmt: skip
            db.session.add(draft)
            token = secrets.token_urlsafe(32)
            now = utcnow()
            db.session.add(LoginSession(
                token_hash=hashlib.sha256(token.encode()).hexdigest(), kind=AccountKind.STAFF,
                staff_id=staff.id, trust_level=3, issuer="bench", created_at=now,
                last_seen_at=now, expires_at=now + dt.timedelta(hours=8),
                idle_seconds=8 * 3600))  # fmt: skip
            db.session.commit()
            draft_id, office_id = draft.id, office.id
        client = app.test_client()
        client.set_cookie(STAFF_COOKIE, token, path=STAFF_PATH)
        base = f"/verwaltung/formulare/{draft_id}"
        found = CSRF.search(client.get(f"{base}/einstellungen").get_data(as_text=True))
        assert found
        csrf = found.group(1)
        field = {"csrf_token": csrf, "label": "Frage 5.0", "required": "y", "max_length": "80",
                 "help": "Wie im Ausweis.", "condition": "", "prefill": ""}  # fmt: skip
        settings = {"csrf_token": csrf, "title": "Hundert Felder", "service": "",
                    "office": str(office_id),
                    "trust_level": "basisregistrierung", "accounts": "buerger",
                    "fee_kind": "per_item", "fee_field": "s0.f1", "unit": "5,00",
                    "payment": "afterwards", "purpose": ""}  # fmt: skip
        cases = [
            ("save a field", f"{base}/felder/s5/f0", field),
            ("save the settings", f"{base}/einstellungen", settings),
            ("publish", f"{base}/veroeffentlichen", {"csrf_token": csrf}),
        ]
        for label, path, posted in cases:
            timings = []
            for number in range(ROUNDS):
                data = posted
                if label == "save a field":
                    data = {**posted, "label": f"Frage 5.0 ({number})"}  # a real change each time
                if label == "publish":
                    client.post(f"{base}/felder/s5/f0", data={**field, "label": f"V{number}"})
                begin = time.perf_counter()
                answer = client.post(path, data=data)
                timings.append((time.perf_counter() - begin) * 1000)
                assert answer.status_code == 303, (label, answer.status_code)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            median = statistics.median(timings)
            print(f"{kind:10s} {label:18s}: p50 {median:6.1f} ms, p95 {p95:6.1f} ms")
            rows.append(Row(f"Baukasten {kind}: {label}, 100 fields", "p95 < 300 ms",
                            f"p50 {median:.1f} ms, p95 {p95:.1f} ms", p95 < 300))  # fmt: skip
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return rows


def main() -> list[Row]:
    rows = _measure("sqlite")
    if pg_available():
        rows += _measure("postgresql")
    else:
        print("PostgreSQL is not running on loopback: only SQLite measured")
    return rows


if __name__ == "__main__":
    report(main())
