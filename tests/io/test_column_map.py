"""Column mappings: a user's word on what each column of an unrecognised spreadsheet holds,
given as ``--columns`` or in the preview, remembered per header set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.app.importing import ImportOptions, ImportRejected, import_file, preview_file
from monitor.cli import main
from monitor.domain.vitals import Vital
from monitor.io.column_map import (
    header_key,
    mapping_problems,
    parse_columns_option,
    recognised_role,
    suggested_role,
)
from monitor.io.csv_format import parse_csv, peek_header
from monitor.store import Store
from monitor.store.imports import ImportTarget

DEVICE = "Zeit;Syst_L;Dia_L;Puls;Bemerkung\n2024-05-01 10:00;131;84;72;ok\n"
DEVICE_MAP = {"Zeit": "time", "Syst_L": "sbp", "Dia_L": "dbp", "Puls": "hr",
              "Bemerkung": "note"}


def test_the_option_text_becomes_a_mapping_or_a_clear_refusal() -> None:
    assert parse_columns_option("Syst_L=sbp, Dia_L = DBP,\"Zeit, lokal\"=time") == (
        {"Syst_L": "sbp", "Dia_L": "dbp", "Zeit, lokal": "time"}, None)
    assert parse_columns_option("Syst_L") == ({}, "'Syst_L' is not HEADER=ROLE")
    assert parse_columns_option("Syst_L=systolic")[1] == (
        "'systolic' (for column 'Syst_L') is not a role; use one of sbp, dbp, map, hr, rr, "
        "spo2, bp, time, date, elapsed, patient, note, entered_by, source, status, ignore")
    assert parse_columns_option("")[1] == "give at least one HEADER=ROLE"


def test_a_mapping_that_does_not_fit_the_header_is_named() -> None:
    headers = ["Zeit", "Syst_L", "Dia_L"]
    assert mapping_problems({"Zeit": "time", "Sys": "sbp"}, headers) == [
        "the file has no column 'Sys'"]
    assert mapping_problems({"Syst_L": "sbp", "Dia_L": "sbp"}, headers) == [
        "columns 'Syst_L' and 'Dia_L' are both Systolic BP"]
    assert mapping_problems({"Syst_L": "bp", "Dia_L": "dbp"}, headers) == [
        "columns 'Syst_L' and 'Dia_L' are both Diastolic BP"]


def test_the_key_is_the_same_for_the_same_columns_in_any_order() -> None:
    assert header_key(["a", " b", "c"]) == header_key(["c", "a", "b"])
    assert header_key(["a", "b"]) != header_key(["a", "b", "c"])


def test_what_the_reader_recognises_on_its_own() -> None:
    assert [recognised_role(h) for h in ["SBP (mmHg)", "Pulse", "BP", "timestamp", "Syst_L",
                                         "initials", "elapsed (min)"]] == [
        "sbp", "hr", "bp", "time", "ignore", "entered_by", "elapsed"]


def test_the_dialog_suggests_time_for_a_column_of_dates_and_times() -> None:
    assert suggested_role("Zeit", "2024-05-01 10:00") == "time"
    assert suggested_role("Zeit", "01.05.2024 10:00") == "time"
    assert suggested_role("Syst_L", "131") == "ignore"  # a number is not guessed at
    assert suggested_role("Zeit", "") == "ignore"
    assert suggested_role("HR", "72") == "hr"


def test_the_header_and_first_row_are_peeked_from_the_first_bytes() -> None:
    assert peek_header(b"\xef\xbb\xbfa;b\r\n1;2\r\n3") == (["a", "b"], ["1", "2"])
    assert peek_header(b"a,b\n1,") == (["a", "b"], [])  # the row is cut off
    assert peek_header(b"a,b") is None  # the header is cut off
    assert peek_header(b"\xff\xfea\x00") is None  # UTF-16


def test_a_mapped_file_reads_its_vitals_and_notes() -> None:
    result = parse_csv(DEVICE.encode(), name="device.csv", default_tz=UTC, columns=DEVICE_MAP)
    assert [str(e) for e in result.errors] == []
    reading = result.readings[0].reading
    assert reading.values == {Vital.SBP: 131, Vital.DBP: 84, Vital.MAP: 99.7, Vital.HR: 72}
    assert reading.note == "ok"


def test_without_a_mapping_the_same_file_is_refused_naming_each_column() -> None:
    result = parse_csv(DEVICE.encode(), name="device.csv", default_tz=UTC)
    assert result.readings == []
    assert any("column 'Syst_L': looks like a vital sign but is not understood: map it"
               in str(e) for e in result.errors)


def test_a_column_mapped_to_ignore_is_a_notice_and_a_bad_cell_still_an_error() -> None:
    columns = {**DEVICE_MAP, "Puls": "ignore"}
    text = DEVICE + "2024-05-01 10:05;high;84;72;\n"
    result = parse_csv(text.encode(), name="device.csv", default_tz=UTC, columns=columns)
    assert [str(e) for e in result.errors] == [
        "line 1, column 'Puls': ignored, as the column mapping says",
        "line 3, column 'Syst_L': 'high' is not a number"]
    assert [p.reading.values.get(Vital.HR) for p in result.readings] == [None]


def test_a_mapping_naming_a_missing_column_reads_nothing() -> None:
    result = parse_csv(DEVICE.encode(), name="device.csv", default_tz=UTC,
                       columns={"Zeit": "time", "Systole": "sbp"})
    assert result.readings == []
    assert [str(e) for e in result.errors] == [
        "line 1: column mapping: the file has no column 'Systole'"]


def test_an_import_remembers_its_mapping_and_the_next_file_uses_it(tmp_path: Path,
                                                                   store: Store) -> None:
    first, second = tmp_path / "monday.csv", tmp_path / "tuesday.csv"
    first.write_text(DEVICE, encoding="utf-8")
    # The same device, its columns in another order, the next day.
    second.write_text("Puls;Zeit;Dia_L;Syst_L;Bemerkung\n72;2024-05-02 10:00;80;120;\n",
                      encoding="utf-8")
    target = ImportTarget(patient_id="P-1")
    with pytest.raises(ImportRejected):
        import_file(store, second, ImportOptions(target=target, default_tz=UTC))
    preview = preview_file(store, first, ImportOptions(target=target, default_tz=UTC,
                                                       columns=DEVICE_MAP))
    assert preview.new == 1 and preview.columns == DEVICE_MAP
    assert store.saved_column_map(header_key(preview.header)) is None  # a preview saves none

    done = import_file(store, first, ImportOptions(target=target, default_tz=UTC, by="AB",
                                                   columns=DEVICE_MAP))
    assert done.new == 1 and done.columns_saved is None
    saved = store.saved_column_map(header_key(done.header))
    assert saved is not None and saved.mapping == DEVICE_MAP and saved.saved_by == "AB"

    later = import_file(store, second, ImportOptions(target=target, default_tz=UTC, by="CD"))
    assert later.new == 1 and later.columns_saved == saved
    readings = store.readings(later.sessions[0].session_id or 0)
    assert [r.values[Vital.SBP] for r in readings] == [131, 120]


def test_a_rejected_import_remembers_nothing(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "device.csv"
    path.write_text(DEVICE + "2024-05-01 10:05;high;84;72;\n", encoding="utf-8")
    with pytest.raises(ImportRejected):
        import_file(store, path, ImportOptions(target=ImportTarget(patient_id="P-1"),
                                               default_tz=UTC, columns=DEVICE_MAP))
    assert store.saved_column_map(header_key(DEVICE_MAP)) is None


def test_the_command_line_maps_remembers_and_says_so(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path, db = tmp_path / "device.csv", tmp_path / "monitor.sqlite"
    path.write_text(DEVICE, encoding="utf-8")
    common = ["import", str(path), "--db", str(db), "--patient", "P-1", "--tz", "UTC"]
    assert main([*common, "--columns", "Zeit=time,Syst_L=sbp,Dia_L=dbp,Puls=hr"
                 ",Bemerkung=note", "--by", "AB"]) == 0
    assert "1 imported" in capsys.readouterr().out
    path.write_text(DEVICE.replace("10:00;131", "10:05;133"), encoding="utf-8")
    assert main(common) == 0
    out, err = capsys.readouterr()
    assert "1 imported" in out
    assert "device.csv: columns mapped as saved by AB on " in err
    assert "Bemerkung=note, Dia_L=dbp, Puls=hr, Syst_L=sbp, Zeit=time" in err
    assert main([*common, "--columns", "Zeit=when"]) == 2
    assert "error: --columns: 'when' (for column 'Zeit') is not a role" in capsys.readouterr().err
    with Store.open(db) as store:
        assert [r.values[Vital.SBP] for s in store.sessions()
                for r in store.readings(s.id or 0)] == [131, 133]


def test_saved_mappings_outlive_reopening_and_are_audited(db_path: Path) -> None:
    at = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    with Store.open(db_path) as store:
        store.save_column_map("k", ["a", "b"], {"a": "sbp"}, "AB", at)
        store.save_column_map("k", ["a", "b"], {"a": "dbp"}, "CD", at)
    with Store.open(db_path) as store:
        saved = store.saved_column_map("k")
        assert saved is not None and (saved.mapping, saved.saved_by) == ({"a": "dbp"}, "CD")
        rows = store._query("SELECT actor, action, detail FROM audit_log "  # noqa: SLF001
                            "WHERE action = 'column mapping saved' ORDER BY id")
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("AB", "column mapping saved"), ("CD", "column mapping saved")]
    assert '"a": "dbp"' in rows[1]["detail"]
