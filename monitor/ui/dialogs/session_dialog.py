"""Start a session, or edit the open session's details (with a reason, for the audit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.readings import initials_errors, parse_value
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.timeparse import parse_date_text, parse_number_text, parse_time_text
from monitor.domain.vitals import ENTERED_VITALS, VITAL_SPECS, Vital
from monitor.store import StoreError
from monitor.ui.formatting import fmt_datetime, fmt_value
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices

T = TypeVar("T")

INDICATIONS = ("CRPS", "Neuropathic pain", "Fibromyalgia", "Migraine", "Other chronic pain")


class SessionDialog(QDialog):
    """A form for a session. ``accept_with`` stores it and may raise ValidationFailed."""

    def __init__(self, accept_with: Callable[[Session, str, str], Session],
                 session: Session | None = None, now: datetime | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.editing = session is not None
        self.setWindowTitle("Edit session details" if self.editing else "Start recovery session")
        self.setObjectName("sessionDialog")
        self._accept_with = accept_with
        self._original = session
        self._now = now or datetime.now().astimezone()
        self.result_session: Session | None = None
        self.fields: dict[str, QLineEdit] = {}

        patient = QGroupBox("Patient")
        form = QFormLayout(patient)
        for key, label in (("patient_id", "Patient ID"), ("name", "Name"),
                           ("dob", "Date of birth"), ("age", "Age (if no date of birth)"),
                           ("weight", "Weight kg")):
            form.addRow(label, self._field(key, label))
        self.fields["dob"].setPlaceholderText("YYYY-MM-DD")
        infusion = QGroupBox("Infusion")
        form2 = QFormLayout(infusion)
        for key, label in (("drug", "Drug"), ("dose", "Dose mg"), ("rate", "Rate mg/kg/h"),
                           ("start", "Infusion start"), ("end", "Infusion end")):
            form2.addRow(label, self._field(key, label))
        self.fields["drug"].setText("ketamine")
        for key in ("start", "end"):
            self.fields[key].setPlaceholderText("HH:MM today, or YYYY-MM-DD HH:MM")
        self.indication = QComboBox()
        self.indication.setEditable(True)
        self.indication.addItems(INDICATIONS)
        self.indication.setObjectName("indicationInput")
        form2.addRow("Indication", self.indication)
        baseline = QGroupBox("Pre-infusion baseline")
        grid = QGridLayout(baseline)
        for col, vital in enumerate(ENTERED_VITALS):
            grid.addWidget(QLabel(VITAL_SPECS[vital].abbreviation), 0, col)
            grid.addWidget(self._field(f"baseline_{vital.value}",
                                       f"Baseline {VITAL_SPECS[vital].label}"), 1, col)
        who = QFormLayout()
        who.addRow("Your initials", self._field("by", "Initials"))
        if self.editing:
            who.addRow("Reason for change", self._field("reason", "Reason"))
        self.errors = error_label("sessionDialogErrors")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Save" if self.editing else "Start session")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        for widget in (patient, infusion, baseline):
            layout.addWidget(widget)
        layout.addLayout(who)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        if session is not None:
            self._fill(session)
        guard_choices(self)  # the wheel never changes an unfocused choice

    def _field(self, key: str, label: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(f"session_{key}")
        edit.setAccessibleName(label)
        self.fields[key] = edit
        return edit

    def _fill(self, s: Session) -> None:
        f = self.fields
        f["patient_id"].setText(s.patient.identifier)
        f["name"].setText(s.patient.name)
        f["dob"].setText(s.patient.date_of_birth.isoformat() if s.patient.date_of_birth else "")
        f["age"].setText("" if s.patient.age_years is None else str(s.patient.age_years))
        f["weight"].setText(fmt_value(s.weight_kg))
        f["drug"].setText(s.infusion.drug)
        f["dose"].setText(fmt_value(s.infusion.dose_mg))
        f["rate"].setText(fmt_value(s.infusion.rate_mg_per_kg_h))
        f["start"].setText(fmt_datetime(s.infusion.started_at))
        f["end"].setText(fmt_datetime(s.infusion.ended_at))
        self.indication.setCurrentText(s.infusion.indication)
        for vital, value in s.baseline.items():
            if f"baseline_{vital.value}" in f:
                f[f"baseline_{vital.value}"].setText(fmt_value(value))

    def build(self) -> tuple[Session | None, list[FieldError]]:
        """The session the form describes, or the errors that prevent it."""
        f = {k: e.text() for k, e in self.fields.items()}
        errors: list[FieldError] = []

        def take(pair: tuple[T | None, FieldError | None]) -> T | None:
            value, error = pair
            if error:
                errors.append(error)
            return value

        today: date = self._now.date()
        dob = take(parse_date_text("Date of birth", f["dob"]))
        age = take(parse_number_text("Age", f["age"], integer=True))
        weight = take(parse_number_text("Weight", f["weight"]))
        dose = take(parse_number_text("Dose", f["dose"]))
        rate = take(parse_number_text("Rate", f["rate"]))
        start = take(parse_time_text("Infusion start", f["start"], today=today))
        end = take(parse_time_text("Infusion end", f["end"], today=today))
        baseline: dict[Vital, float] = {}
        for vital in ENTERED_VITALS:
            value, error = parse_value(vital, f[f"baseline_{vital.value}"])
            if error:
                errors.append(FieldError(f"Baseline {error.field}", error.message))
            elif value is not None:
                baseline[vital] = value
        errors += initials_errors(f["by"])
        if self.editing and not f.get("reason", "").strip():
            errors.append(FieldError("Reason", "say why the details change"))
        if errors:
            return None, errors
        base = self._original or Session(patient=Patient(""))
        session = replace(
            base,
            patient=Patient(f["patient_id"].strip(), f["name"].strip(), dob,
                            None if age is None else int(age)),
            infusion=Infusion(drug=f["drug"].strip() or "ketamine", dose_mg=dose,
                              rate_mg_per_kg_h=rate, started_at=start, ended_at=end,
                              indication=self.indication.currentText().strip()),
            weight_kg=weight,
            baseline=baseline,
        )
        return session, []

    def try_accept(self) -> None:
        session, errors = self.build()
        if session is not None:
            try:
                self.result_session = self._accept_with(
                    session, self.fields["by"].text().strip().upper(),
                    self.fields["reason"].text() if "reason" in self.fields else "")
            except ValidationFailed as failure:
                errors = failure.errors
            except StoreError as failure:
                errors = [FieldError("Database", str(failure))]
        if errors:
            self.errors.setText("\n".join(str(e) for e in errors))
            return
        self.accept()
