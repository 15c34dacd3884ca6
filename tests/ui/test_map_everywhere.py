"""MAP reads the same on the blood-pressure tile and in the readings table."""

from __future__ import annotations

import pytest

from monitor.domain.vitals import Vital

from .test_entry_panel import type_reading


@pytest.mark.parametrize(("sbp", "dbp", "shown"), [("133", "84", "100.3"),
                                                   ("120", "80", "93.3"),
                                                   ("132", "84", "100")])
def test_the_tile_and_the_table_show_one_map(qtbot, window, sbp, dbp, shown):
    type_reading(qtbot, window, [sbp, dbp, "80", "14", "97"])
    tile = window.tiles.tile(Vital.MAP)
    assert tile.detail.text().startswith(f"MAP {shown} ")
    column = 1 + [Vital.SBP, Vital.DBP, Vital.MAP].index(Vital.MAP)
    assert window.table_model.index(0, column).data() == f"{shown} (calc)"
