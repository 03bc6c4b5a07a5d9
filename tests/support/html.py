"""Reading a rendered page as a person does: its words, not its markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SCRIPTS = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)  # JSON-LD and the like
TAGS = re.compile(r"<[^>]+>")


def visible_text(html: str) -> str:
    """The page's text (title included) without tags, attributes or script blocks, its
    whitespace collapsed: what a reader sees, where data-… values and metadata do not count."""
    return " ".join(TAGS.sub(" ", SCRIPTS.sub(" ", html)).split())


# Words that give German away in a sentence and hardly occur in English UI text.
GERMAN_WORDS = frozenset(
    [
        "und",
        "der",
        "die",
        "das",
        "nicht",
        "mit",
        "für",
        "ist",
        "eine",
        "einen",
        "werden",
        "wird",
        "oder",
        "auf",
        "bei",
        "zur",
        "zum",
        "vom",
        "bitte",
        "können",
        "sind",
        "noch",
        "auch",
        "nach",
        "über",
        "Sie",
        "Ihre",
        "Ihr",
        "Uhr",
        "Wochen",
        "Tage",
    ]
)
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class _OutsideGerman(HTMLParser):
    """Collects text that is not inside an element marked ``lang="de"`` (or a script)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []
        self.german = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        marked = dict(attrs).get("lang") == "de" or tag in ("script", "style")
        self.open.append((tag, marked))
        self.german += marked

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, marked = self.open.pop()
            self.german -= marked
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.german:
            self.parts.append(data)


def unmarked_german(html: str) -> list[str]:
    """German words of a page's text that no ``lang="de"`` marks as German (WCAG 3.1.2), each
    with a few words around it."""
    parser = _OutsideGerman()
    parser.feed(html[html.index("<body") :])
    words = " ".join(" ".join(parser.parts).split()).split()
    return [
        " ".join(words[max(0, i - 4) : i + 5])
        for i, word in enumerate(words)
        if word.strip('.,:;!?()„“"') in GERMAN_WORDS
    ]
