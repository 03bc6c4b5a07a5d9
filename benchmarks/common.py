"""What the benchmarks share: result rows, fresh databases, a gunicorn to measure, wrk.

Every benchmark prints its own figures and, given ``--json FILE``, writes its rows there for
``benchmarks/run.py`` (``make bench``), which prints them as one table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BIN = ROOT / ".venv" / "bin"
PG_SERVER = os.environ.get(
    "PORTAL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PORTAL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Row:
    figure: str
    target: str
    measured: str
    met: bool | None  # None: a figure without a target


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` 0.95 for p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(rows: list[Row]) -> None:
    """Print the rows; with ``--json FILE`` on the command line, also write them there."""
    print_table(rows)
    if "--json" in sys.argv:
        target = Path(sys.argv[sys.argv.index("--json") + 1])
        target.write_text(json.dumps([asdict(row) for row in rows], ensure_ascii=False), "utf-8")


def print_table(rows: list[Row]) -> None:
    header = ("figure", "target", "measured", "met?")
    cells = [
        (r.figure, r.target, r.measured, "–" if r.met is None else ("yes" if r.met else "NO"))
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(4)]
    for number, line in enumerate([header, *cells]):
        print(" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if number == 0:
            print("-+-".join("-" * width for width in widths))


def pg_available() -> bool:
    try:
        import psycopg

        url = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=2):
            return True
    except Exception:
        return False


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:
        return False


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A new empty database ("sqlite" in ``folder`` or "postgresql" on the local server)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    import psycopg

    admin = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
    name = f"portal_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def portal_env(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a portal command on ``database_url`` (development, jobs in-process)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PORTAL_") or key.startswith("PORTAL_BENCH")
    }
    env.update(
        PORTAL_ENV="development",
        PORTAL_INSTANCE_PATH=str(folder),
        PORTAL_DATABASE_URL=database_url,
        PORTAL_SECRET_KEY=secrets.token_hex(32),
        **extra,
    )
    return env


def flask(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run a ``flask`` command of the portal; seconds taken (start included) and its output."""
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - fixed command
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)}: {result.stderr[-2000:]}")
    return time.perf_counter() - started, result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    env: dict[str, str], app: str = "benchmarks.bench_wsgi:app", workers: int = 2, threads: int = 4
) -> Iterator[str]:
    """A gunicorn serving ``app`` on a free loopback port; yields its base URL."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    with log.open("w") as handle:
        server = subprocess.Popen(  # noqa: S603 - fixed command
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def citizen_login(person_id: int) -> str:
    """A two-hour citizen login of that person (added to the session, not committed); the
    cookie token, as after the login at the identity provider. Needs an app context."""
    from portal.core.db import utcnow
    from portal.extensions import db
    from portal.identity.models import AccountKind, LoginSession

    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            kind=AccountKind.CITIZEN,
            person_id=person_id,
            trust_level=3,
            issuer="bench",
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(hours=2),
            idle_seconds=7200,
        )
    )
    return token


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


WRK_DURATION = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    base: str,
    paths: list[str],
    headers: dict[str, str] | None = None,
    seconds: int = 10,
    connections: int = 8,
) -> Load:
    """Requests/s and latency of ``paths`` in turn, measured by wrk (a real load generator)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n")
        script.write(
            "local i = 0\n"
            "request = function()\n"
            "  i = i + 1\n"
            "  return wrk.format('GET', paths[(i % #paths) + 1])\n"
            "end\n"
        )
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 - fixed command
        [*command, "-s", script.name, base], capture_output=True, text=True, check=True
    ).stdout
    Path(script.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    latency = {m[0]: float(m[1]) * UNIT[m[2]] for m in WRK_DURATION.findall(output)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    failed = re.search(r"Socket errors:.*?timeout (\d+)", output)
    errors = (int(bad[1]) if bad else 0) + (int(failed[1]) if failed else 0)
    return Load(rps, latency["50"], latency["99"], errors)
