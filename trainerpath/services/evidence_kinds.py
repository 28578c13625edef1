"""The five evidence kinds of pathways.md §3: their fields, rules and validation.

One declaration per kind serves every entrance: the API passes decoded JSON, the web
forms pass typed form data, the seed passes Python values; all meet ``validate``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from trainerpath import clock
from trainerpath.bounds import typed_text
from trainerpath.models import (
    AssessmentAttempt,
    Credential,
    EvidenceBase,
    ExperiencePeriod,
    Milestone,
    TeachingSession,
)
from trainerpath.wording import format_day, format_score

from .errors import ValidationFailed

DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_MESSAGE = "must be a date (YYYY-MM-DD)"
# Numbers as typed into a form or a CSV cell: ASCII digits, a "." before any decimals
# (not "1_0", nor the digits of other scripts, which int() and float() would read).
WHOLE = re.compile(r"[+-]?[0-9]{1,12}")
DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]*)?|\.[0-9]+)")
# No evidence is that old: an earlier date is a slip (a year typed as "0002").
EARLIEST_DAY = date(1900, 1, 1)


def parse_iso_date(text: str) -> date | None:
    """The date ``text`` spells as YYYY-MM-DD, or None.

    Stricter than ``date.fromisoformat``, which also takes week dates ("2024-W01-1").
    """
    if not DATE_SHAPE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


FieldType = Literal["text", "longtext", "int", "number", "date", "choice", "bool"]
REQUIRED = "required"


@dataclass(frozen=True)
class FieldSpec:
    """One field of an evidence kind and the rules a value must meet."""

    name: str
    label: str
    type: FieldType
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    not_future: bool = False
    help: str = ""
    default: Any = None  # what an optional field left out stores

    @property
    def choice_values(self) -> tuple[str, ...]:
        """The stored values a choice field accepts."""
        return tuple(value for value, _label in self.choices)

    def choice_label(self, value: str | None) -> str:
        """The label people see for a stored choice value."""
        return dict(self.choices).get(value or "", value or "")

    def clean(self, value: Any, today: date) -> tuple[Any, str | None]:
        """Return the value to store, or an error saying why it is unacceptable."""
        if value is None or (isinstance(value, str) and not typed_text(value)):
            return self.default, (REQUIRED if self.required else None)
        cleaner = getattr(self, f"_clean_{self.type}")
        result: tuple[Any, str | None] = cleaner(value, today)
        return result

    def _clean_text(self, value: Any, _today: date) -> tuple[Any, str | None]:
        if not isinstance(value, str):
            return None, "must be text"
        value = typed_text(value)
        if self.max_length is not None and len(value) > self.max_length:
            return None, f"must be at most {self.max_length} characters"
        return value, None

    _clean_longtext = _clean_text

    def _in_range(self, value: float) -> str | None:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None and not low <= value <= high:
            return f"must be between {low:g} and {high:g}"
        return None

    def _clean_int(self, value: Any, _today: date) -> tuple[Any, str | None]:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, "must be a whole number"
        return value, self._in_range(value)

    def _clean_number(self, value: Any, _today: date) -> tuple[Any, str | None]:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return None, "must be a number"
        return float(value), self._in_range(value)

    def _clean_date(self, value: Any, today: date) -> tuple[Any, str | None]:
        if isinstance(value, str):
            value = parse_iso_date(value)
        # A datetime is a date subclass, but comparing it with a date raises TypeError.
        if not isinstance(value, date) or isinstance(value, datetime):
            return None, DATE_MESSAGE
        if self.not_future and value > today:
            return None, "cannot be in the future"
        if value < EARLIEST_DAY:
            return None, f"must be on or after {format_day(EARLIEST_DAY)}"
        return value, None

    def _clean_bool(self, value: Any, _today: date) -> tuple[Any, str | None]:
        if not isinstance(value, bool):
            return None, "must be true or false"
        return value, None

    def _clean_choice(self, value: Any, _today: date) -> tuple[Any, str | None]:
        if value not in self.choice_values:
            return None, "must be one of: " + ", ".join(self.choice_values)
        return value, None


CrossRule = Callable[[dict[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class Derived:
    """Stored fields (``names``) that ``compute`` derives from a valid item's values."""

    names: tuple[str, ...]
    compute: Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class EvidenceKind:
    """An evidence kind: its URL slug, model, fields and cross-field rules."""

    slug: str
    label: str
    plural: str
    model: type[EvidenceBase]
    fields: tuple[FieldSpec, ...]
    rules: CrossRule = lambda _values: {}
    # Stored fields computed from the kind's own (a credential's valid_until).
    derived: Derived = field(default_factory=lambda: Derived((), lambda _values: {}))
    summary: Callable[[Any], str] = field(default=lambda item: "")
    # Two items with the same values of these fields look like one logged twice.
    same_item: tuple[str, ...] = ()

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of the kind's own fields, in form order."""
        return tuple(spec.name for spec in self.fields)

    def spec(self, name: str) -> FieldSpec:
        """Return the field called ``name``."""
        return next(spec for spec in self.fields if spec.name == name)

    def validate(self, data: Mapping[str, Any], today: date) -> dict[str, Any]:
        """Return the stored values for ``data``, or raise ValidationFailed per field."""
        errors = {name: "unknown field" for name in data if name not in self.field_names}
        values: dict[str, Any] = {}
        for spec in self.fields:
            value, error = spec.clean(data.get(spec.name), today)
            if error:
                errors[spec.name] = error
            values[spec.name] = value
        # Every problem at once: the rules across fields read only values that passed
        # (a refused field's value is None, which no rule judges), and never replace a
        # field's own error.
        for name, why in self.rules(values).items():
            errors.setdefault(name, why)
        if errors:
            raise ValidationFailed(errors)
        return values | self.derived.compute(values)

    def values_of(self, item: EvidenceBase) -> dict[str, Any]:
        """The kind's own fields of a stored item."""
        return {name: getattr(item, name) for name in self.field_names}


