"""Throughput under load, measured with wrk: the portal's pages next to a bare Flask route.

    .venv/bin/python benchmarks/bench_load.py [--database sqlite|postgresql] [--json FILE]

Builds a fresh database (SQLite, then PostgreSQL when it runs on loopback) with the demo and
the full LeiKa catalogue (4,813 services, as in bench_catalog), a citizen whose Postfach holds
40 threads, then serves the portal and a bare "hello" route from the same gunicorn (2 sync
workers, as many as cores) and lets wrk (2 threads, 8 connections, 10 s each) request, in one run:
- the bare route (before and after the pages; the faster run counts);
- the start page; a Themenfeld page; 200 service pages in turn; 20 searches in turn (anonymous,
  ``Accept-Encoding: br, gzip`` as a browser sends it);
- the Postfach inbox of the logged-in citizen (rendered afresh on every request).
Prints requests/s, p50/p99 latency and the ratio to the bare route.
Targets (issue 12): anonymous pages ≥ 0.5 × bare, logged-in inbox ≥ 0.2 × bare.
wrk and the server share the machine's cores; the ratios are what compares.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_catalog import build_services
from benchmarks.common import (
    DATA,
    Load,
    Row,
    citizen_login,
    database,
    flask,
    gunicorn,
    pg_available,
    report,
    wrk,
)

BROWSER = {"Accept-Encoding": "br, gzip"}
ANONYMOUS_SHARE = 0.5
LOGGED_IN_SHARE = 0.2
THREADS = 40
WORKERS = 2  # one per core, sync workers as in the README's production command


def citizen_with_postfach(env: dict[str, str]) -> str:
    """A citizen with a login session and a Postfach of THREADS threads; their cookie token."""
    os.environ.update(env)
    from portal import create_app
    from portal.catalog.models import Office
    from portal.core.db import utcnow
    from portal.extensions import db
    from portal.identity.models import Person
    from portal.postfach.models import Thread
    from portal.postfach.services import post

    app = create_app()
    with app.test_request_context("/"):
        office = db.session.scalars(db.select(Office).order_by(Office.id)).first()
        person = Person(
            issuer="bench",
            subject=secrets.token_hex(4),
            given_name="Bea",
            family_name="Bench",
            sources={},
        )
        db.session.add(person)
        db.session.flush()
        now = utcnow()
        for number in range(THREADS):
            thread = Thread(
                public_id=secrets.token_hex(16),
                updated_at=now - dt.timedelta(hours=number),
                subject=f"Ihre Anfrage {number:03d}",
                office_id=office.id,
                person_id=person.id,
            )
            db.session.add(thread)
            post(thread, "Guten Tag, wir haben Ihre Nachricht erhalten.", from_office=True)
        token = citizen_login(person.id)
        db.session.commit()
    return token


def canonical(base: str, path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310 - loopback
        return response.geturl().removeprefix(base)


def measure(database_kind: str) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    with database(database_kind, folder) as url:
        from benchmarks.common import portal_env

        env = portal_env(url, folder, PORTAL_PAGE_CACHE_SIZE="1000")
        services_file = folder / "services.json"
        count = build_services(services_file)
        flask(env, "db", "upgrade")
        flask(env, "demo", "load")
        flask(
            env,
            "catalog",
            "import",
            str(services_file),
            str(DATA / "muenchen_dldb_locations_de.json"),
        )
        token = citizen_with_postfach(env)
        names = [s["name"] for s in json.loads(services_file.read_text("utf-8"))["data"]]
        words = [w for name in names for w in re.findall(r"[A-Za-zÄÖÜäöüß]{4,}", name)]
        rng = random.Random(12)  # noqa: S311 - a reproducible sample
        searches = ["/suche?" + urllib.parse.urlencode({"q": rng.choice(words)}) for _ in range(20)]
        with gunicorn(env, workers=WORKERS, threads=1) as base:
            start = urllib.request.urlopen(base + "/", timeout=10).read().decode()  # noqa: S310
            themenfeld = re.findall(r'href="(/themen/[^"/?#]+)"', start)[0]
            services = [canonical(base, f"/leistungen/{n}") for n in range(1, count, count // 200)]
            pages: list[tuple[str, list[str], dict[str, str], float]] = [
                ("start page", ["/"], BROWSER, ANONYMOUS_SHARE),
                ("Themenfeld page", [themenfeld], BROWSER, ANONYMOUS_SHARE),
                (f"service page ({len(services)} in turn)", services, BROWSER, ANONYMOUS_SHARE),
                (f"search page ({len(searches)} queries)", searches, BROWSER, ANONYMOUS_SHARE),
                (
                    "Postfach inbox, logged in",
                    ["/postfach"],
                    {**BROWSER, "Cookie": f"portal_login={token}"},
                    LOGGED_IN_SHARE,
                ),
            ]
            for _label, paths, headers, _share in pages:  # warm each worker's caches
                wrk(base, paths, headers, seconds=2)
            # The bare route before and after the pages; the faster run is the yardstick, so a
            # slow moment of the machine cannot flatter the ratios.
            first = wrk(base, ["/_bench/hello"])
            results = [(label, wrk(base, p, h), share) for label, p, h, share in pages]
            last = wrk(base, ["/_bench/hello"])
            bare = max(first, last, key=lambda load: load.requests_per_second)
    print(f"{database_kind}: {count} services; gunicorn {WORKERS} sync workers; wrk 2 × 8, 10 s")
    rows = [_row(f"throughput {database_kind}: bare Flask route", bare, None, bare)]
    rows += [
        _row(f"throughput {database_kind}: {label}", load, share, bare)
        for label, load, share in results
    ]
    return rows


def _row(figure: str, load: Load, share: float | None, bare: Load) -> Row:
    ratio = load.requests_per_second / bare.requests_per_second
    measured = (
        f"{load.requests_per_second:,.0f} req/s = {ratio:.2f} × bare, "
        f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"
    )
    if load.errors:
        measured += f", {load.errors} ERRORS"
    if share is None:
        return Row(figure, "–", measured, None if not load.errors else False)
    return Row(figure, f"≥ {share} × bare", measured, ratio >= share and not load.errors)


def main() -> None:
    if shutil.which("wrk") is None:
        report([Row("throughput", "measured with wrk", "not run: wrk missing (apt-get install wrk)",
                    False)])  # fmt: skip
        return
    if "--database" in sys.argv:
        kinds = [sys.argv[sys.argv.index("--database") + 1]]
    else:
        kinds = ["sqlite", "postgresql"] if pg_available() else ["sqlite"]
    report([row for kind in kinds for row in measure(kind)])


if __name__ == "__main__":
    main()
