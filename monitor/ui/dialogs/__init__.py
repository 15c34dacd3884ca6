"""The window's other dialogs: session details, thresholds, schedule, discharge, backups, live
feed, import, export."""
