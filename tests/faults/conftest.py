"""The fault tests drive the real window like the UI tests do."""

from tests.ui.conftest import other_connection, window  # noqa: F401
