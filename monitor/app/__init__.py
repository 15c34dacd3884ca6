"""The application layer: the product's use cases as plain Python objects, Qt-free, with the
clock injected. The GUI, the command line and the MLLP listener all call it, so what the
record holds (readings, alerts, technical alerts, audit) never depends on whether a window
was open."""
