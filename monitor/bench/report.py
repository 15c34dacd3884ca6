"""One benchmark figure: the app's number next to a bare baseline measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    app: float
    baseline: float | None
    unit: str
    lower_is_better: bool = True
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        """app / baseline (time: lower is better; throughput: higher is better)."""
        if self.baseline in (None, 0):
            return None
        return self.app / self.baseline

    def line(self) -> str:
        base = "-" if self.baseline is None else f"{self.baseline:,.2f}"
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}x"
        verdict = {True: "MET", False: "NOT MET", None: ""}[self.met]
        return (f"{self.name:<58} app {self.app:>12,.2f} {self.unit:<8} baseline {base:>12} "
                f"ratio {ratio:>7}  target {self.target} {verdict}").rstrip()
