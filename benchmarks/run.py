"""``make bench``: every benchmark in turn, then one table (figure | target | measured | met?).

Each benchmark runs as a process of its own (a fresh interpreter and database each) and hands
its rows back through a JSON file. A benchmark that fails shows as a row that is not met, and
the others still run. Exits non-zero when a target is missed, so a script can tell.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, Row, print_table

BENCHMARKS = [
    ("page weight", "bench_weight.py", []),
    ("catalogue and search", "bench_catalog.py", []),
    ("throughput (wrk)", "bench_load.py", []),
    ("Postfach", "bench_postfach.py", []),
    ("submissions under load", "bench_submissions.py", []),
    ("Baukasten editor", "bench_baukasten.py", []),
]


def main() -> int:
    rows: list[Row] = []
    started = time.perf_counter()
    only = sys.argv[1:]
    for label, script, args in BENCHMARKS:
        if only and not any(name in script for name in only):
            continue
        print(f"== {label} ({script})", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            target = Path(handle.name)
        result = subprocess.run(  # noqa: S603 - our own scripts
            [sys.executable, str(ROOT / "benchmarks" / script), *args, "--json", str(target)],
            cwd=ROOT, env=os.environ.copy(), check=False,
        )  # fmt: skip
        try:
            rows += [Row(**row) for row in json.loads(target.read_text("utf-8"))]
        except (OSError, ValueError):
            rows.append(Row(label, "runs", f"failed (exit {result.returncode})", False))
        target.unlink(missing_ok=True)
    print()
    print(f"== make bench: {os.cpu_count()} cores, {time.perf_counter() - started:.0f} s")
    print_table(rows)
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
