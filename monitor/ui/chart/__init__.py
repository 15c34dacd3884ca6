"""The live chart and what is drawn on it: vitals, bands, phases, due ticks, events."""
