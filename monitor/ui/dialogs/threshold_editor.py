"""The threshold editor: limits per vital, the baseline rule and the alert behaviour, saved
as a new clinic-default or session-override version through the AlertController.

The dialog only turns text into a profile and shows what the domain says about it: the
ordering and plausibility rules live in ``validate_profile``/``validate_settings``, and the
controller stores the version and applies it (bands, classification, alerts)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.alerts import AlertSettings
from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.profile_history import change_history
from monitor.domain.profiles import ProfileScope, ProfileVersion
from monitor.domain.thresholds import (
    LIMIT_LABELS,
    LIMIT_NAMES,
    BaselineRule,
    Limits,
    ThresholdProfile,
)
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.store import StoreError
from monitor.ui import shortcuts
from monitor.ui.alerts.alert_controller import AlertController
from monitor.ui.formatting import fmt_datetime
from monitor.ui.main_window import MainWindow
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices

#: Rows of the limits grid; MAP last, since most clinics leave it empty.
LIMIT_VITALS: tuple[Vital, ...] = (Vital.SBP, Vital.DBP, Vital.HR, Vital.RR, Vital.SPO2,
                                   Vital.MAP)
#: The baseline-relative rule the editor offers (DOMAIN.md: systolic +-20 % / 40 %).
RULE_VITAL = Vital.SBP
SHORTCUT = shortcuts.THRESHOLDS
REASONS = ("Patient's known hypertension", "Clinic protocol update",
           "Requested by the anaesthetist")


@dataclass(frozen=True)
class SettingField:
    """One scalar alert setting as the editor shows it."""

    name: str  # AlertSettings attribute
    label: str  # names the field in messages, as validate_settings does
    unit: str
    whole: bool = False


SETTING_FIELDS: tuple[SettingField, ...] = (
    SettingField("reminder_minutes", "Reminder", "min after acknowledgement"),
    SettingField("device_persistence_readings", "Device persistence readings",
                 "consecutive readings (device feeds)", whole=True),
    SettingField("device_persistence_seconds", "Device persistence seconds",
                 "s (device feeds)"),
    SettingField("overdue_grace_minutes", "Overdue grace", "min after the due time"),
    SettingField("feed_silent_seconds", "Feed silent after", "s without a message"),
)


def parse_number(text: str, where: str, *, whole: bool = False
                 ) -> tuple[float | None, FieldError | None]:
    """``text`` as a number (None when empty), or an error naming ``where``."""
    text = text.strip().replace(",", ".")
    if not text:
        return None, None
    try:
        value = float(text)
    except ValueError:
        return None, FieldError(where, f"'{text}' is not a number")
    if not math.isfinite(value):
        return None, FieldError(where, f"'{text}' is not a number")
    if whole and value != int(value):
        return None, FieldError(where, f"'{text}' is not a whole number")
    return value, None


def run_or_show_refusal(action: Callable[[], object], errors: QLabel) -> bool:
    """Run ``action``; when the domain refuses the input or the store fails, say why in
    ``errors`` and return False (nothing was saved)."""
    try:
        action()
    except ValidationFailed as failure:
        errors.setText("\n".join(str(e) for e in failure.errors))
        return False
    except StoreError as failure:
        errors.setText(str(failure))
        return False
    errors.setText("")
    return True


def fmt_number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def describe_version(version: ProfileVersion) -> str:
    """Which version is in force, and who put it there."""
    name = version.profile.name or "unnamed profile"
    if version.scope is ProfileScope.SHIPPED:
        return f"In force: shipped preset “{name}” (never changed)"
    where = ("clinic default" if version.scope is ProfileScope.CLINIC
             else "session override (this patient only)")
    text = (f"In force: {where}, changed by {version.changed_by or '?'} "
            f"at {fmt_datetime(version.changed_at)}")
    return text + (f" — {version.reason}" if version.reason else "")


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "/".join(_show(v) for v in value) + " %"
    return f"{value:g}" if isinstance(value, float | int) else str(value)


@dataclass(frozen=True)
class ChangeRow:
    """One saved version and what it changed, for the Changes tab."""

    version: ProfileVersion
    changes: tuple[str, ...]  # "SBP caution high: 160 -> 140"


def change_rows(versions: Sequence[ProfileVersion], shipped: ProfileVersion
                ) -> list[ChangeRow]:
    """Every saved version, newest first, with what the domain says it changed against the
    version it replaced (the same old -> new as the audit trail)."""
    return [ChangeRow(c.version,
                      tuple(f"{label}: {_show(v['old'])} -> {_show(v['new'])}"
                            for label, v in c.changes.items()) or ("no values changed",))
            for c in reversed(change_history(versions, shipped))]


class ThresholdEditor(QDialog):
    """Edit and save the thresholds and alert behaviour of the open session or the clinic."""

    def __init__(self, alerts: AlertController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("thresholdEditor")
        self.setWindowTitle("Thresholds and alert behaviour")
        self.alerts = alerts
        self._dirty = False
        self.limit_inputs: dict[tuple[Vital, str], QLineEdit] = {}
        self.margin_inputs: dict[Vital, QLineEdit] = {}
        self.setting_inputs: dict[str, QLineEdit] = {}

        self.in_force = QLabel(describe_version(alerts.version()))
        self.in_force.setObjectName("thresholdInForce")
        self.in_force.setWordWrap(True)
        self.in_force.setStyleSheet("font-weight: 600;")
        self.tabs = QTabWidget()
        self.tabs.addTab(self._limits_page(), "&Limits")
        self.tabs.addTab(self._settings_page(), "&Alert behaviour")
        self.changes = QTableWidget(0, 5)
        self.changes.setObjectName("thresholdChanges")
        self.tabs.addTab(self.changes, "C&hanges")

        layout = QVBoxLayout(self)
        layout.addWidget(self.in_force)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(self._save_form())
        self.errors = error_label("thresholdErrors")
        layout.addWidget(self.errors)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.setObjectName("thresholdButtons")
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.fill(alerts.profile, alerts.settings)
        self.show_changes()
        for edit in self._value_inputs():
            edit.textEdited.connect(self._edited)
        guard_choices(self)  # the wheel never changes an unfocused choice

    # -- construction --------------------------------------------------------------------

    def _line(self, name: str, width: int = 64) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setMaximumWidth(width)
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        return edit

    def _limits_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout()
        for column, name in enumerate(LIMIT_NAMES, start=1):
            header = QLabel(LIMIT_LABELS[name])
            header.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(header, 0, column)
        for row, vital in enumerate(LIMIT_VITALS, start=1):
            spec = VITAL_SPECS[vital]
            label = f"{spec.abbreviation} ({spec.unit})"
            if vital is Vital.MAP:
                label += " optional"
            grid.addWidget(QLabel(label), row, 0)
            for column, name in enumerate(LIMIT_NAMES, start=1):
                edit = self._line(f"limit_{vital.value}_{name}")
                edit.setAccessibleName(f"{spec.abbreviation} {LIMIT_LABELS[name]}")
                edit.setPlaceholderText("none")
                self.limit_inputs[(vital, name)] = edit
                grid.addWidget(edit, row, column)
            plausible = QLabel(f"plausible {spec.plausible_min:g}–{spec.plausible_max:g}")
            plausible.setStyleSheet("color: palette(placeholder-text);")
            grid.addWidget(plausible, row, len(LIMIT_NAMES) + 1)
        rule_box = QGroupBox(f"Relative to the patient's own baseline "
                             f"({VITAL_SPECS[RULE_VITAL].abbreviation})")
        rule_form = QHBoxLayout(rule_box)
        self.rule_caution = self._line("rule_caution_pct")
        self.rule_critical = self._line("rule_critical_pct")
        rule_form.addWidget(QLabel("caution beyond ±"))
        rule_form.addWidget(self.rule_caution)
        rule_form.addWidget(QLabel("%    critical beyond ±"))
        rule_form.addWidget(self.rule_critical)
        rule_form.addWidget(QLabel("% (both empty: no baseline rule)"))
        rule_form.addStretch(1)
        hint = QLabel("Order: critical low < caution low < caution high < critical high. "
                      "Leave a limit empty where none applies.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addLayout(grid)
        layout.addWidget(rule_box)
        layout.addWidget(hint)
        layout.addStretch(1)
        return page

    def _settings_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout()
        for f in SETTING_FIELDS:
            edit = self._line(f"setting_{f.name}")
            self.setting_inputs[f.name] = edit
            row = QHBoxLayout()
            row.addWidget(edit)
            row.addWidget(QLabel(f.unit))
            row.addStretch(1)
            form.addRow(f.label, row)
        margins = QGroupBox("Resolve margin: an alert clears only when the value is back "
                            "inside its limit by")
        margin_row = QHBoxLayout(margins)
        for vital in LIMIT_VITALS:
            spec = VITAL_SPECS[vital]
            edit = self._line(f"margin_{vital.value}", 48)
            self.margin_inputs[vital] = edit
            margin_row.addWidget(QLabel(spec.abbreviation))
            margin_row.addWidget(edit)
        margin_row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(margins)
        layout.addStretch(1)
        return page

    def _save_form(self) -> QFormLayout:
        form = QFormLayout()
        scope_row = QHBoxLayout()
        self.session_scope = QRadioButton("This session only")
        self.session_scope.setObjectName("scopeSession")
        self.clinic_scope = QRadioButton("Clinic default (sessions without their own)")
        self.clinic_scope.setObjectName("scopeClinic")
        self.scope_group = QButtonGroup(self)
        self.scope_group.addButton(self.session_scope)
        self.scope_group.addButton(self.clinic_scope)
        self.session_scope.setChecked(True)
        self.scope_group.buttonToggled.connect(self._scope_toggled)
        scope_row.addWidget(self.session_scope)
        scope_row.addWidget(self.clinic_scope)
        scope_row.addStretch(1)
        self.preset_button = QPushButton("Load shipped &preset")
        self.preset_button.setObjectName("loadPresetButton")
        self.preset_button.setToolTip(f"Fill in “{self.alerts.shipped.profile.name}” and the "
                                      "default alert behaviour; nothing is saved until Save")
        self.preset_button.clicked.connect(self.load_preset)
        scope_row.addWidget(self.preset_button)
        self.initials = QLineEdit()
        self.initials.setObjectName("thresholdInitials")
        self.initials.setMaximumWidth(80)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.setObjectName("thresholdReason")
        self.reason.addItems(REASONS)
        self.reason.setCurrentText("")
        form.addRow("Applies to", scope_row)
        form.addRow("Reason", self.reason)
        form.addRow("Your initials", self.initials)
        return form

    def _value_inputs(self) -> list[QLineEdit]:
        return [*self.limit_inputs.values(), self.rule_caution, self.rule_critical,
                *self.margin_inputs.values(), *self.setting_inputs.values()]

    # -- showing -------------------------------------------------------------------------

    def fill(self, profile: ThresholdProfile, settings: AlertSettings) -> None:
        """Show ``profile`` and ``settings`` in the fields."""
        self._profile_name = profile.name
        self._other_rules = tuple(r for r in profile.baseline_rules if r.vital is not RULE_VITAL)
        for (vital, name), edit in self.limit_inputs.items():
            edit.setText(fmt_number(getattr(profile.limits_for(vital), name)))
        rule = next((r for r in profile.baseline_rules if r.vital is RULE_VITAL), None)
        self.rule_caution.setText(fmt_number(rule.caution_pct if rule else None))
        self.rule_critical.setText(fmt_number(rule.critical_pct if rule else None))
        for vital, edit in self.margin_inputs.items():
            edit.setText(fmt_number(settings.resolve_margin.get(vital)))
        for name, edit in self.setting_inputs.items():
            edit.setText(fmt_number(getattr(settings, name)))
        self._dirty = False

    def show_changes(self) -> None:
        """Fill the Changes tab: who changed what, when, old -> new."""
        session = self.alerts.sessions.session
        versions = (self.alerts.store.profile_versions(session.id)
                    if session is not None and session.id is not None else [])
        rows = change_rows(versions, self.alerts.shipped)
        table = self.changes
        table.setHorizontalHeaderLabels(["When", "Who", "Applies to", "Changes (old -> new)",
                                         "Reason"])
        table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            v = row.version
            scope = "clinic default" if v.scope is ProfileScope.CLINIC else "this session"
            cells = (fmt_datetime(v.changed_at), v.changed_by, scope, "\n".join(row.changes),
                     v.reason)
            for column, text in enumerate(cells):
                table.setItem(index, column, QTableWidgetItem(text))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()

    def change_texts(self) -> list[str]:
        """The Changes tab as text, one line per saved version (newest first)."""
        return [" | ".join(self.changes.item(r, c).text() for c in range(5))
                for r in range(self.changes.rowCount())]

    # -- editing -------------------------------------------------------------------------

    def _edited(self, *_args: object) -> None:
        self._dirty = True

    def scope(self) -> ProfileScope:
        return (ProfileScope.CLINIC if self.clinic_scope.isChecked()
                else ProfileScope.SESSION)

    def _scope_toggled(self, _button: QRadioButton, checked: bool) -> None:
        # Untouched fields follow the chosen scope, so editing the clinic default starts
        # from the clinic default rather than from this patient's override.
        if not checked or self._dirty:
            return
        if self.scope() is ProfileScope.CLINIC:
            base = self.alerts.store.clinic_profile() or self.alerts.shipped
        else:
            base = self.alerts.version()
        self.fill(base.profile, base.settings)

    def load_preset(self) -> None:
        """Fill in the shipped preset and default behaviour (saved only with Save)."""
        self.fill(self.alerts.shipped.profile, self.alerts.shipped.settings)
        self._dirty = True
        if not self.reason.currentText().strip():
            self.reason.setCurrentText("Back to the shipped preset")

    def read(self) -> tuple[ThresholdProfile, AlertSettings]:
        """The profile and settings in the fields. Raises ValidationFailed naming each field
        that is not a number; ordering and ranges are checked by the domain on save."""
        errors: list[FieldError] = []

        def number(edit: QLineEdit, where: str, whole: bool = False) -> float | None:
            value, error = parse_number(edit.text(), where, whole=whole)
            if error:
                errors.append(error)
            return value

        limits: dict[Vital, Limits] = {}
        for vital in LIMIT_VITALS:
            abbreviation = VITAL_SPECS[vital].abbreviation
            entered = {name: number(self.limit_inputs[(vital, name)],
                                    f"{abbreviation} {LIMIT_LABELS[name]}")
                       for name in LIMIT_NAMES}
            if any(v is not None for v in entered.values()):
                limits[vital] = Limits(**entered)
        rule_label = f"{VITAL_SPECS[RULE_VITAL].abbreviation} baseline rule"
        caution = number(self.rule_caution, f"{rule_label} caution %")
        critical = number(self.rule_critical, f"{rule_label} critical %")
        rules = list(self._other_rules)
        rule_texts = [self.rule_caution.text().strip(), self.rule_critical.text().strip()]
        if caution is not None and critical is not None:
            rules.insert(0, BaselineRule(RULE_VITAL, caution, critical))
        elif bool(rule_texts[0]) != bool(rule_texts[1]):
            errors.append(FieldError(rule_label, "enter both caution % and critical %, "
                                                 "or neither for no rule"))
        margins = {}
        for vital, edit in self.margin_inputs.items():
            value = number(edit, f"{VITAL_SPECS[vital].abbreviation} resolve margin")
            if value is not None:
                margins[vital] = value
        values: dict[str, object] = {"resolve_margin": margins}
        defaults = AlertSettings()
        for f in SETTING_FIELDS:
            value = number(self.setting_inputs[f.name], f.label, f.whole)
            if value is None:
                value = getattr(defaults, f.name)
            values[f.name] = int(value) if f.whole else value
        known = {f.name for f in fields(AlertSettings)}
        settings = AlertSettings(**{k: v for k, v in values.items() if k in known})
        if errors:
            raise ValidationFailed(errors)
        profile = ThresholdProfile(self._profile_name, limits, tuple(rules))
        return profile, settings

    def try_save(self) -> None:
        """Save through the controller; refused input is shown and nothing is stored."""
        def save() -> None:
            profile, settings = self.read()
            self.alerts.change_profile(profile, settings, by=self.initials.text(),
                                       reason=self.reason.currentText(), scope=self.scope())

        if run_or_show_refusal(save, self.errors):
            self.accept()

    def error_text(self) -> str:
        return self.errors.text()


def open_threshold_editor(alerts: AlertController, parent: QWidget | None = None) -> bool:
    """Show the editor modally; True when a new version was saved."""
    return bool(ThresholdEditor(alerts, parent).exec())


def install_threshold_editor(window: MainWindow, alerts: AlertController) -> None:
    """Add *Session > Thresholds…* to ``window``."""
    window.add_menu_action("&Session", "&Thresholds…",
                           lambda: open_threshold_editor(alerts, window), SHORTCUT,
                           "thresholdsAction")
