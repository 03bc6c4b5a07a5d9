"""Module-level job functions for the job tests (RQ needs importable functions)."""

from __future__ import annotations

from pathlib import Path


def append_line(path: str, line: str) -> None:
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def fail_always(path: str) -> None:
    append_line(path, "tried")
    raise RuntimeError("job failed on purpose")
