"""Exporting a session: the record read from the store, the request, the whole export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.app.export import ExportRequest, export_session
from monitor.io.deidentify import pseudonym
from monitor.store import NotFound, Store
from tests.export_fixtures import NAME, PATIENT_ID, SHIPPED, START, build_session, record_of


def test_unknown_session_is_not_found(store: Store):
    with pytest.raises(NotFound):
        record_of(store, 99)


def test_record_uses_the_shipped_profile_without_overrides(store: Store):
    assert record_of(store, build_session(store)).profile is SHIPPED


def test_export_session_writes_the_file_as_of_now(store: Store, tmp_path: Path):
    sid = build_session(store)
    out = tmp_path / "s.json"
    now = START.replace(hour=15)
    export_session(store, sid, ExportRequest("json", out), shipped=SHIPPED, now=now,
                   deidentify=True)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["generated_at"] == now.isoformat() and data["deidentified"] is True
    assert data["session"]["patient"]["identifier"] == pseudonym(PATIENT_ID)
    assert NAME not in out.read_text(encoding="utf-8")


def test_unknown_session_writes_nothing(store: Store, tmp_path: Path):
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(NotFound):
        export_session(store, 99, ExportRequest("csv", folder / "s.csv"), shipped=SHIPPED,
                       now=START)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("size", [(199, 1500), (2400, 12001)])
def test_a_chart_size_that_cannot_be_drawn_is_refused(size: tuple[int, int]):
    with pytest.raises(ValueError, match="between 200 and 12000"):
        ExportRequest("png", Path("chart.png"), size)


def test_a_chart_without_a_size_gets_the_print_size():
    assert ExportRequest("svg", Path("chart.svg")).pixels == (2400, 1500)


def test_the_record_carries_what_was_answered_at_close(store: Store, qapp):
    from datetime import timedelta

    from monitor.domain.closing import DischargeDetails
    from monitor.render.report import build_document

    sid = build_session(store)
    details = DischargeDetails(START + timedelta(hours=3), True, False, "kl",
                               note="Left with partner")
    store.close_session(sid, "KL", details.discharged_at, details.to_dict())
    text = build_document(record_of(store, sid), None).toPlainText()
    assert "escort present: yes" in text
    assert "discharge instructions given: no" in text
    assert "note: Left with partner" in text and "audit trail" not in text
