"""Background work of the window (reading a long session in a worker thread)."""
