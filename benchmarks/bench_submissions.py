"""Submissions under load: 200 citizens send the demo form "Hund anmelden" at once.

    .venv/bin/python benchmarks/bench_submissions.py [--json FILE]

Production shape on this machine: a fresh PostgreSQL database, jobs through RQ on Redis, the
portal under gunicorn with two workers, one RQ worker (``flask jobs worker``). 200 citizens (each
with a login session, as after the BundID login) walk the whole form over HTTP as a browser
does — start page, "Antrag beginnen", three steps, check answers, "Absenden", confirmation —
twenty at a time. Then the benchmark waits until the worker has drained the queue and checks,
in the database and in the instance folder, that every submission has exactly one
Aktenzeichen, one Eingangsbestätigung in one Postfach thread, one hand-off delivery (delivered,
one package in the DMS folder) and one confirmation e-mail.
Prints submissions/s, p50/p95 of "Absenden" and of the whole journey, and the counts.
Needs PostgreSQL and Redis on loopback (PORTAL_BENCH_PG_URL, PORTAL_BENCH_REDIS_URL).
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    BIN,
    REDIS_URL,
    ROOT,
    Row,
    citizen_login,
    database,
    flask,
    gunicorn,
    percentile,
    pg_available,
    portal_env,
    redis_available,
    report,
)

CITIZENS = 200
CONCURRENCY = 20
FORM = "hund-anmelden"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ANSWERS = {
    "halter": {
        "vorname": "Bea",
        "nachname": "Bench",
        "strasse": "Hauptstraße 1",
        "plz": "12345",
        "ort": "Musterstadt",
        "telefon": "",
    },
    "hund": {
        "name": "Bello",
        "rasse": "Mischling",
        "geschlecht": "ruede",
        "wurfdatum": "2022-03-01",
        "chip": "",
    },
    "haltung": {"seit": "2024-05-01", "zuzug": "nein"},
}


def citizens(env: dict[str, str], count: int) -> list[str]:
    """``count`` citizens with an e-mail address and a login session; their cookie tokens."""
    os.environ.update(env)
    from portal import create_app
    from portal.extensions import db
    from portal.identity.models import Person

    app = create_app()
    tokens = []
    with app.app_context():
        for number in range(count):
            person = Person(
                issuer="bench",
                subject=f"citizen-{number}",
                given_name="Bea",
                family_name=f"Bench {number}",
                email=f"bea{number}@example.org",
                sources={},
            )
            db.session.add(person)
            db.session.flush()
            token = citizen_login(person.id)
            tokens.append(token)
        db.session.commit()
    return tokens


def _csrf(response: requests.Response) -> str:
    response.raise_for_status()
    found = CSRF.search(response.text)
    if found is None:
        raise AssertionError(f"no CSRF token on {response.url}")
    return found[1]


def journey(base: str, token: str) -> tuple[float, float, str]:
    """One citizen's way from the form's start page to the confirmation; (journey s, submit s,
    Aktenzeichen shown)."""
    started = time.perf_counter()
    with requests.Session() as browser:
        browser.cookies.set("portal_login", token)
        csrf = _csrf(browser.get(f"{base}/antrag/{FORM}", timeout=60))
        page = browser.post(f"{base}/antrag/{FORM}/beginnen", data={"csrf_token": csrf}, timeout=60)
        for step, answers in ANSWERS.items():
            if not page.url.endswith(f"/{step}"):
                raise AssertionError(f"expected step {step}, got {page.url}")
            page = browser.post(page.url, data={"csrf_token": _csrf(page), **answers}, timeout=60)
        if not page.url.endswith("/pruefen"):
            raise AssertionError(f"expected the summary, got {page.url} ({page.status_code})")
        submit_started = time.perf_counter()
        done = browser.post(
            page.url.replace("/pruefen", "/absenden"), data={"csrf_token": _csrf(page)}, timeout=60
        )
        submit = time.perf_counter() - submit_started
        done.raise_for_status()
        if not done.url.endswith("/bestaetigung"):
            raise AssertionError(f"expected the confirmation, got {done.url}")
        reference = re.search(r"[A-Z0-9]+-\d{4}-[0-9A-Z-]+", done.text)
    return time.perf_counter() - started, submit, reference[0] if reference else ""


def counts(env: dict[str, str]) -> dict[str, int]:
    """What the database holds after the run, per submitted application."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["PORTAL_DATABASE_URL"])
    # Only the benchmark's citizens: the demo's anonymous history is in the database too.
    ours = (
        "application.reference IS NOT NULL AND application.person_id IN "
        "(SELECT id FROM person WHERE issuer = 'bench')"
    )
    mine = f"SELECT id FROM application WHERE {ours}"
    queries = {
        "submitted": f"SELECT count(*) FROM application WHERE {ours}",
        "distinct Aktenzeichen": (
            f"SELECT count(DISTINCT reference) FROM application WHERE {ours}"
        ),
        "Postfach threads": (
            f"SELECT count(*) FROM postfach_thread WHERE application_id IN ({mine})"
        ),
        "receipts (Eingangsbestätigung)": "SELECT count(*) FROM postfach_message m JOIN "
        f"postfach_thread t ON t.id = m.thread_id WHERE t.application_id IN ({mine}) "
        "AND m.kind = 'eingangsbestaetigung'",
        "hand-off deliveries": (
            f"SELECT count(*) FROM handoff_delivery WHERE application_id IN ({mine})"
        ),
        "deliveries delivered": "SELECT count(*) FROM handoff_delivery WHERE state = 'zugestellt' "
        f"AND application_id IN ({mine})",
        "applications with ≠ 1 receipt": f"SELECT count(*) FROM application WHERE {ours} AND "
        "(SELECT count(*) FROM postfach_message m JOIN postfach_thread t ON t.id = m.thread_id "
        "WHERE t.application_id = application.id AND m.kind = 'eingangsbestaetigung') <> 1",
        "applications with ≠ 1 delivery": f"SELECT count(*) FROM application WHERE {ours} AND "
        "(SELECT count(*) FROM handoff_delivery d WHERE d.application_id = application.id) <> 1",
    }
    with engine.connect() as connection:
        result = {label: int(connection.scalar(text(sql)) or 0) for label, sql in queries.items()}
    engine.dispose()
    return result


