"""Leistungsschlüssel (formerly LeiKa keys): 14 digits starting with 99."""

from __future__ import annotations

import re

KEY_PATTERN = re.compile(r"^99\d{12}$")


class InvalidKeyError(ValueError):
    pass


def parse_keys(raw: str | list[str] | None) -> list[str]:
    """Split a field holding one key, several comma-separated keys, or a list; validate each.

    Returns the keys sorted and without duplicates; raises InvalidKeyError on a malformed key.
    """
    if raw is None:
        return []
    parts = raw.split(",") if isinstance(raw, str) else raw
    keys = {part.strip() for part in parts if part and part.strip()}
    for key in keys:
        if not KEY_PATTERN.match(key):
            raise InvalidKeyError(
                f"ungültiger Leistungsschlüssel {key!r} (erwartet: 99 und 12 Ziffern)"
            )
    return sorted(keys)
