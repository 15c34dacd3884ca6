"""Every setting is declared once, reads back what was written, and falls back to its
default when missing or unreadable."""

from __future__ import annotations

from monitor.ui.settings_keys import BACKUP_KEEP, SETTINGS, THEME, user_settings


def test_each_setting_has_one_key_a_default_and_a_description():
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys))
    assert all(s.description and isinstance(s.default, s.kind) for s in SETTINGS)


def test_a_setting_reads_back_and_falls_back_to_its_default():
    assert THEME.read() == "light"
    THEME.write("dark")
    assert THEME.read() == "dark" and user_settings().value("theme") == "dark"
    user_settings().setValue(BACKUP_KEEP.key, "many")
    assert BACKUP_KEEP.read() == 14