def wait_for_worker(env: dict[str, str], expected: int, timeout: float = 300) -> float:
    """Seconds until every delivery is delivered (the worker drained the queue)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if counts(env)["deliveries delivered"] >= expected:
            break
        time.sleep(0.5)
    return time.perf_counter() - started


def measure() -> list[Row]:
    if not (pg_available() and redis_available()):
        print("PostgreSQL or Redis not reachable on loopback: skipped")
        return [
            Row(
                "submissions under load (PostgreSQL + Redis)",
                "all counted once",
                "not run: PostgreSQL or Redis missing",
                False,
            )
        ]
    folder = Path(tempfile.mkdtemp(prefix="bench-submissions-"))
    queue = f"bench-{secrets.token_hex(4)}"
    with database("postgresql", folder) as url:
        env = portal_env(url, folder, PORTAL_REDIS_URL=REDIS_URL, PORTAL_JOB_QUEUE=queue)
        flask(env, "db", "upgrade")
        flask(env, "demo", "load")
        tokens = citizens(env, CITIZENS)
        worker_log = (folder / "worker.log").open("w")
        worker = subprocess.Popen(  # noqa: S603 - fixed command
            [str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        try:
            with gunicorn(env, app="wsgi:app", workers=2, threads=1) as base:
                started = time.perf_counter()
                with ThreadPoolExecutor(CONCURRENCY) as pool:
                    results = list(pool.map(lambda t: journey(base, t), tokens))
                elapsed = time.perf_counter() - started
            drained = wait_for_worker(env, CITIZENS)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
            worker_log.close()
        found = counts(env)
    mails = [p.read_text("utf-8", "replace") for p in (folder / "mail").glob("*.eml")]
    confirmations = [m for m in mails if "ist eingegangen" in m]
    # One folder per package (metadata.json, data.json, anlagen/), named by its idempotency key.
    packages = [p for p in (folder / "handoff").iterdir() if (p / "metadata.json").is_file()]
    references = {reference for _, _, reference in results}
    journeys = [j * 1000 for j, _, _ in results]
    submits = [s * 1000 for _, s, _ in results]
    print(f"{CITIZENS} citizens, {CONCURRENCY} at a time, gunicorn 2 workers, 1 RQ worker")
    print(f"  {elapsed:.1f} s for all journeys, worker done {drained:.1f} s later")
    print(
        f"  packages in the hand-off folder: {len(packages)}; e-mails: {len(mails)}, of which "
        f"{len(confirmations)} confirmations to the citizens"
    )
    for label, value in found.items():
        print(f"  {label:32s} {value}")
    exact = (
        found["submitted"] == found["distinct Aktenzeichen"] == CITIZENS
        and found["Postfach threads"] == found["receipts (Eingangsbestätigung)"] == CITIZENS
        and found["hand-off deliveries"] == found["deliveries delivered"] == CITIZENS
        and found["applications with ≠ 1 receipt"] == 0
        and found["applications with ≠ 1 delivery"] == 0
        and len(confirmations) == CITIZENS
        and len(packages) == CITIZENS
        and len(references) == CITIZENS
    )
    summary = (
        f"{found['distinct Aktenzeichen']} Aktenzeichen, "
        f"{found['receipts (Eingangsbestätigung)']} receipts in "
        f"{found['Postfach threads']} threads, {found['deliveries delivered']} deliveries "
        f"delivered ({len(packages)} packages), {len(confirmations)} confirmation mails"
    )
    return [
        Row(
            f"submissions: {CITIZENS} citizens, {CONCURRENCY} at once (PostgreSQL + Redis)",
            f"each exactly once ({CITIZENS})",
            summary,
            exact,
        ),
        Row(
            "submissions: rate",
            "–",
            f"{CITIZENS / elapsed:.1f} submissions/s (whole journey, 7 requests each)",
            None,
        ),
        Row(
            "submissions: 'Absenden' p50 / p95",
            "–",
            f"{statistics.median(submits):.0f} / {percentile(submits, 0.95):.0f} ms",
            None,
        ),
        Row(
            "submissions: whole journey p50 / p95",
            "–",
            f"{statistics.median(journeys):.0f} / {percentile(journeys, 0.95):.0f} ms",
            None,
        ),
    ]


if __name__ == "__main__":
    report(measure())
