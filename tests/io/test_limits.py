"""The import limits are declared once and documented: every limit in ``monitor.io.limits``
is in the README's table with its value, and a limit hit refuses the whole file."""

from __future__ import annotations

from pathlib import Path

from monitor.app.importing import ImportRejected, ImportReport, is_notice
from monitor.io.limits import ALL_LIMITS, LINE_BYTES, is_limit

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_limit_is_in_the_readme_table_with_its_value():
    text = README.read_text(encoding="utf-8")
    for limit in ALL_LIMITS:
        row = f"| {limit.applies_to} | {limit.what} | {limit.value:,} {limit.unit} |"
        assert row in text, f"README lacks the row for {limit.what} ({limit.applies_to})"


def test_a_refusal_names_the_limit_and_where_and_is_never_a_notice():
    error = LINE_BYTES.refusal("line 1", "104,857,600 bytes")
    assert str(error) == ("line 1: a line exceeds the limit of 1,048,576 bytes for CSV/TSV "
                          "files (104,857,600 bytes); the file is refused and nothing was "
                          "imported")
    assert is_limit(error) and not is_notice(error)


def test_the_import_refusal_quotes_the_limit():
    report = ImportReport(Path("huge.csv"), rejected=1,
                          refused_by=LINE_BYTES.refusal("line 1"))
    assert str(ImportRejected(report)).startswith("huge.csv: line 1: a line exceeds the limit")
