"""Full-text search over the published Leistungen, in the database's own index.

One analyser for both databases: lower case, umlauts folded (ä → ae, ß → ss), Snowball German
stems. The index holds the analysed terms; SQLite keeps them in an FTS5 table
(``catalog_search_fts``), PostgreSQL in a ``tsvector`` column with a GIN index
(``catalog_search_document``, ``simple`` configuration because the German stemming already
happened here — the same stems on both databases, so both rank and match alike).

What citizens get forgiven:
- prefixes: every term matches as a prefix ("Perso" → "Personalausweis");
- synonyms from ``data/synonyme.txt`` ("Ummeldung", "umziehen" → "Wohnsitz anmelden"), and in
  the English interface also from ``data/synonyms_en.txt`` ("dog" → "Hund");
- one typo per term: a term unknown to the index is replaced by known terms one edit away, and
  the results page says what it searched for instead (:func:`corrected_query`);
- ranking: the exact service name first, then services whose Redaktion keywords contain the
  query as a whole keyword, then names starting with the query (each alphabetically), then
  the index's relevance (BM25 on SQLite, ts_rank_cd on PostgreSQL) with the name weighted
  above the Redaktion's keywords and those above the text;
- a word nothing matches together with the others: the services matching most of the words
  come instead, marked as partial matches (:func:`ranked`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer
from sqlalchemy import Float, Integer, bindparam, select, text
from sqlalchemy.orm import load_only

from portal.catalog.models import Leistung
from portal.catalog.text import plain_text
from portal.extensions import db

SYNONYM_FILE = Path(__file__).resolve().parent / "data" / "synonyme.txt"
# Words of other interface languages → German search words, used when the visitor reads the
# portal in that language (the catalogue texts are German).
LANGUAGE_SYNONYM_FILES = {"en": Path(__file__).resolve().parent / "data" / "synonyms_en.txt"}
STOP_WORD_FILE = Path(__file__).resolve().parent / "data" / "stoppwoerter.txt"
FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
TOKEN = re.compile(r"[a-z0-9]+")
MAX_CANDIDATES = 500
MAX_PARTIAL_WORDS = 6  # words looked up one by one when no service matches them all
MIN_COMPOUND, MIN_PART = 8, 4  # unknown words this long are tried as two known ones
MAX_SPELLINGS = 30  # combinations of synonyms compared with the names when ranking
BODY_MODULES = ("teaser", "kurztext", "volltext", "voraussetzungen", "unterlagen")


def fold(value: str) -> str:
    lowered = value.lower().translate(FOLD)
    return unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")


@cache
def _stemmer() -> Any:
    return snowballstemmer.stemmer("german")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball is pure Python and slow; a catalogue's vocabulary is small, so cache per word."""
    result: str = _stemmer().stemWord(word)
    return result


def analyse(value: str) -> list[str]:
    """The index terms of a text."""
    return [term for term in map(stem, TOKEN.findall(fold(value))) if term]


@cache
def synonyms(language: str = "de") -> dict[tuple[str, ...], list[str]]:
    """``Perso => Personalausweis`` lines: analysed left side → the right sides' texts."""
    table: dict[tuple[str, ...], list[str]] = {}
    files = [SYNONYM_FILE]
    if language in LANGUAGE_SYNONYM_FILES:
        files.append(LANGUAGE_SYNONYM_FILES[language])
    for path in files:
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if "=>" not in line:
                continue
            left, right = (part.strip() for part in line.split("=>", 1))
            targets = [part.strip() for part in right.split(",") if part.strip()]
            for phrase in left.split(","):  # several spellings may share one line
                key = tuple(analyse(phrase))
                if key:
                    known = table.setdefault(key, [])
                    known.extend(target for target in targets if target not in known)
    return table


@cache
def stop_words() -> frozenset[str]:
    """Folded filler words from ``data/stoppwoerter.txt``."""
    words = set()
    for raw in STOP_WORD_FILE.read_text(encoding="utf-8").splitlines():
        words.update(TOKEN.findall(fold(raw.split("#", 1)[0])))
    return frozenset(words)


