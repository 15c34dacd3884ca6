"""The window fixture, for the test that the export stays light when the screen is dark."""

from tests.ui.conftest import silent_alarms, window  # noqa: F401 (fixtures)
