"""``python -m monitor.bench import``: every import format the bench covers, one after the
other: CSV in its shapes (``import_csv``), an HL7 v2 batch file (``import_hl7``), a FHIR
Bundle (``import_fhir``) and an Excel workbook (``import_xlsx``), each at 20,000 to
1,000,000 readings against its own floor, with peak memory."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from .report import Figure

#: The modules measured, in order; a missing one is skipped.
MODULES = ("monitor.bench.import_csv", "monitor.bench.import_hl7", "monitor.bench.import_fhir",
           "monitor.bench.import_xlsx")


def run(quick: bool = False) -> Iterator[Figure]:
    """The figures of each format's import bench, as they are measured."""
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise
            continue
        yield from module.run(quick=quick)
