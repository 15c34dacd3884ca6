"""The codes that mean the charted vitals, read from ``resources/vocabulary/vital_codes.csv``.

The table is data with its sources cited in the file (IEEE 11073-10101 via the IHE PCD Rosetta,
LOINC, the HL7 FHIR R4 vital-signs profile): one row per LOINC or MDC code, saying which vital
it charts (``sbp`` ... ``spo2``), that it is a panel (``panel:bp``, ``panel:vitals``), or that
it is deliberately ``not charted: <why>`` (invasive pressures, temperature, weight, ...). The
HL7 v2 and FHIR parsers build their look-up tables from it, so a code is added in one place.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from monitor.domain.vitals import Vital
from monitor.resources import resource

VOCABULARY_FILE = resource("vocabulary", "vital_codes.csv")
LOINC, MDC = "LOINC", "MDC"
NOT_CHARTED = "not charted"
BP_PANEL, VITALS_PANEL = "panel:bp", "panel:vitals"
_COLUMNS = ("system", "code", "reference_id", "meaning", "charts", "rank", "units_mdc",
            "units_ucum", "source")


class VocabularyError(ValueError):
    """The vocabulary file is malformed (a programming or packaging error, not user input)."""


@dataclass(frozen=True)
class Term:
    """One row of the vocabulary."""

    system: str  # LOINC or MDC
    code: str
    reference_id: str  # MDC_PRESS_CUFF_SYS, or LOINC's name
    meaning: str
    charts: str  # a Vital value, a panel, or 'not charted: <why>'
    rank: int
    units_mdc: tuple[str, ...]
    units_ucum: tuple[str, ...]
    source: str

    @property
    def vital(self) -> Vital | None:
        """The vital this code charts, or None (panel, not charted)."""
        try:
            return Vital(self.charts)
        except ValueError:
            return None

    @property
    def not_charted_reason(self) -> str | None:
        """Why the app does not chart this code ('invasive arterial pressure ...'), or None."""
        if not self.charts.startswith(NOT_CHARTED):
            return None
        return self.charts.split(":", 1)[1].strip() if ":" in self.charts else NOT_CHARTED

    @property
    def is_panel(self) -> bool:
        return self.charts.startswith("panel:")


def _term(row: dict[str, str], line: int) -> Term:
    charts = row["charts"].strip()
    valid = {v.value for v in Vital} | {BP_PANEL, VITALS_PANEL}
    if charts not in valid and not charts.startswith(NOT_CHARTED + ":"):
        raise VocabularyError(f"line {line}: charts '{charts}' is not a vital, a panel or "
                              "'not charted: <why>'")
    system = row["system"].strip().upper()
    if system not in {LOINC, MDC}:
        raise VocabularyError(f"line {line}: system '{system}' is not LOINC or MDC")
    if not row["source"].strip():
        raise VocabularyError(f"line {line}: code {row['code']} cites no source")
    rank = row["rank"].strip()
    return Term(system, row["code"].strip(), row["reference_id"].strip(),
                row["meaning"].strip(), charts, int(rank) if rank else 0,
                tuple(row["units_mdc"].split()), tuple(row["units_ucum"].split()),
                row["source"].strip())


def load_vocabulary(path: Path = VOCABULARY_FILE) -> tuple[Term, ...]:
    """Every row of the vocabulary file at ``path``; raises VocabularyError when malformed."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise VocabularyError(f"{path.name}: header must be {','.join(_COLUMNS)}")
    terms, seen = [], set()
    for line, row in enumerate(reader, start=2):
        term = _term(row, line)
        if (term.system, term.code) in seen:
            raise VocabularyError(f"line {line}: {term.system} {term.code} is listed twice")
        seen.add((term.system, term.code))
        terms.append(term)
    return tuple(terms)


@cache
def vocabulary() -> dict[tuple[str, str], Term]:
    """The shipped vocabulary keyed by (system, code)."""
    return {(t.system, t.code): t for t in load_vocabulary()}


def term(system: str, code: str) -> Term | None:
    """The vocabulary row for ``code`` in ``system`` (LOINC or MDC), or None."""
    return vocabulary().get((system, code.strip()))


def codes_by_vital(system: str) -> dict[str, tuple[Vital, int]]:
    """code -> (vital, rank) for every charted code of ``system``."""
    return {t.code: (t.vital, t.rank) for t in vocabulary().values()
            if t.system == system and t.vital is not None}


def panel_codes() -> dict[str, str]:
    """code -> panel kind for the panel codes of both systems."""
    return {t.code: t.charts for t in vocabulary().values() if t.is_panel}


# Words that name a vital in headers and code texts ('Sys.', 'DIA_mmHg', 'Pulse (bpm)',
# 'NIBP-S', 'O2 Sat'): a column or code named so that the app cannot map is an error, never a
# silently ignored column. Compared on lower-case tokens split at punctuation, spaces, digits
# next to letters and camelCase.
_VITAL_TOKENS = frozenset({
    "sys", "syst", "systolic", "dia", "dias", "diast", "diastolic", "bp", "nbp", "nibp", "abp",
    "map", "mbp", "hr", "pr", "pulse", "puls", "bpm", "heart", "rr", "resp", "rf",
    "respiration", "respiratory", "breath", "breaths", "breathing", "spo", "spo2", "sao",
    "sao2", "o2", "sat", "sats", "saturation", "oximetry", "oxim", "mmhg", "pressure",
})
_VITAL_STEMS = ("systol", "diastol", "puls", "respir", "saturat", "oxim", "spo2", "sao2",
                "o2sat", "heartrate", "mmhg", "nibp")


def _tokens(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [t for t in re.split(r"[^a-z0-9]+|(?<=[a-z])(?=\d{2,})", spaced.lower()) if t]


#: Every token and stem above, for a quick first look: each can only match where it occurs in
#: the text's letters and digits (the tokens joined are exactly those), so text without any
#: of them is no vital, found in one search instead of a tokenizing pass.
_ANY_PIECE = re.compile("|".join(sorted(map(re.escape, _VITAL_TOKENS | set(_VITAL_STEMS)),
                                        key=len, reverse=True)))


def looks_like_vital(text: str) -> bool:
    """True when ``text`` (a CSV header, an OBX-3 or FHIR display text) names a vital sign:
    'Sys.', 'DIA_mmHg', 'Pulse (bpm)', 'Resp Rate', 'SpO2-L'."""
    if not _ANY_PIECE.search(re.sub(r"[^a-z0-9]", "", text.lower())):
        return False
    tokens = _tokens(text)
    if any(t in _VITAL_TOKENS or t.rstrip("0123456789") in _VITAL_TOKENS for t in tokens):
        return True
    joined = "".join(tokens)
    return any(stem in joined for stem in _VITAL_STEMS)
