"""Postfach benchmark: inbox latency for an account with 10,000 messages.

    .venv/bin/python benchmarks/bench_postfach.py [--json FILE]      # part of make bench

Builds a fresh database (SQLite by default, PORTAL_BENCH_DATABASE_URL for PostgreSQL) with one
citizen whose Postfach holds 2,000 threads of 5 messages each (10,000 messages, bodies encrypted
as in production, every third one unread), then requests the inbox pages through the app as a
logged-in browser would and prints p50/p95 for the first page, a middle page and the last page.
Target (issue 6): p95 < 50 ms with pagination. Not part of `make test`.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import Row, citizen_login, report  # noqa: E402

THREADS = 2000
PER_THREAD = 5
ROUNDS = 200
SEARCH_ROUNDS = 20


def main() -> list[Row]:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.catalog.models import Office
    from portal.core.db import utcnow
    from portal.extensions import db
    from portal.identity.models import Person
    from portal.postfach.models import Message, SearchToken, Thread
    from portal.postfach.services import PAGE_SIZE, seal, word_tokens

    folder = Path(tempfile.mkdtemp(prefix="bench-postfach-"))
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {"env": "test", "database_url": url, "instance_path": str(folder), "page_cache_size": 0}
    )
    with app.app_context():
        upgrade(directory=str(app.config["PORTAL"].migrations_dir))
        person = Person(issuer="bench", subject=secrets.token_hex(4), given_name="Bea", sources={})
        office = Office(
            source="bench", source_id="buergerbuero", name="Bürgerbüro", slug="buergerbuero",
            content_hash="x",
        )  # fmt: skip
        db.session.add_all([person, office])
        db.session.flush()
        started = time.perf_counter()
        now = utcnow()
        text = "Guten Tag, anbei die Unterlagen zu Ihrem Antrag. " * 4
        with app.test_request_context("/"):
            body, tokens = seal(text), sorted(word_tokens(text))
        for number in range(THREADS):
            thread = Thread(
                public_id=secrets.token_hex(16),
                updated_at=now - dt.timedelta(minutes=number),
                subject=f"Vorgang {number:05d}",
                office_id=office.id,
                person_id=person.id,
            )
            db.session.add(thread)
            for index in range(PER_THREAD):
                message = Message(
                    public_id=secrets.token_hex(16),
                    thread=thread,
                    from_office=index % 2 == 0,
                    body=body,
                    read_at=None if (number * PER_THREAD + index) % 3 == 0 else now,
                )
                message.search_tokens = [SearchToken(token=token) for token in tokens]
                db.session.add(message)
            if number % 200 == 199:
                db.session.flush()
        token = citizen_login(person.id)
        db.session.commit()
        kind, built = url.split(":", 1)[0], time.perf_counter() - started
        print(f"database: {kind}, {THREADS * PER_THREAD:,} messages in {THREADS:,} threads")
        print(f"  built in {built:.1f} s")
    client = app.test_client()
    client.set_cookie("portal_login", token)
    last = -(-THREADS // PAGE_SIZE)
    rows = []
    for label, page in (("first page", 1), ("middle page", last // 2), ("last page", last)):
        timings = []
        for _ in range(ROUNDS):
            begin = time.perf_counter()
            response = client.get(f"/postfach?seite={page}")
            timings.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.status_code
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        median, verdict = statistics.median(timings), "meets" if p95 < 50 else "MISSES"
        print(
            f"inbox {label:12s} (page {page:3d} of {last}): p50 {median:6.1f} ms, p95 {p95:6.1f} ms"
        )
        print(f"  {verdict} the target p95 < 50 ms")
        rows.append(
            Row(
                f"Postfach {kind}: inbox {label}, 10,000 messages",
                "p95 < 50 ms",
                f"p50 {median:.1f} ms, p95 {p95:.1f} ms",
                p95 < 50,
            )
        )
    _search(client)
    return rows


def _search(client: Any) -> None:
    """Search: subjects and Aktenzeichen in SQL, bodies decrypted (at most 50 hits). The worst
    case is a word in no message: every one of the account's messages is decrypted."""
    for label, words in (
        ("subject hit", "Vorgang 01999"),
        ("body hits", "Unterlagen"),
        ("two words", "Unterlagen Antrag"),
        ("no hit", "Zwetschgen"),
    ):
        timings = []
        for _ in range(SEARCH_ROUNDS):
            begin = time.perf_counter()
            response = client.get("/postfach", query_string={"q": words})
            timings.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.status_code
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"search {label:11s}: p50 {statistics.median(timings):6.1f} ms, p95 {p95:6.1f} ms")


if __name__ == "__main__":
    report(main())
