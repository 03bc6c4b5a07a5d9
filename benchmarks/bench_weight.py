"""Page weight: what a phone downloads for each kind of page of the demo, first and repeat visit.

    .venv/bin/python benchmarks/bench_weight.py [--json FILE]      # part of make bench

Loads the demo into a fresh SQLite database and fetches, as a browser with an empty cache
would (``Accept-Encoding: br, gzip``), each page and everything it and its stylesheets name;
bytes are counted as sent (compressed). A repeat visit sends the page's ETag back and fetches
only what was not marked immutable. Logged-in pages are fetched with a citizen's session.
Targets (issue 12): first visit ≤ 100 KB, repeat visit ≤ 15 KB.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Row, database, flask, portal_env, report

FIRST_VISIT = 100 * 1024
REPEAT_VISIT = 15 * 1024
FORM = "hund-anmelden"


def measure() -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="bench-weight-"))
    with database("sqlite", folder) as url:
        env = portal_env(url, folder)
        flask(env, "db", "upgrade")
        flask(env, "demo", "load")
        os.environ.update(env)
        from portal import create_app
        from portal.extensions import db
        from portal.identity.models import Person
        from tests.support.auth import login_as
        from tests.support.weight import measure as weigh

        app = create_app()
        anonymous = app.test_client()
        citizen = app.test_client()
        start = anonymous.get("/").get_data(as_text=True)
        themenfeld = re.findall(r'href="(/themen/[^"/?#]+)"', start)[0]
        found = anonymous.get("/suche?q=Hund").get_data(as_text=True)
        service = re.findall(r'href="(/leistungen/\d+/[^"]+)"', found)[0]
        with app.app_context():  # requests push their own contexts, so none is open for them
            person = Person(issuer="bench", subject="weight", given_name="Bea", sources={})
            db.session.add(person)
            db.session.flush()
            login_as(citizen, person)
            db.session.commit()
        page = citizen.post(
            f"/antrag/{FORM}/beginnen", data={"csrf_token": _csrf(citizen, f"/antrag/{FORM}")}
        )
        step = page.headers["Location"]
        pages = [
            ("start page", anonymous, "/"),
            ("Themenfeld page", anonymous, themenfeld),
            ("service page", anonymous, service),
            ("search page", anonymous, "/suche?q=Hund"),
            ("form start page", anonymous, f"/antrag/{FORM}"),
            ("form step, logged in", citizen, step),
            ("Postfach, logged in", citizen, "/postfach"),
        ]
        weights = [(label, weigh(client, path)) for label, client, path in pages]
    rows = []
    for label, weight in weights:
        fonts = sum(1 for url in weight.files if url.endswith(".woff2"))
        rows.append(
            Row(
                f"weight: {label}",
                "≤ 100 KB first, ≤ 15 KB repeat",
                f"{weight.first_visit / 1024:.1f} KB first ({len(weight.files) + 1} requests, "
                f"{fonts} fonts), {weight.repeat / 1024:.1f} KB repeat",
                weight.first_visit <= FIRST_VISIT and weight.repeat <= REPEAT_VISIT,
            )
        )
    return rows


def _csrf(client: object, path: str) -> str:
    html = client.get(path).get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, path
    return found[1]


if __name__ == "__main__":
    report(measure())
