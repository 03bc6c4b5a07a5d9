"""Reading a rendered page as a person does: its words, not its markup."""

from __future__ import annotations

import re

SCRIPTS = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)  # JSON-LD and the like
TAGS = re.compile(r"<[^>]+>")


def visible_text(html: str) -> str:
    """The page's text (title included) without tags, attributes or script blocks, its
    whitespace collapsed: what a reader sees, where data-… values and metadata do not count."""
    return " ".join(TAGS.sub(" ", SCRIPTS.sub(" ", html)).split())
