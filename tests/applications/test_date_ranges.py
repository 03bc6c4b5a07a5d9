"""Plausible dates (issue 31, 10): a dog born in 2030 or 1900, kept since before its birth, is
refused with a message that names the field; the range is declared in the definition and checked
when the definition is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from portal.applications.definition import DefinitionError, parse
from portal.applications.forms import date_bound
from tests.applications.conftest import Applicant
from tests.identity.conftest import Portal

TODAY = dt.datetime.now(dt.UTC).date()


def _dog(anna: Applicant, born: str) -> Any:
    step1 = anna.begin("hund-anmelden")
    step2 = anna.post_step(step1, {"vorname": "Anna", "nachname": "Muster", "strasse": "Ring 1",
                                   "plz": "12345", "ort": "Musterstadt"})  # fmt: skip
    return anna.post_step(step2, {"name": "Bello", "rasse": "Mischling", "geschlecht": "ruede",
                                  "wurfdatum": born, "chip": ""})  # fmt: skip


def test_a_dog_is_not_born_in_the_future_nor_kept_before_its_birth(forms_portal: Portal) -> None:
    anna = Applicant(forms_portal, "anna")
    future = _dog(anna, f"{TODAY.year + 4}-03-01")
    assert future.status_code == 422
    assert f"„Wurfdatum (ungefähr genügt)“ darf nicht nach dem {TODAY:%d.%m.%Y} liegen." \
        in future.text  # fmt: skip
    ancient = _dog(anna, "1900-01-01")
    assert ancient.status_code == 422
    assert "darf nicht vor dem" in ancient.text
    born = (TODAY - dt.timedelta(days=400)).isoformat()
    step3 = _dog(anna, born)
    assert "Schritt 3 von 3" in step3.text
    before = anna.post_step(step3, {"seit": (TODAY - dt.timedelta(days=500)).isoformat(),
                                    "zuzug": "nein"})  # fmt: skip
    assert before.status_code == 422
    shown = (TODAY - dt.timedelta(days=400)).strftime("%d.%m.%Y")
    assert f"„Der Hund lebt bei Ihnen seit“ darf nicht vor „Wurfdatum (ungefähr genügt)“ " \
           f"({shown}) liegen." in before.text  # fmt: skip
    after = anna.post_step(step3, {"seit": (TODAY - dt.timedelta(days=10)).isoformat(),
                                   "zuzug": "nein"})  # fmt: skip
    assert after.status_code in (200, 303)
    assert "darf nicht" not in after.text


@pytest.mark.parametrize(
    ("bound", "message"),
    [("morgen", "Ein Datumsbereich"), ("today-30x", "Ein Datumsbereich"),
     ("a.spaeter", "kein vorher gefragtes Datumsfeld"), ("a.n", "kein vorher gefragtes")],
)  # fmt: skip
def test_a_broken_range_is_refused_when_the_definition_is_stored(bound: str, message: str) -> None:
    raw = {"schema": "serviceportal-form/1", "key": "probe", "title": "Probe", "steps": [
        {"key": "a", "title": "A", "fields": [
            {"key": "n", "type": "integer", "label": "Anzahl"},
            {"key": "tag", "type": "date", "label": "Tag", "earliest": bound},
            {"key": "spaeter", "type": "date", "label": "Später"}]}]}  # fmt: skip
    with pytest.raises(DefinitionError, match=message):
        parse(raw)


def test_relative_bounds_count_from_today() -> None:
    today = dt.datetime.now(ZoneInfo("Europe/Berlin")).date()
    assert date_bound("today", {}, {}) == (today, "")
    assert date_bound("today-14d", {}, {}) == (today - dt.timedelta(days=14), "")
    assert date_bound("today+1y", {}, {})[0] == today.replace(year=today.year + 1)
    day, label = date_bound("today-30y", {}, {})
    assert day is not None
    assert day.year == today.year - 30
    assert label == ""
    assert date_bound("2000-01-01", {}, {}) == (dt.date(2000, 1, 1), "")
    assert date_bound("a.b", {"a": {"b": "2024-05-01"}}, {"a.b": "Wurfdatum"}) == (
        dt.date(2024, 5, 1), "Wurfdatum")  # fmt: skip
    assert date_bound("a.b", {}, {})[0] is None  # nothing to compare: no check
