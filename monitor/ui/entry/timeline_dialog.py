"""Record a sedation score (RASS or MOAA/S) or a clinical event with its time and initials.

The domain validates (validate_sedation_entry / validate_clinical_event, through
AlertController.add_timeline_entry); this dialog only gathers the choices and shows the
errors, each naming its field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.events import (
    NOTE_REQUIRED,
    ClinicalEventKind,
    SedationScale,
    TimelineEntry,
    new_clinical_event,
    new_sedation_entry,
)
from monitor.ui.entry.charting_dialog import ChartingDialog
from monitor.ui.initials_memory import prefill

EVENT = "event"

#: What can be recorded: a scale, or a clinical event.
RECORD_KINDS: tuple[tuple[str, SedationScale | str], ...] = (
    ("RASS (agitation and sedation)", SedationScale.RASS),
    ("MOAA/S (sedation)", SedationScale.MOAAS),
    ("Clinical event", EVENT),
)


def score_text(scale: SedationScale, score: int) -> str:
    """A score as shown to nurses, with a true minus sign: ``RASS −2``."""
    return f"{scale.label} {scale.format(score).replace('-', '−')}"


class TimelineDialog(ChartingDialog):
    """Add one RASS / MOAA/S score or one clinical event to the session's timeline."""

    def __init__(self, add: Callable[[TimelineEntry], TimelineEntry],
                 clock: Callable[[], datetime], parent: QWidget | None = None):
        super().__init__("Add sedation score or event", "timeline", parent)
        self._add = add
        self._clock = clock
        self.saved: TimelineEntry | None = None
        self.kind = QComboBox()
        self.kind.setObjectName("timelineKind")
        for text, value in RECORD_KINDS:
            self.kind.addItem(text, value)
        self.choice = QComboBox()
        self.choice.setObjectName("timelineChoice")
        self.choice.setMinimumWidth(360)
        self.note = QLineEdit()
        self.note.setObjectName("timelineNote")
        self.note.setPlaceholderText("optional; required for 'other' and an antiemetic")
        self.time_input = QDateTimeEdit(QDateTime.currentDateTime())
        self.time_input.setObjectName("timelineTime")
        self.time_input.setDisplayFormat("yyyy-MM-dd HH:mm")
        self._time_edited = False
        self.time_input.dateTimeChanged.connect(self._mark_time_edited)
        form = QFormLayout()
        form.addRow("Record", self.kind)
        self.choice_label = QLabel("Score")
        form.addRow(self.choice_label, self.choice)
        form.addRow("Note", self.note)
        form.addRow("Time", self.time_input)
        form.addRow("Your initials", self.initials)
        prefill(self.initials)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._fill_choices)
        self.choice.currentIndexChanged.connect(self._note_hint)
        self._fill_choices()
        self.choice.setFocus()

    def _mark_time_edited(self) -> None:
        self._time_edited = True

    def _note_hint(self) -> None:
        needed = self.choice.currentData() in NOTE_REQUIRED
        self.note.setPlaceholderText(
            "required: what happened, or the drug and dose given" if needed
            else "optional; required for 'other' and an antiemetic")

    def _fill_choices(self) -> None:
        self.choice.clear()
        kind = self.kind.currentData()
        if kind == EVENT:
            self.choice_label.setText("What happened")
            self.choice.addItem("— choose —", None)
            for event in ClinicalEventKind:
                self.choice.addItem(event.label, event)
            return
        scale = SedationScale(kind)
        self.choice_label.setText(f"{scale.label} score")
        self.choice.addItem("— choose —", None)
        for score, description in scale.levels.items():
            self.choice.addItem(f"{scale.format(score).replace('-', '−')}  {description}",
                                score)

    def taken_at(self) -> datetime:
        """The time chosen (late charting), or the clock when the field was left alone."""
        if not self._time_edited:
            return self._clock().astimezone()
        # The field shows minutes only: hidden seconds must not move the entry.
        return self.time_input.dateTime().toPython().replace(
            second=0, microsecond=0).astimezone()

    def entry(self) -> TimelineEntry:
        """The entry the form describes; ValidationFailed when nothing is chosen."""
        kind, chosen = self.kind.currentData(), self.choice.currentData()
        by, note = self.initials.text(), self.note.text()
        if kind == EVENT:
            if chosen is None:
                raise ValidationFailed([FieldError("What happened", "choose an event")])
            # Qt hands a StrEnum back as a plain str.
            return new_clinical_event(self.taken_at(), ClinicalEventKind(chosen), entered_by=by,
                                      note=note)
        scale = SedationScale(kind)
        if chosen is None:
            raise ValidationFailed([FieldError(scale.label, "choose a score")])
        return new_sedation_entry(self.taken_at(), scale, chosen, entered_by=by, note=note)

    def try_accept(self) -> None:
        def save() -> None:
            self.saved = self._add(self.entry())

        self.run(save)
