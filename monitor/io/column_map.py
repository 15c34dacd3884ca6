"""Column mappings: what a user says each column of a spreadsheet holds, for a file whose
headers the app does not recognise (``Syst_L``, ``Zeit``, a vendor's own names).

A mapping is header text (as written, trimmed) -> role: a vital (``sbp`` ... ``spo2``), ``bp``
(a ``120/80`` cell), ``time`` (date and time, or the time of day beside a ``date`` column),
``date``, ``elapsed`` (seconds from a start), ``patient``, ``note``, ``entered_by``,
``source``, ``status`` or ``ignore``. Headers it does not name are read as without it. It is
remembered per header set (:func:`header_key`), so the next file from the same device or
spreadsheet imports the same way, in the window or on the command line.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC

from monitor.domain.vitals import VITAL_SPECS, Vital

from .csv_names import BP_NAMES, OTHER_NAMES, normalize, split_header, vital_named

IGNORE = "ignore"
#: Every role a column may be given, in the order the mapping dialog offers them, with the
#: words it shows.
ROLES: dict[str, str] = {
    **{v.value: VITAL_SPECS[v].label for v in Vital},
    "bp": "Blood pressure as 120/80",
    "time": "Date and time (or time of day beside a date)",
    "date": "Date",
    "elapsed": "Seconds from the start",
    "patient": "Patient id",
    "note": "Note",
    "entered_by": "Initials",
    "source": "Source",
    "status": "Status",
    IGNORE: "Not charted (ignore)",
}
VITAL_ROLES = frozenset(v.value for v in Vital) | {"bp"}
#: Words the CSV reader's header errors use when a mapping would let it read the file.
MAPPING_HINTS = ("map it (", "map the columns")


def header_key(headers: Sequence[str]) -> str:
    """The key a mapping is remembered under: the same columns in any order give the same
    key (a device that reorders its export is still recognised)."""
    names = sorted(h.strip().lstrip("\ufeff") for h in headers if h.strip())
    return hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()


def recognised_role(header: str) -> str:
    """What the CSV reader makes of ``header`` on its own: a role of :data:`ROLES`."""
    key = normalize(split_header(header)[0])
    vital = vital_named(key)
    if vital is not None:
        return vital.value
    if key in BP_NAMES:
        return "bp"
    other = next((k for k, names in OTHER_NAMES.items() if key in names), None)
    if other is None and key.startswith("elapsed"):
        other = "elapsed"
    return other or IGNORE


def suggested_role(header: str, example: str) -> str:
    """The role to offer for ``header`` in the mapping dialog: what the reader recognises,
    else ``time`` when the example value is a date and time (``Zeit`` holding
    ``2024-05-01 10:00``), else ``ignore``; the user confirms or changes it."""
    role = recognised_role(header)
    if role != IGNORE or not example.strip():
        return role
    # The reader's own rule for a time cell (imported here: csv_format imports this module).
    from .csv_format import parse_timestamp

    moment, _ = parse_timestamp(example, UTC)
    return "time" if moment is not None else IGNORE


def parse_columns_option(text: str) -> tuple[dict[str, str], str | None]:
    """``'Syst_L=sbp,Dia_L=dbp,Zeit=time'`` (the ``--columns`` option) as a mapping, or
    ({}, why not). A header holding a comma or ``=`` is written in double quotes."""
    mapping: dict[str, str] = {}
    items = next(csv.reader([text], skipinitialspace=True), [])
    for item in items:
        header, sep, role = item.rpartition("=")
        header, role = header.strip().strip('"'), role.strip().lower()
        if not sep or not header:
            return {}, f"'{item}' is not HEADER=ROLE"
        if role not in ROLES:
            return {}, (f"'{role}' (for column '{header}') is not a role; use one of "
                        f"{', '.join(ROLES)}")
        mapping[header] = role
    if not mapping:
        return {}, "give at least one HEADER=ROLE"
    return mapping, None


def mapping_problems(mapping: Mapping[str, str], headers: Sequence[str]) -> list[str]:
    """Why ``mapping`` cannot be used on a file with ``headers``: a header the file does not
    have, a role that does not exist, or one vital (or the time) given two columns."""
    present = {h.strip().lstrip("\ufeff") for h in headers}
    problems = [f"the file has no column '{h}'" for h in mapping if h not in present]
    problems += [f"'{r}' (for column '{h}') is not a role" for h, r in mapping.items()
                 if r not in ROLES]
    taken: dict[str, str] = {}
    for header in headers:
        text = header.strip().lstrip("\ufeff")
        role = mapping.get(text)
        if role is None or role == IGNORE:
            continue
        covers = ["sbp", "dbp"] if role == "bp" else [role]
        for part in covers:
            if part in taken:
                problems.append(f"columns '{taken[part]}' and '{text}' are both "
                                f"{ROLES.get(part, part)}")
            taken[part] = text
    return problems
