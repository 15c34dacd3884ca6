"""Sedation scores and clinical events on the timeline, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.events import (
    MAX_NOTE_LENGTH,
    ClinicalEvent,
    ClinicalEventKind,
    SedationEntry,
    SedationScale,
    entry_from_dict,
    in_time_order,
    new_clinical_event,
    new_sedation_entry,
    validate_clinical_event,
    validate_sedation_entry,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RASS, MOAAS = SedationScale.RASS, SedationScale.MOAAS


def fields(errors: list) -> list[str]:
    return [e.field for e in errors]


@pytest.mark.parametrize("score", range(-5, 5))
def test_every_rass_score_is_valid(score: int) -> None:
    entry = new_sedation_entry(NOW, RASS, score, entered_by="ab")
    assert validate_sedation_entry(entry, NOW) == []


@pytest.mark.parametrize("score", range(0, 6))
def test_every_moaas_score_is_valid(score: int) -> None:
    entry = new_sedation_entry(NOW, MOAAS, score, entered_by="ab")
    assert validate_sedation_entry(entry, NOW) == []


@pytest.mark.parametrize(
    ("scale", "score", "message"),
    [
        (RASS, 5, "5 is not between -5 and +4"),
        (RASS, -6, "-6 is not between -5 and +4"),
        (MOAAS, 6, "6 is not between 0 and 5"),
        (MOAAS, -1, "-1 is not between 0 and 5"),
        (RASS, 1.5, "'1.5' is not a whole number"),
        (MOAAS, True, "'True' is not a whole number"),
    ],
)
def test_score_outside_the_scale_names_the_scale(scale: SedationScale, score: object,
                                                 message: str) -> None:
    entry = SedationEntry(scale, score, NOW, "AB")  # type: ignore[arg-type]
    errors = validate_sedation_entry(entry, NOW)
    assert [(e.field, e.message) for e in errors] == [(scale.label, message)]


@pytest.mark.parametrize(
    ("scale", "score", "text"),
    [
        (RASS, 4, "RASS +4 combative"),
        (RASS, 0, "RASS 0 alert and calm"),
        (RASS, -2, "RASS -2 light sedation"),
        (RASS, -5, "RASS -5 unarousable"),
        (MOAAS, 5, "MOAA/S 5 responds readily to name spoken in normal tone"),
        (MOAAS, 0, "MOAA/S 0 no response after painful trapezius squeeze"),
    ],
)
def test_sedation_text(scale: SedationScale, score: int, text: str) -> None:
    assert SedationEntry(scale, score, NOW).text == text


@pytest.mark.parametrize(
    ("at", "entered_by", "note", "expected"),
    [
        (NOW, "AB", "", []),
        (NOW + timedelta(minutes=2), "AB", "", []),  # clock drift allowed
        (NOW + timedelta(minutes=3), "AB", "", ["Time"]),
        (datetime(2025, 3, 1, 11, 0), "AB", "", ["Time"]),  # naive
        (NOW, "", "", ["Initials"]),
        (NOW, "A1", "", ["Initials"]),
        (NOW, "ABCDEFG", "", ["Initials"]),
        (NOW, "A.B.", "", []),
        (NOW, "AB", "x" * (MAX_NOTE_LENGTH + 1), ["Note"]),
        (NOW, "AB", "x" * MAX_NOTE_LENGTH, []),
        (NOW + timedelta(hours=1), " ", "", ["Time", "Initials"]),
    ],
)
def test_time_initials_and_note(at: datetime, entered_by: str, note: str,
                                expected: list[str]) -> None:
    sedation = SedationEntry(RASS, 0, at, entered_by, note)
    event = ClinicalEvent(ClinicalEventKind.NAUSEA, at, entered_by, note)
    assert fields(validate_sedation_entry(sedation, NOW)) == expected
    assert fields(validate_clinical_event(event, NOW)) == expected


@pytest.mark.parametrize(
    ("kind", "note", "expected"),
    [
        (ClinicalEventKind.NAUSEA, "", []),
        (ClinicalEventKind.DISSOCIATION, "", []),
        (ClinicalEventKind.HALLUCINATION, "visual, not distressed", []),
        (ClinicalEventKind.ANTIEMETIC_GIVEN, "", ["Note"]),
        (ClinicalEventKind.ANTIEMETIC_GIVEN, "ondansetron 4 mg IV", []),
        (ClinicalEventKind.OTHER, "  ", ["Note"]),
        (ClinicalEventKind.OTHER, "headache", []),
    ],
)
def test_some_kinds_need_a_note(kind: ClinicalEventKind, note: str,
                                expected: list[str]) -> None:
    event = ClinicalEvent(kind, NOW, "AB", note)
    assert fields(validate_clinical_event(event, NOW)) == expected


def test_antiemetic_note_asks_for_drug_and_dose() -> None:
    (error,) = validate_clinical_event(ClinicalEvent(ClinicalEventKind.ANTIEMETIC_GIVEN, NOW,
                                                     "AB"), NOW)
    assert str(error) == "Note: name the drug and dose given"


def test_builders_tidy_initials_and_note() -> None:
    event = new_clinical_event(NOW, ClinicalEventKind.ANTIEMETIC_GIVEN, entered_by=" ab ",
                               note=" ondansetron 4 mg ")
    assert (event.entered_by, event.note) == ("AB", "ondansetron 4 mg")
    assert event.text == "Antiemetic given: ondansetron 4 mg"
    assert new_sedation_entry(NOW, RASS, -1, entered_by="cd ").entered_by == "CD"


@pytest.mark.parametrize(
    "entry",
    [
        SedationEntry(RASS, -3, NOW, "AB", "after midazolam", id=4, session_id=2),
        SedationEntry(MOAAS, 5, NOW, "AB"),
        ClinicalEvent(ClinicalEventKind.DISSOCIATION, NOW, "AB", "floating", id=7, session_id=2),
    ],
)
def test_entries_round_trip(entry: SedationEntry | ClinicalEvent) -> None:
    assert entry_from_dict(entry.to_dict()) == entry


def test_timeline_in_time_order() -> None:
    later = ClinicalEvent(ClinicalEventKind.NAUSEA, NOW, "AB")
    earlier = SedationEntry(RASS, 0, NOW - timedelta(minutes=10), "AB")
    same_a = SedationEntry(MOAAS, 5, NOW, "AB")
    assert in_time_order([later, earlier, same_a]) == [earlier, later, same_a]