ASSESSMENTS = (
    ("psm_1", "PSM I"),
    ("psm_2", "PSM II"),
    ("psm_3", "PSM III"),
    ("pspo_1", "PSPO I"),
    ("pspo_2", "PSPO II"),
    ("pspo_3", "PSPO III"),
    ("psd_1", "PSD I"),
    ("pal_1", "PAL I"),
    ("psk_1", "PSK I"),
    ("pspo_a", "PSPO-A"),
)
SCRUM_ALLIANCE_CREDENTIALS = (
    ("csm", "CSM"),
    ("cspo", "CSPO"),
    ("csd", "CSD"),
    ("a_csm", "A-CSM"),
    ("a_cspo", "A-CSPO"),
    ("csp_sm", "CSP-SM"),
    ("csp_po", "CSP-PO"),
)
CREDENTIAL_KINDS = (*SCRUM_ALLIANCE_CREDENTIALS, *ASSESSMENTS, ("other", "Other"))
EXPERIENCE_ROLES = (
    ("product_owner", "Product Owner"),
    ("scrum_master", "ScrumMaster"),
    ("team_member", "Team member"),
    ("agile_coach", "Agile coach"),
    ("other", "Other"),
)
MILESTONE_KINDS = (
    ("course_materials_reviewed", "Course materials reviewed"),
    ("learning_objectives_mapped", "Learning objectives mapped"),
    ("ttt_attended", "Train the Trainer attended"),
    ("application_drafted", "Application drafted"),
    # Scrum.org's free class passport: the first attempt within 14 days keeps the free
    # second one (the reminders count the days from here).
    ("pspo1_passport_received", "PSPO I passport received"),
    ("other", "Other"),
)
CREDENTIAL_LABELS = dict(CREDENTIAL_KINDS)
ROLE_LABELS = dict(EXPERIENCE_ROLES)
MILESTONE_LABELS = dict(MILESTONE_KINDS)
SCRUM_ALLIANCE_KINDS = frozenset(value for value, _label in SCRUM_ALLIANCE_CREDENTIALS)
SCRUM_ALLIANCE_VALIDITY_YEARS = 2


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _after(later: str, earlier: str, *, allow_equal: bool, message: str) -> CrossRule:
    def rule(values: dict[str, Any]) -> dict[str, str]:
        first, second = values.get(earlier), values.get(later)
        if first is None or second is None:
            return {}
        ok = second >= first if allow_equal else second > first
        return {} if ok else {later: message}

    return rule


