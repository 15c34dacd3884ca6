"""The hostile-input corpus: files a hostile or unlucky user might import, generated here (never
stored as big files). Each format's cases are in ``cases_<format>.py`` as ``CASES``; the test
``test_hostile.py`` imports each through ``main.py import`` and checks the answer, and
``python -m monitor.bench hostile`` measures the time and peak memory of each."""
