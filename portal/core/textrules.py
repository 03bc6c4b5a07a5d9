"""What text the portal stores and parses: one rule for every form, API and JSON body.

- No C0 control characters (NUL and the like) anywhere; line breaks and tabs only where text has
  lines (a message, a description).
- One-line fields (a name, a subject) also refuse line breaks and the bidi controls that let a
  text read differently from how it is stored (Trojan Source, CVE-2021-42574).
- JSON: strict UTF-8, no lone surrogates, a bounded depth; anything else is a ``ValueError``.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 64
# C0 controls but tab, line feed and carriage return; DEL; lone surrogates (which cannot be
# stored as UTF-8).
_NEVER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# On one line also: line breaks (incl. U+2028/2029, NEL) and the bidi embeddings, overrides and
# isolates.
_NOT_ON_ONE_LINE = re.compile(
    r"[\x00-\x1f\x7f\x85\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def clean_text(text: str) -> bool:
    """Whether ``text`` may be stored as multi-line text."""
    return _NEVER.search(text) is None


def clean_line(text: str) -> bool:
    """Whether ``text`` may be stored as a one-line value (a name, a subject)."""
    return _NOT_ON_ONE_LINE.search(text) is None


def loads(raw: str | bytes) -> Any:
    """``json.loads`` that refuses (``ValueError``) what the portal cannot store or walk:
    bytes that are not UTF-8, nesting deeper than ``MAX_JSON_DEPTH``, strings or keys with
    control characters or lone surrogates."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # strict: UnicodeDecodeError
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("JSON zu tief verschachtelt") from None
    _check(data)
    return data


def _check(data: Any) -> None:
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not clean_text(item):
                raise ValueError("JSON enthält Steuerzeichen oder ungültige Zeichen")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise ValueError("JSON zu tief verschachtelt")
            values = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((value, depth + 1) for value in values)


class _StrictJSON(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:  # noqa: ARG002 - one way to parse
        return loads(s)


class _PortalRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> NoReturn:
        raise BadRequest(
            "Der Inhalt ist kein JSON in UTF-8, enthält Steuerzeichen oder ist zu tief "
            f"verschachtelt (höchstens {MAX_JSON_DEPTH} Ebenen)."
        ) from e


def init_text_rules(app: Flask) -> None:
    """Every ``request.get_json()`` parses by ``loads``; its refusal is a German 400."""
    app.json = _StrictJSON(app)
    app.request_class = _PortalRequest