def _teaching_rules(values: dict[str, Any]) -> dict[str, str]:
    if values["context"] == "co_trained" and not values.get("co_trainer"):
        return {"co_trainer": "required when the session was co-trained with a CST"}
    return {}


def _credential_summary(item: Any) -> str:
    """A credential in a line: "CSM issued 1 Mar 2024, expires 1 Mar 2026". Its
    ``valid_until`` is the first day it is no longer active (pathways.md §3:
    issued_on ≤ today < expires_on), so it "expires" on that day, not "valid until" it."""
    issued = f"{CREDENTIAL_LABELS.get(item.kind, item.kind)} issued {format_day(item.issued_on)}"
    if item.valid_until is None:
        return f"{issued}, no expiry"
    verb = "expired" if item.valid_until <= clock.today() else "expires"
    return f"{issued}, {verb} {format_day(item.valid_until)}"


def _credential_validity(values: dict[str, Any]) -> dict[str, Any]:
    valid_until = values.get("expires_on")
    if valid_until is None and values["kind"] in SCRUM_ALLIANCE_KINDS:
        valid_until = add_years(values["issued_on"], SCRUM_ALLIANCE_VALIDITY_YEARS)
    return {"valid_until": valid_until}


TEACHING_SESSIONS = EvidenceKind(
    slug="teaching-sessions",
    label="Teaching session",
    plural="Teaching sessions",
    model=TeachingSession,
    fields=(
        FieldSpec("title", "Title", "text", max_length=200),
        FieldSpec(
            "course_type",
            "Course type",
            "choice",
            choices=(
                ("scrum_master", "ScrumMaster"),
                ("product_owner", "Product Owner"),
                ("other", "Other"),
            ),
        ),
        FieldSpec("first_day", "First day", "date", not_future=True),
        FieldSpec(
            "days", "Days", "int", minimum=1, maximum=30, help="2 or more is a multi-day session"
        ),
        FieldSpec("students", "Students", "int", minimum=1, maximum=500),
        FieldSpec(
            "context",
            "Context",
            "choice",
            choices=(
                ("co_trained", "Co-trained with a CST"),
                ("independent", "Independent (non-certified)"),
            ),
        ),
        FieldSpec("co_trainer", "Co-trainer", "text", required=False, max_length=200),
        FieldSpec("location", "Location", "text", required=False, max_length=200),
        FieldSpec("notes", "Notes", "longtext", required=False, max_length=5000),
        FieldSpec(
            "share_delivered",
            "Share you delivered (%)",
            "int",
            required=False,
            minimum=1,
            maximum=100,
            default=100,
            help="Did you deliver at least half of this course? 100 if you taught all of it",
        ),
        FieldSpec(
            "with_current_materials",
            "With my current course materials",
            "bool",
            required=False,
            default=False,
            help="Did you teach it with the current version of your own course materials?",
        ),
        FieldSpec(
            "reflection",
            "Reflection",
            "longtext",
            required=False,
            max_length=5000,
            default="",
            help="How did you inspect and adapt after this course (student or co-trainer "
            "feedback)?",
        ),
    ),
    rules=_teaching_rules,
    same_item=("title", "first_day"),
    summary=lambda item: (
        f"{item.title}: {item.students} students, {item.days} "
        f"{'day' if item.days == 1 else 'days'} from {format_day(item.first_day)}"
    ),
)

ASSESSMENT_ATTEMPTS = EvidenceKind(
    slug="assessments",
    label="Assessment attempt",
    plural="Assessment attempts",
    model=AssessmentAttempt,
    fields=(
        FieldSpec("assessment", "Assessment", "choice", choices=ASSESSMENTS),
        FieldSpec("score", "Score (%)", "number", minimum=0, maximum=100),
        FieldSpec("taken_on", "Taken on", "date", not_future=True),
        FieldSpec(
            "passport_received_on",
            "Passport received on",
            "date",
            required=False,
            not_future=True,
            help="The day the free assessment password arrived, if from a class",
        ),
    ),
    rules=_after(
        "taken_on",
        "passport_received_on",
        allow_equal=True,
        message="cannot be before the passport was received",
    ),
    same_item=("assessment", "taken_on"),
    summary=lambda item: (
        f"{dict(ASSESSMENTS).get(item.assessment, item.assessment)}: "
        f"{format_score(item.score)}% on {format_day(item.taken_on)}"
    ),
)

