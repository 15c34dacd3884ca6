"""Infusion Recovery Monitor: vital-signs charting for recovery after IV ketamine."""

__version__ = "0.1.0"