def document_for(leistung: Leistung) -> dict[str, str]:
    """Name, keyword and body terms of a Leistung as stored in the index."""
    body_parts = [leistung.summary]
    for module in BODY_MODULES:
        body_parts.extend(plain_text(html) for html in leistung.texts.get(module, {}).values())
    body_parts.extend(row.key for row in leistung.keys)
    return {
        "name": " ".join(analyse(leistung.name)),
        "keywords": " ".join(analyse(leistung.keywords)),
        "body": " ".join(analyse(" ".join(body_parts))),
    }


def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def reindex(leistung_ids: Iterable[int]) -> int:
    """Bring the index up to date for these Leistungen (published ones in, others out).

    Runs in the caller's transaction; does not commit. Returns how many were indexed.
    """
    ids = sorted(set(leistung_ids))
    if not ids:
        return 0
    table = "catalog_search_fts" if _is_sqlite() else "catalog_search_document"
    delete = text(f"DELETE FROM {table} WHERE leistung_id IN :ids").bindparams(  # noqa: S608
        bindparam("ids", expanding=True)
    )
    db.session.execute(delete, {"ids": ids})
    rows = []
    for leistung in db.session.scalars(select(Leistung).where(Leistung.id.in_(ids))):
        if leistung.published:
            rows.append({"id": leistung.id, **document_for(leistung)})
    if rows:
        if _is_sqlite():
            insert = (
                "INSERT INTO catalog_search_fts (leistung_id, name, keywords, body) "
                "VALUES (:id, :name, :keywords, :body)"
            )
        else:
            insert = (
                "INSERT INTO catalog_search_document (leistung_id, vector) VALUES (:id, "
                "setweight(to_tsvector('simple', :name), 'A') || "
                "setweight(to_tsvector('simple', :keywords), 'B') || "
                "setweight(to_tsvector('simple', :body), 'C'))"
            )
        db.session.execute(text(insert), rows)
        _remember_terms(
            term
            for row in rows
            for term in f"{row['name']} {row['keywords']} {row['body']}".split()
        )
    return len(rows)


def reindex_all() -> int:
    return reindex(db.session.scalars(select(Leistung.id)))


