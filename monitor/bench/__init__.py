"""Benchmarks: ``python -m monitor.bench [--quick] [NAME ...]``. Each prints the app's figure
next to a bare baseline measured in the same run (see ``__main__.BENCHMARKS``)."""
