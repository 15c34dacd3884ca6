"""The vocabulary of vital-sign codes: data from the standards, with sources, for the parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.io.parsed import PANEL_CODES, VITAL_BY_LOINC, VITAL_BY_MDC, not_charted_reason
from monitor.io.vocabulary import (
    LOINC,
    MDC,
    VocabularyError,
    load_vocabulary,
    looks_like_vital,
    term,
    vocabulary,
)


def test_the_table_loads_and_every_row_cites_a_source() -> None:
    terms = load_vocabulary()
    assert len(terms) >= 50
    assert all(t.source for t in terms)
    assert all(t.vital is not None or t.is_panel or t.not_charted_reason for t in terms)


@pytest.mark.parametrize("vital", list(Vital))
def test_every_charted_vital_has_its_loinc_and_mdc_codes(vital: Vital) -> None:
    systems = {t.system for t in vocabulary().values() if t.vital is vital}
    assert systems == {LOINC, MDC}
    preferred = term(LOINC, VITAL_SPECS[vital].loinc)
    assert preferred is not None and preferred.vital is vital and preferred.rank == 0


@pytest.mark.parametrize(("code", "vital", "rank"), [
    ("150021", Vital.SBP, 0), ("150301", Vital.SBP, 1), ("150302", Vital.DBP, 1),
    ("150303", Vital.MAP, 1), ("147842", Vital.HR, 0), ("149530", Vital.HR, 1),
    ("149546", Vital.HR, 3), ("149522", Vital.HR, 4), ("150456", Vital.SPO2, 0),
    ("151562", Vital.RR, 0), ("151578", Vital.RR, 2), ("151594", Vital.RR, 3),
])
def test_mdc_codes_of_every_source(code: str, vital: Vital, rank: int) -> None:
    assert VITAL_BY_MDC[code] == (vital, rank)


def test_loinc_variants_and_panels() -> None:
    assert VITAL_BY_LOINC["8889-8"] is Vital.HR
    assert VITAL_BY_LOINC["2708-6"] is Vital.SPO2 and VITAL_BY_LOINC["59408-5"] is Vital.SPO2
    assert VITAL_BY_LOINC["76534-7"] is Vital.SBP
    assert {"85354-9", "85353-1", "150020", "150300"} <= PANEL_CODES


@pytest.mark.parametrize(("system", "code", "words"), [
    (MDC, "150033", "invasive arterial pressure"), (MDC, "150017", "invasive arterial"),
    (MDC, "150364", "temperature"), (LOINC, "8310-5", "temperature"),
    (LOINC, "29463-7", "body weight"),
])
def test_codes_deliberately_not_charted_say_why(system: str, code: str, words: str) -> None:
    reason = not_charted_reason(system, code)
    assert reason is not None and words in reason
    assert code not in (VITAL_BY_MDC if system == MDC else VITAL_BY_LOINC)


def test_units_are_given_in_mdc_and_ucum() -> None:
    cuff = term(MDC, "150301")
    assert cuff is not None
    assert cuff.reference_id == "MDC_PRESS_CUFF_SYS"
    assert cuff.units_mdc == ("266016", "265987") and cuff.units_ucum == ("mm[Hg]", "kPa")
    assert term(MDC, "150456").units_mdc == ("262688",)  # type: ignore[union-attr]


@pytest.mark.parametrize(("row", "words"), [
    ("MDC,1,X,x,sbp,0,,,", "cites no source"),
    ("MDC,1,X,x,weight,0,,,[11073]", "is not a vital, a panel"),
    ("SNOMED,1,X,x,sbp,0,,,[11073]", "is not LOINC or MDC"),
])
def test_a_malformed_table_is_refused(tmp_path: Path, row: str, words: str) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("# comment\nsystem,code,reference_id,meaning,charts,rank,units_mdc,"
                    f"units_ucum,source\n{row}\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match=words):
        load_vocabulary(path)


@pytest.mark.parametrize("text", ["Sys.", "DIA_mmHg", "Pulse (bpm)", "NIBP-S", "O2 Sat",
                                  "SpO2L", "Resp Rate", "heartRate2", "SYST", "diast"])
def test_texts_that_name_a_vital(text: str) -> None:
    assert looks_like_vital(text)


@pytest.mark.parametrize("text", ["colour", "diagnosis", "Body weight", "Temperature",
                                  "note", "Device status", "room", "three"])
def test_texts_that_do_not_name_a_vital(text: str) -> None:
    assert not looks_like_vital(text)


def test_every_unit_the_vocabulary_lists_for_a_charted_code_is_read() -> None:
    from monitor.io.parsed import unit_factor

    for t in vocabulary().values():
        if t.vital is None:
            continue
        for unit in (*t.units_mdc, *t.units_ucum):
            assert unit_factor(t.vital, unit) is not None, (t.code, unit)