def _remember_terms(terms: Iterable[str]) -> None:
    """Keep the vocabulary the typo tolerance chooses from."""
    new = set(terms)
    known = set(
        db.session.scalars(
            text("SELECT term FROM catalog_search_term WHERE term IN :terms").bindparams(
                bindparam("terms", expanding=True)
            ),
            {"terms": sorted(new)},
        )
    )
    missing = sorted(new - known)
    if missing:
        db.session.execute(
            text("INSERT INTO catalog_search_term (term) VALUES (:term)"),
            [{"term": term} for term in missing],
        )


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differences) == 1:
            return True
        i = differences[0] if len(differences) == 2 else -1
        return i >= 0 and differences[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _prefix_known(term: str) -> bool:
    """Whether the index knows a term starting with ``term``."""
    return bool(
        db.session.scalar(
            text("SELECT 1 FROM catalog_search_term WHERE term >= :term AND term < :end LIMIT 1"),
            {"term": term, "end": term + "\uffff"},
        )
    )


def _alternatives(term: str, word: str) -> list[str]:
    """The term itself if the index knows a word starting with it; otherwise indexed terms one
    typo away from the stem or from the typed word (a typo can change what the stemmer cuts)."""
    if len(term) < 4 or _prefix_known(term):
        return [term]
    return _close_terms(term, word) or [term]


def _close_terms(term: str, word: str) -> list[str]:
    """Indexed terms one typo away from the stem or from the typed word."""
    candidates = db.session.scalars(
        text("SELECT term FROM catalog_search_term WHERE term LIKE :start"),
        {"start": term[:1] + "%"},
    )
    return sorted(
        candidate
        for candidate in candidates
        if any(
            abs(len(candidate) - len(typed)) <= 1 and _within_one_edit(candidate, typed)
            for typed in (term, word)
        )
    )


def _split_compound(word: str, language: str) -> list[str] | None:
    """An unknown compound as two words the index or the synonyms know ("kitaplatz" → "kita",
    "platz"), or of which they know the part that makes up most of it ("anwohnerparkausweis" →
    "anwohner", "parkausweis"); ``None`` if there is no such split."""
    if len(word) < MIN_COMPOUND:
        return None
    table = synonyms(language)

    def known(part: str) -> bool:
        return len(part) >= MIN_PART and ((stem(part),) in table or _prefix_known(stem(part)))

    best: tuple[int, int, list[str]] | None = None
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        first, rest = word[:cut], word[cut:]
        for second in (rest, rest[1:] if rest[:1] == "s" else ""):  # the Fugen-s
            if len(second) < MIN_PART:
                continue
            first_known, second_known = known(first), known(second)
            if not (first_known and second_known):
                # One known part alone must carry most of the word ("anwohner|parkausweis"),
                # or any word ending in "-verordnung" would find every Verordnung.
                known_part = first if first_known else second if second_known else ""
                if 2 * len(known_part) < len(word):
                    continue
            longest = max(
                len(part) for part, ok in ((first, first_known), (second, second_known)) if ok
            )
            score = (int(first_known and second_known), longest, [first, second])
            if best is None or score[:2] > best[:2]:
                best = score
    return best[2] if best else None


def _joined(words: list[str]) -> list[str] | None:
    """Two neighbouring words the index knows as one compound ("vaterschaft anerkennen" →
    "vaterschaftsanerkennen", with or without the Fugen-s), the rest as typed; else ``None``."""
    for position in range(len(words) - 1):
        first, second = words[position], words[position + 1]
        for glue in ("", "s", "n", "en"):
            compound = f"{first}{glue}{second}"
            if _prefix_known(stem(compound)):
                return [*words[:position], compound, *words[position + 2 :]]
    return None


Alternative = tuple[str, ...]  # terms that must all match (as prefixes)


def query_words(query: str) -> tuple[list[str], bool]:
    """The folded words to search for, and whether to look in the names only.

    Filler words ("nach", "eines") match most of the catalogue and say nothing about it: they
    are dropped when the query has other words; a query of filler words alone searches names.
    """
    words = TOKEN.findall(fold(query))
    meaningful = [word for word in words if word not in stop_words()]
    if meaningful:
        return meaningful, False
    return words, bool(words)


def query_groups(query: str, language: str = "de") -> list[list[Alternative]]:
    """The analysed query: AND-ed groups, each a list of OR-ed alternatives."""
    words, _ = query_words(query)
    return _groups(words, language)


def _groups(words: list[str], language: str = "de") -> list[list[Alternative]]:
    return [group for group, _words in _grouped(words, language)]


def _grouped(words: list[str], language: str = "de") -> list[tuple[list[Alternative], str]]:
    """Each AND-ed group with the typed words it stands for (a synonym may take several)."""
    terms = [stem(word) for word in words]
    groups: list[tuple[list[Alternative], str]] = []
    table = synonyms(language)
    position = 0
    while position < len(terms):
        for length in range(min(3, len(terms) - position), 0, -1):
            phrase = tuple(terms[position : position + length])
            if phrase in table:
                expansions = {tuple(analyse(target)) for target in table[phrase]}
                typed = " ".join(words[position : position + length])
                groups.append((sorted({phrase, *(e for e in expansions if e)}), typed))
                position += length
                break
        else:
            word, term = words[position], terms[position]
            known = len(term) < 4 or _prefix_known(term)
            close = [] if known else _close_terms(term, word)
            # Neither known nor a typo away: perhaps two known words written as one.
            parts = None if known or close else _split_compound(word, language)
            if parts:
                groups.extend(_grouped(parts, language))
            else:
                groups.append(([(alternative,) for alternative in close or [term]], word))
            position += 1
    return groups


def _fts_match(groups: list[list[Alternative]], names_only: bool) -> str:
    def alternative(terms: Alternative) -> str:
        return "(" + " AND ".join(f'"{term}"*' for term in terms) + ")"

    match = " AND ".join("(" + " OR ".join(map(alternative, group)) + ")" for group in groups)
    return f"name : ({match})" if names_only else match


def _tsquery(groups: list[list[Alternative]], names_only: bool) -> str:
    weight = "A" if names_only else ""  # the name is weighted A in the index

    def alternative(terms: Alternative) -> str:
        return "(" + " & ".join(f"{term}:*{weight}" for term in terms) + ")"

    return " & ".join("(" + " | ".join(map(alternative, group)) + ")" for group in groups)


def _matches(groups: list[list[Alternative]], names_only: bool) -> Any:
    """The index's matches as a subquery of (leistung_id, rank), lower rank = better."""
    if _is_sqlite():
        sql = text(
            "SELECT leistung_id, bm25(catalog_search_fts, 0.0, 10.0, 4.0, 1.0) AS rank "
            "FROM catalog_search_fts WHERE catalog_search_fts MATCH :match"
        ).bindparams(match=_fts_match(groups, names_only))
    else:
        sql = text(
            "SELECT leistung_id, -ts_rank_cd(vector, to_tsquery('simple', :query)) AS rank "
            "FROM catalog_search_document WHERE vector @@ to_tsquery('simple', :query)"
        ).bindparams(query=_tsquery(groups, names_only))
    return sql.columns(leistung_id=Integer, rank=Float).subquery("matches")


def ranked_ids(
    query: str, *, online_only: bool = False, addressee: str = "", language: str = "de"
) -> list[int]:
    """Ids of the published Leistungen matching every word of the query, best first."""
    return ranked(query, online_only=online_only, addressee=addressee, language=language)[0]


def ranked(
    query: str, *, online_only: bool = False, addressee: str = "", language: str = "de"
) -> tuple[list[int], bool]:
    """Ids of the published Leistungen matching the query, best first, and whether they are
    partial matches.

    Strict first: every word (or its synonym, or its correction) must match. When nothing
    matches every word of a query of several, the services matching the most of its words
    come instead ("hund ummelden": the dog services, though none is called an Ummeldung) and
    the caller says so. One round trip per word for that fallback; the strict search is one.
    """
    words, names_only = query_words(query)
    grouped = _grouped(words, language)
    if not grouped:
        return [], False
    groups = [group for group, _typed in grouped]
    rows = _candidates(groups, names_only)
    if rows or len(groups) < 2:
        wanted, spellings = " ".join(words), _spellings(groups)
        ordered = sorted(rows, key=lambda row: _order(row, wanted, spellings))
        return _filtered(ordered, online_only, addressee), False
    joined = _joined(words)
    if joined is not None:
        retried = ranked(
            " ".join(joined), online_only=online_only, addressee=addressee, language=language
        )
        if retried[0]:
            return retried
    # Partial: each word on its own. A service matching more words ranks above one matching
    # fewer; among those matching as many, the earlier word's services first (everyday queries
    # name the thing first and what to do with it after: "hund ummelden", "taxi konzession"),
    # then as closely as the name matches the word ("Reisepass" before "Verlust oder Diebstahl
    # Reisepass").
    found: dict[int, tuple[Any, int, tuple[int, int, float, str]]] = {}
    for position, (group, typed) in enumerate(grouped[:MAX_PARTIAL_WORDS]):
        spellings = _spellings([group])
        for row in _candidates([group], names_only):
            key = (position, *_order(row, typed, spellings))
            seen = found.get(row.id)
            found[row.id] = (row, seen[1] + 1, min(seen[2], key)) if seen else (row, 1, key)
    ordered = [
        row for row, _count, _key in sorted(found.values(), key=lambda item: (-item[1], item[2]))
    ]
    return _filtered(ordered, online_only, addressee), bool(ordered)


def _candidates(groups: list[list[Alternative]], names_only: bool) -> list[Any]:
    """The index's best matches joined to the plain columns the ranking and the filters need
    (not ORM objects: a broad query ranks hundreds, of which a page shows twenty)."""
    matches = _matches(groups, names_only)
    return list(
        db.session.execute(
            select(
                Leistung.id,
                matches.c.rank,
                Leistung.name,
                Leistung.keywords,
                Leistung.online_url,
                Leistung.addressees,
            )
            .join(matches, matches.c.leistung_id == Leistung.id)
            .where(Leistung.published)
            .order_by(matches.c.rank)
            .limit(MAX_CANDIDATES)
        ).all()
    )


def _spellings(groups: list[list[Alternative]]) -> frozenset[str]:
    """The query's groups as stemmed phrases, each synonym and correction spelled out (a few
    dozen at most): "heiraten" is also "eheschliess"."""
    spellings = [""]
    for group in groups:
        spellings = [
            f"{start} {' '.join(alternative)}".strip()
            for start in spellings
            for alternative in group
        ][:MAX_SPELLINGS]
    return frozenset(spellings)


def _order(row: Any, wanted: str, spellings: frozenset[str]) -> tuple[int, float, str]:
    """Names and query compared as folded words: punctuation and the filler words a citizen
    may have typed around the name ("einen Reisepass") do not matter; nor does which of the
    query's synonyms the name uses ("Heiraten" → "Eheschließung")."""
    name = _folded(row.name)
    stems = _stemmed(name)
    if name == wanted or stems in spellings:
        closeness = 0
    elif wanted in _folded_keywords(row.keywords):  # the Redaktion's exact search word
        closeness = 1
    elif name.startswith(wanted) or any(stems.startswith(f"{item} ") for item in spellings):
        closeness = 2
    else:
        # Only loose matches are ordered by the index's relevance; the close ones above read
        # best in alphabetical order (…-Abmeldung, …-Anmeldung, …-Ummeldung).
        return 3, row.rank, name
    return closeness, 0.0, name


def _filtered(rows: list[Any], online_only: bool, addressee: str) -> list[int]:
    return [
        row.id
        for row in rows
        if (not online_only or row.online_url) and (not addressee or addressee in row.addressees)
    ]


def corrected_query(query: str, names: list[str], language: str = "de") -> str | None:
    """What was searched for instead when a word was not in the index (a typo), else ``None``.

    The index knows stems ("personalausweis", "anmeld"); a citizen reads words, so each
    replaced word is shown as it is written in the names of the results, where one has it.
    """
    words, _ = query_words(query)
    typed = {fold(token): token for token in re.findall(r"[\w-]+", query)}
    table = synonyms(language)
    shown: list[str] = []
    changed = False
    for word in words:
        term = stem(word)
        alternatives = [term] if (term,) in table else _alternatives(term, word)
        if alternatives == [term]:
            shown.append(typed.get(word, word))
            continue
        changed = True
        written = [
            token
            for name in names
            for token in re.findall(r"[\w-]+", name)
            if stem(fold(token)) in alternatives
        ]
        shown.append(written[0] if written else alternatives[0])
    return " ".join(shown) if changed else None


@lru_cache(maxsize=50_000)
def _folded(name: str) -> str:
    """A name as folded words, cached: ranking looks at every candidate's name on each search."""
    return " ".join(TOKEN.findall(fold(name)))


@lru_cache(maxsize=50_000)
def _stemmed(folded: str) -> str:
    return " ".join(stem(word) for word in folded.split())


@lru_cache(maxsize=50_000)
def _folded_keywords(keywords: str) -> frozenset[str]:
    return frozenset(_folded(keyword) for keyword in keywords.split(","))


def load_in_order(ids: list[int]) -> list[Leistung]:
    """The Leistungen with these ids, in the given order, without their text modules."""
    columns = load_only(
        Leistung.name, Leistung.slug, Leistung.summary, Leistung.online_url, Leistung.published
    )
    found = {
        row.id: row
        for row in db.session.scalars(select(Leistung).options(columns).where(Leistung.id.in_(ids)))
    }
    return [found[item] for item in ids if item in found]


def search(query: str, *, online_only: bool = False, addressee: str = "") -> list[Leistung]:
    """All published Leistungen matching the query, best first."""
    return load_in_order(ranked_ids(query, online_only=online_only, addressee=addressee))
