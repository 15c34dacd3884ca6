"""Charting: the entry form, tiles, the readings table and its dialogs, NEWS2, sedation and
events."""
