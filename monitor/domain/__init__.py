"""Pure-Python clinical model: vitals, readings, sessions, thresholds.

Nothing in this package imports Qt (enforced by tests/test_layers.py), so every
clinical rule can be tested without a display.
"""
