"""Cleaning imported text: safe HTML, plain text, slugs."""

from __future__ import annotations

import re
import unicodedata

import nh3

# What Landesredaktion texts use; everything else (scripts, styles, event handlers) is dropped.
ALLOWED_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "a", "h3", "h4", "h5",
    "table", "thead", "tbody", "tr", "th", "td", "abbr", "blockquote",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"))
EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br>|&nbsp;)*</p>")
UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def clean_html(raw: str | None) -> str:
    """Sanitised HTML with invisible characters and empty paragraphs removed; '' if nothing left."""
    if not raw:
        return ""
    cleaned = nh3.clean(
        raw.translate(INVISIBLE),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    cleaned = EMPTY_PARAGRAPH.sub("", cleaned).strip()
    return cleaned if plain_text(cleaned) else ""


def plain_text(html: str | None) -> str:
    """The text of an HTML fragment, whitespace collapsed."""
    if not html:
        return ""
    text = nh3.clean(html.replace("<", " <"), tags=set())
    text = text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<")
    text = text.replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'")
    return " ".join(text.translate(INVISIBLE).split())


def ascii_text(value: str) -> str:
    """German text in ASCII letters: umlauts spelt out (ä → ae, ß → ss), other accents dropped."""
    return (
        unicodedata.normalize("NFKD", value.translate(UMLAUTS)).encode("ascii", "ignore").decode()
    )


def slugify(value: str, max_length: int = 80) -> str:
    """German-friendly URL slug: 'Führerschein – Umtausch' → 'fuehrerschein-umtausch'."""
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text(value).lower()).strip("-")
    return slug[:max_length].rstrip("-") or "leistung"
