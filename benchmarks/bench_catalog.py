"""Catalogue benchmark: import at full LeiKa scale, re-import, search latency, page throughput.

    make bench-catalog            # or: .venv/bin/python benchmarks/bench_catalog.py

Builds a DLDB services file with one service per Leistungsschlüssel of the OZG/LeiKa CSV
(4,813), names from the CSV and description texts cycled from the München export, imports it
with the München locations into a fresh database (SQLite by default, PORTAL_BENCH_DATABASE_URL
for PostgreSQL), then prints:
- full import time and no-change re-import time;
- search latency p50/p95 over 200 queries made of words from real service names (ranking every
  match and loading the first page of twenty, as the search page does);
- requests/s of 200 service pages in turn next to a bare "hello" route, both served by the same
  gunicorn: for anonymous visitors (shared page cache) and for visitors with a session (each
  page rendered afresh).
Targets (issue 3): import < 20 s, re-import < 5 s, search p95 < 15 ms, page ≥ 50 % of bare.
Needs ../shared/data beside the project. Not part of `make test`.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SEARCHES = 200
LOAD_SECONDS = 10.0
LOAD_THREADS = 8
PAGES = 200


def build_services(target: Path) -> int:
    munich = json.loads((DATA / "muenchen_dldb_services_de.json").read_text(encoding="utf-8"))
    texts = [item["description"] for item in munich["data"] if item["description"]]
    fees = [item["fees"] for item in munich["data"] if item.get("fees")]
    locations = json.loads((DATA / "muenchen_dldb_locations_de.json").read_text(encoding="utf-8"))
    location_ids = [item["id"] for item in locations["data"]]
    services = []
    with (DATA / "ozg_katalog_2019_leika_leistungen.csv").open(encoding="utf-8") as handle:
        seen: set[str] = set()
        for row in csv.DictReader(handle):
            key = row["leika_schluessel"]
            if not re.fullmatch(r"99\d{12}", key) or key in seen:
                continue
            seen.add(key)
            number = len(services)
            services.append(
                {
                    "id": f"bench-{key}",
                    "name": row["leistungsbezeichnung"] or f"Leistung {key}",
                    "description": texts[number % len(texts)],
                    "fees": fees[number % len(fees)],
                    "leika": key,
                    "public": True,
                    "meta": {"url": "https://bench.example/", "keywords": "", "lastupdate": ""},
                    "locations": [{"location": location_ids[number % len(location_ids)]}],
                    "forms": [],
                    "links": [],
                    "authorities": [],
                }
            )
    target.write_text(json.dumps({"meta": {}, "data": services}, ensure_ascii=False), "utf-8")
    return len(services)


def flask(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - fixed command
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started, result.stdout


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def search_latency(env: dict[str, str], queries: list[str]) -> list[float]:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from portal import create_app
    from portal.catalog.search import load_in_order, ranked_ids

    def first_page(query: str) -> None:
        # What the search page does: rank every match, load the twenty it shows.
        load_in_order(ranked_ids(query)[:20])

    app = create_app()
    timings = []
    with app.app_context():
        for query in queries[:10]:  # warm caches
            first_page(query)
        for query in queries:
            started = time.perf_counter()
            first_page(query)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def throughput(urls: list[str], headers: dict[str, str] | None = None) -> float:
    done = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + LOAD_SECONDS

    def worker(offset: int) -> None:
        nonlocal done
        number = offset
        while time.perf_counter() < deadline:
            url = urls[number % len(urls)]
            request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
            number += LOAD_THREADS
            with lock:
                done += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done / LOAD_SECONDS


def page_throughput(env: dict[str, str], count: int) -> tuple[list[str], float, float, float]:
    """Requests/s of the bare route, of shared service pages and of freshly rendered ones."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed command
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "benchmarks.bench_wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/_bench/hello", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        pages = []
        for number in range(1, count, count // PAGES):
            with urllib.request.urlopen(f"{base}/leistungen/{number}", timeout=10) as response:  # noqa: S310
                pages.append(response.geturl())  # the canonical address, slug included
        hello_rps = throughput([base + "/_bench/hello"])
        page_rps = throughput(pages)
        # A visitor with a session (logged in) gets every page rendered afresh.
        rendered_rps = throughput(pages, {"Cookie": "portal_session=bench"})
    finally:
        server.terminate()
        server.wait(timeout=10)
    return pages, hello_rps, page_rps, rendered_rps


def main() -> None:
    if not (DATA / "muenchen_dldb_services_de.json").exists():
        sys.exit(f"{DATA} fehlt: der Benchmark braucht ../shared/data.")
    work = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "PORTAL_INSTANCE_PATH": str(work),
        "PORTAL_DATABASE_URL": os.environ.get(
            "PORTAL_BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}"
        ),
    }
    env.pop("PORTAL_REDIS_URL", None)
    services_file = work / "services.json"
    count = build_services(services_file)
    flask(env, "db", "upgrade")
    flask(env, "demo", "load")
    paths = [str(services_file), str(DATA / "muenchen_dldb_locations_de.json")]
    first, _ = flask(env, "catalog", "import", *paths)
    again, output = flask(env, "catalog", "import", *paths)
    assert f"0 neu, 0 geändert, {count} unverändert" in output, output

    rng = random.Random(42)  # noqa: S311 - reproducible sample, not security
    names = [item["name"] for item in json.loads(services_file.read_text("utf-8"))["data"]]
    words = [w for name in names for w in re.findall(r"[A-Za-zÄÖÜäöüß]{4,}", name)]
    queries = [
        rng.choice(words) if rng.random() < 0.7 else rng.choice(words)[:5] for _ in range(SEARCHES)
    ]
    timings = search_latency(env, queries)

    pages, hello_rps, page_rps, rendered_rps = page_throughput(env, count)

    print(f"database                 {env['PORTAL_DATABASE_URL'].split(':')[0]}")
    print(f"services                 {count}")
    print(f"full import              {first:6.2f} s   (target < 20 s)")
    print(f"re-import, no change     {again:6.2f} s   (target < 5 s)")
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(f"search p50 / p95         {p50:6.2f} / {p95:.2f} ms over {len(timings)} queries")
    print("                         (target p95 < 15 ms)")
    print(f"bare hello route         {hello_rps:8.0f} req/s")
    print(f"service page             {page_rps:8.0f} req/s   ({page_rps / hello_rps:.0%} of bare)")
    print(
        f"                         (target ≥ 50 %; {len(pages)} pages in turn, anonymous visitors,"
    )
    print("                         shared page cache)")
    share = rendered_rps / hello_rps
    print(f"service page, rendered   {rendered_rps:8.0f} req/s   ({share:.0%} of bare; visitor")
    print("                         with a session, no page cache)")
    print(
        f"(gunicorn 2 workers × 4 threads, {LOAD_THREADS} client threads, "
        f"{LOAD_SECONDS:.0f} s each, same machine; import times include starting the command)"
    )


if __name__ == "__main__":
    main()