CREDENTIALS = EvidenceKind(
    slug="credentials",
    label="Credential",
    plural="Credentials",
    model=Credential,
    fields=(
        FieldSpec(
            "kind",
            "Credential",
            "choice",
            choices=CREDENTIAL_KINDS,
        ),
        FieldSpec("issued_on", "Issued on", "date", not_future=True),
        FieldSpec(
            "expires_on",
            "Expires on",
            "date",
            required=False,
            help="Leave empty: Scrum Alliance credentials then last 2 years, others never expire",
        ),
    ),
    rules=_after(
        "expires_on", "issued_on", allow_equal=False, message="must be after the issue date"
    ),
    derived=Derived(("valid_until",), _credential_validity),
    same_item=("kind", "issued_on"),
    summary=_credential_summary,
)

EXPERIENCE = EvidenceKind(
    slug="experience",
    label="Experience",
    plural="Experience",
    model=ExperiencePeriod,
    fields=(
        FieldSpec(
            "role",
            "Role",
            "choice",
            choices=EXPERIENCE_ROLES,
        ),
        FieldSpec("organisation", "Organisation", "text", max_length=200),
        FieldSpec("started_on", "Started on", "date", not_future=True),
        FieldSpec("ended_on", "Ended on", "date", required=False, help="Leave empty if ongoing"),
    ),
    rules=_after("ended_on", "started_on", allow_equal=True, message="cannot be before the start"),
    same_item=("role", "organisation", "started_on"),
    summary=lambda item: (
        f"{ROLE_LABELS.get(item.role, item.role)} at {item.organisation}, "
        f"{format_day(item.started_on)} to {format_day(item.ended_on) if item.ended_on else 'now'}"
    ),
)

MILESTONES = EvidenceKind(
    slug="milestones",
    label="Milestone",
    plural="Milestones",
    model=Milestone,
    fields=(
        FieldSpec(
            "kind",
            "Milestone",
            "choice",
            choices=MILESTONE_KINDS,
        ),
        FieldSpec("achieved_on", "Achieved on", "date", not_future=True),
        FieldSpec("note", "Note", "longtext", required=False, max_length=5000),
    ),
    same_item=("kind", "achieved_on"),
    summary=lambda item: (
        f"{MILESTONE_LABELS.get(item.kind, item.kind)} on {format_day(item.achieved_on)}"
    ),
)

# One example item per kind, as the API would take it: the reference page shows them
# and the CSV templates carry them. Data, not declarations of fields.
EXAMPLES: dict[str, dict[str, Any]] = {
    "teaching-sessions": {
        "title": "Certified ScrumMaster, Leeds",
        "course_type": "scrum_master",
        "first_day": "2025-03-04",
        "days": 2,
        "students": 14,
        "context": "co_trained",
        "co_trainer": "Alex Example, CST",
        "share_delivered": 50,
        "with_current_materials": True,
        "reflection": "Students asked for more practice; moved the Sprint Review exercise "
        "to day one.",
    },
    "assessments": {"assessment": "pspo_1", "score": 96.5, "taken_on": "2025-02-10"},
    "credentials": {"kind": "csp_sm", "issued_on": "2024-11-01"},
    "experience": {
        "role": "product_owner",
        "organisation": "Acme Ltd",
        "started_on": "2019-09-01",
        "ended_on": None,
    },
    "milestones": {"kind": "course_materials_reviewed", "achieved_on": "2025-01-20"},
}

KINDS: dict[str, EvidenceKind] = {
    kind.slug: kind
    for kind in (TEACHING_SESSIONS, ASSESSMENT_ATTEMPTS, CREDENTIALS, EXPERIENCE, MILESTONES)
}


def evidence_kind(slug: str) -> EvidenceKind:
    """Return the kind for a URL slug such as ``teaching-sessions``."""
    return KINDS[slug]
