"""Times without a UTC offset: placed in the file's zone, and refused, with the reason, when
that zone's clock shows the time twice (autumn) or never (spring)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.cli import main
from monitor.io.csv_format import parse_timestamp
from monitor.io.local_time import LocalZone
from monitor.store import Store

BERLIN = ZoneInfo("Europe/Berlin")


def test_an_ordinary_local_time_gets_the_zones_offset_of_that_date():
    summer, _ = LocalZone(BERLIN).aware(datetime(2024, 7, 1, 10, 0))
    winter, _ = LocalZone(BERLIN).aware(datetime(2024, 1, 1, 10, 0))
    assert summer is not None and summer.utcoffset() == timedelta(hours=2)
    assert winter is not None and winter.utcoffset() == timedelta(hours=1)


def test_the_hour_the_clocks_go_back_is_refused_with_the_offset_to_write():
    moment, problem = LocalZone(BERLIN).aware(datetime(2024, 10, 27, 2, 30))
    assert moment is None
    assert problem == ("'2024-10-27 02:30:00' happens twice in time zone Europe/Berlin (the "
                       "clocks went back): give the UTC offset, e.g. 2024-10-27T02:30:00+02:00")


def test_the_hour_the_clocks_skip_is_refused():
    moment, problem = LocalZone(BERLIN).aware(datetime(2024, 3, 31, 2, 30))
    assert moment is None
    assert problem is not None and "does not exist in time zone Europe/Berlin" in problem


def test_the_minutes_around_a_change_are_placed_exactly():
    zone = LocalZone(BERLIN)
    before, _ = zone.aware(datetime(2024, 10, 27, 1, 59, 59))
    after, _ = zone.aware(datetime(2024, 10, 27, 3, 0, 0))
    assert before is not None and after is not None
    assert after - before == timedelta(hours=2, seconds=1)  # 02:00-03:00 happened twice


def test_an_offset_in_the_cell_is_never_second_guessed():
    moment, problem = parse_timestamp("2024-10-27T02:30:00+01:00", BERLIN)
    assert problem is None and moment is not None
    assert moment.utcoffset() == timedelta(hours=1)


def _import(tmp_path: Path, text: str, *options: str) -> tuple[int, int]:
    path = tmp_path / "night.csv"
    path.write_text(text, encoding="utf-8")
    db = tmp_path / "m.sqlite"
    status = main(["import", str(path), "--db", str(db), "--patient", "P-1", *options])
    with Store.open(db) as store:
        saved = sum(s.readings for s in store.session_listings())
    return status, saved


def test_a_file_with_an_ambiguous_local_time_saves_nothing_and_names_the_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("time,SBP,DBP,HR\n2024-10-27 01:55:00,120,80,70\n2024-10-27 02:05:00,121,80,71\n"
            "2024-10-27 03:05:00,122,80,72\n")
    status, saved = _import(tmp_path, text, "--tz", "Europe/Berlin")
    err = capsys.readouterr().err
    assert status == 1 and saved == 0
    assert ("night.csv: rejected: line 3, column 'time': '2024-10-27 02:05:00' happens twice "
            "in time zone Europe/Berlin") in err


def test_the_same_file_with_offsets_imports(tmp_path: Path) -> None:
    text = ("time,SBP,DBP,HR\n2024-10-27T01:55:00+02:00,120,80,70\n"
            "2024-10-27T02:05:00+02:00,121,80,71\n2024-10-27T02:05:00+01:00,122,80,72\n")
    status, saved = _import(tmp_path, text, "--tz", "Europe/Berlin")
    assert (status, saved) == (0, 3)


def test_an_unknown_zone_is_refused_before_anything_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v.csv"
    path.write_text("time,HR\n2024-05-01 10:00,70\n", encoding="utf-8")
    status = main(["import", str(path), "--db", str(tmp_path / "m.sqlite"), "--tz", "Mars/Base"])
    assert status == 2
    assert "--tz: 'Mars/Base' is not a time zone" in capsys.readouterr().err


def test_a_wide_monitor_export_leaves_its_invasive_lines_out_with_a_notice(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("time,HR,NIBP_SYS,NIBP_DIA,PAP_SYS,PAP_DIA,CVP,P1_MEAN\n"
                    "2024-05-01T10:00:00+02:00,70,120,80,25,10,8,60\n", encoding="utf-8")
    status = main(["import", str(path), "--db", str(tmp_path / "m.sqlite"), "--patient", "P"])
    err = capsys.readouterr().err
    assert status == 0
    for column in ("PAP_SYS", "PAP_DIA", "P1_MEAN"):
        assert (f"not charted: line 1, column '{column}': invasive arterial pressure is not "
                "charted") in err
