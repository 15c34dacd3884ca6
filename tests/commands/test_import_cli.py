"""main.py import, as a nurse or a script runs it: summaries, reasons, exit statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[2]
GOOD = "time,SBP,DBP,HR\n2024-05-01T10:00:00Z,120,80,70\n2024-05-01T10:05:00Z,125,82,72\n"
BAD_ROW = "2024-05-01T10:10:00Z,abc,80,70\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def readings(db: Path, patient: str) -> list[dict[Vital, float]]:
    with Store.open(db) as store:
        session = store.active_session_for_patient(patient)
        return [] if session is None else [dict(r.values) for r in store.readings(session.id or 0)]


def test_import_into_a_patient_prints_a_summary(tmp_path: Path, db_path: Path, capsys) -> None:
    path = write(tmp_path, "vitals.csv", GOOD)
    assert main(["import", str(path), "--db", str(db_path), "--patient", "P-100"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == ("vitals.csv (CSV): 2 imported, 0 duplicates, 0 rejected -> "
                               "session 1 (patient P-100, new session)")
    assert out.err == ""
    assert [v[Vital.SBP] for v in readings(db_path, "P-100")] == [120, 125]


def test_importing_twice_adds_nothing_and_succeeds(tmp_path: Path, db_path: Path,
                                                   capsys) -> None:
    path = write(tmp_path, "vitals.csv", GOOD)
    args = ["import", str(path), "--db", str(db_path), "--patient", "P-100"]
    assert main(args) == 0
    assert main(args) == 0
    assert "0 imported, 2 duplicates, 0 rejected" in capsys.readouterr().out
    assert len(readings(db_path, "P-100")) == 2


def test_invalid_row_saves_nothing_and_exits_non_zero(tmp_path: Path, db_path: Path,
                                                      capsys) -> None:
    path = write(tmp_path, "vitals.csv", GOOD + BAD_ROW)
    assert main(["import", str(path), "--db", str(db_path), "--patient", "P-100"]) == 1
    out = capsys.readouterr()
    assert out.err.strip() == ("vitals.csv: rejected: line 4, column 'SBP': 'abc' is not a "
                               "number")
    assert "nothing imported, 1 rejected; 2 valid readings not saved" in out.out
    assert readings(db_path, "P-100") == []


def test_skip_invalid_saves_the_valid_rows_and_still_exits_non_zero(
        tmp_path: Path, db_path: Path, capsys) -> None:
    path = write(tmp_path, "vitals.csv", GOOD + BAD_ROW)
    code = main(["import", str(path), "--db", str(db_path), "--patient", "P-100",
                 "--skip-invalid"])
    assert code == 1
    out = capsys.readouterr()
    assert "2 imported, 0 duplicates, 1 rejected" in out.out
    assert "line 4, column 'SBP': 'abc' is not a number" in out.err
    assert len(readings(db_path, "P-100")) == 2


def test_into_an_existing_session(tmp_path: Path, db_path: Path, capsys) -> None:
    with Store.open(db_path) as store:
        sid = store.create_session(Session(Patient("P-7")), by="AB").id
    path = write(tmp_path, "vitals.tsv", GOOD.replace(",", "\t"))
    assert main(["import", str(path), "--db", str(db_path), "--session", str(sid)]) == 0
    assert f"session {sid} (patient P-7)" in capsys.readouterr().out
    assert len(readings(db_path, "P-7")) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--session", "99"], "There is no session 99."),
    (["--patient", "  "], "--patient: give a patient id"),
    (["--start", "yesterday"], "--start: 'yesterday' is not a date and time"),
])
def test_bad_arguments_exit_2_with_a_message(tmp_path: Path, db_path: Path, capsys,
                                             args: list[str], message: str) -> None:
    path = write(tmp_path, "vitals.csv", GOOD)
    assert main(["import", str(path), "--db", str(db_path), *args]) == 2
    assert message in capsys.readouterr().err


def test_missing_file_and_file_without_patient(tmp_path: Path, db_path: Path, capsys) -> None:
    path = write(tmp_path, "vitals.csv", GOOD)
    assert main(["import", str(tmp_path / "nope.csv"), str(path), "--db", str(db_path)]) == 1
    err = capsys.readouterr().err
    assert "nope.csv: rejected: file: cannot read" in err
    assert "vitals.csv: rejected: file: 2 readings do not say which patient" in err


def test_several_files_and_real_samples(db_path: Path, shared_fixtures: Path, capsys) -> None:
    hl7 = shared_fixtures / "hl7v2" / "ipf__valid-pcd01-request.hl7v2"
    fhir = shared_fixtures / "fhir-r4" / "r4core__observation-example-heart-rate.json"
    code = main(["import", str(hl7), str(fhir), "--db", str(db_path),
                 "--date-only-as-midnight"])
    assert code == 0, capsys.readouterr().err
    assert readings(db_path, "789567")[0][Vital.SBP] == 120
    assert readings(db_path, "example") == [{Vital.HR: 44}]


def test_mimic_numerics_with_start_and_zeros(db_path: Path, shared_fixtures: Path,
                                             capsys) -> None:
    path = shared_fixtures / "timeseries" / "s25047-2704-05-04-10-44n.csv"
    code = main(["import", str(path), "--db", str(db_path), "--patient", "MIMIC",
                 "--start", "2024-05-04T10:44:18Z", "--zero-is-missing", "--skip-invalid"])
    assert code == 1  # four impossible SpO2 values were rejected
    out = capsys.readouterr()
    assert "65 imported, 0 duplicates, 4 rejected" in out.out
    assert "line 43, column 'SpO2[%]'" in out.err
    assert len(readings(db_path, "MIMIC")) == 65


def test_main_py_import_runs_as_a_program(tmp_path: Path, db_path: Path) -> None:
    path = write(tmp_path, "vitals.csv", GOOD + BAD_ROW)
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "import", str(path), "--db",
                           str(db_path), "--patient", "P-1"], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert done.returncode == 1
    assert "'abc' is not a number" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_reader_process_that_dies_is_an_error_not_a_traceback(
        tmp_path: Path, db_path: Path, capsys, monkeypatch) -> None:
    """A big file is read in a second process; if that process is killed (out of memory,
    say) the command says so, saves nothing and exits 2."""
    from monitor.commands import import_files
    from monitor.io.read_ahead import ReaderFailed

    def dies(*args, **kwargs):
        raise ReaderFailed("the process reading the file ended unexpectedly; "
                           "nothing was saved")

    monkeypatch.setattr(import_files, "import_file", dies)
    path = write(tmp_path, "big.csv", "time,HR\n2024-05-01T10:00:00Z,70\n")
    assert main(["import", str(path), "--db", str(db_path), "--patient", "P-100"]) == 2
    err = capsys.readouterr().err
    assert "error: big.csv: nothing imported: the process reading the file ended" in err
    assert "Traceback" not in err
    assert readings(db_path, "P-100") == []


def test_a_column_that_looks_like_a_vital_blocks_the_import(tmp_path: Path, db_path: Path,
                                                            capsys) -> None:
    path = write(tmp_path, "vitals.csv", "time,SBP,DBP,Pulse_bpm_ecg\n"
                                         "2024-05-01T10:00:00Z,120,80,70\n")
    assert main(["import", str(path), "--db", str(db_path), "--patient", "P-100"]) == 1
    err = capsys.readouterr().err
    assert "column 'Pulse_bpm_ecg': looks like a vital sign but is not understood" in err
    assert readings(db_path, "P-100") == []
