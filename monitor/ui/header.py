"""Session header: who the patient is, the phase, and time since the infusion ended."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from monitor.domain.sessions import Phase, Session
from monitor.ui.formatting import fmt_duration, fmt_time


class SessionHeader(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sessionHeader")
        self.patient = QLabel("No session open")
        self.patient.setObjectName("headerPatient")
        self.infusion = QLabel("")
        self.phase = QLabel("")
        self.phase.setObjectName("headerPhase")
        for label in (self.patient, self.infusion, self.phase):
            label.setWordWrap(True)
            label.setMinimumWidth(100)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(self.patient, 3)
        layout.addWidget(self.infusion, 3)
        layout.addWidget(self.phase, 2)
        # Two lines at most on a 1280-pixel screen: the chart below needs the height.
        self.setStyleSheet("QLabel { font-size: 11pt; } QLabel#headerPatient, "
                           "QLabel#headerPhase { font-size: 14pt; font-weight: 600; }")

    def show_session(self, session: Session | None, now: datetime) -> None:
        if session is None:
            self.patient.setText("No session open")
            self.infusion.setText("")
            self.phase.setText("")
            return
        p = session.patient
        age = p.age_on(now.date())
        bits = [f"{p.name or '(no name)'}", f"ID {p.identifier}"]
        if age is not None:
            bits.append(f"{age} y")
        if session.weight_kg:
            bits.append(f"{session.weight_kg:g} kg")
        self.patient.setText("  ·  ".join(bits))
        inf = session.infusion
        dose = f" {inf.dose_mg:g} mg" if inf.dose_mg else ""
        rate = f" at {inf.rate_mg_per_kg_h:g} mg/kg/h" if inf.rate_mg_per_kg_h else ""
        times = ""
        if inf.started_at:
            times = f"  {fmt_time(inf.started_at)}–{fmt_time(inf.ended_at) or '…'}"
        indication = f"  ({inf.indication})" if inf.indication else ""
        self.infusion.setText(f"{inf.drug}{dose}{rate}{times}{indication}")
        phase = session.phase(now)
        text = f"Phase: {phase.value}"
        if phase is Phase.RECOVERY:
            since = session.time_since_infusion_end(now)
            if since is not None:
                text += f" · {fmt_duration(since)} since infusion end"
        elif phase is Phase.INFUSION and inf.started_at:
            text += f" · running {fmt_duration(now - inf.started_at)}"
        self.phase.setText(text)
