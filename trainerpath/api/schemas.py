"""The API's request and response models; the OpenAPI document is generated from them.

Request models are strict: unknown fields are refused, numbers are not coerced from
strings or booleans, and dates are ``YYYY-MM-DD`` strings. The evidence models are
built from the FieldSpecs in services/evidence_kinds.py, the single declaration of
each kind's fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from trainerpath.bounds import MAX_NOTE, MAX_PASSWORD
from trainerpath.models import ReviewStatus, Role
from trainerpath.notification_kinds import KINDS as NOTIFICATION_KINDS
from trainerpath.pathways import RULESETS
from trainerpath.services.evidence import DECISIONS
from trainerpath.services.evidence_kinds import (
    DATE_MESSAGE,
    EARLIEST_DAY,
    EXAMPLES,
    KINDS,
    EvidenceKind,
    FieldSpec,
    parse_iso_date,
)

from .registry import ID_MAX

# Text may hold anything but NUL, which PostgreSQL cannot store; required text must
# also hold something besides white space.
ANY_TEXT = r"^[^\x00]*$"
NON_BLANK = r"^\s*[^\s\x00][^\x00]*$"
EMAIL_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"


@dataclass(frozen=True)
class Why:
    """Annotation metadata: the reason to give when the field's pattern does not match."""

    message: str


def literal(values: tuple[str, ...]) -> Any:
    """Return ``Literal[values]`` for values known only at run time."""
    return Literal.__getitem__(values)


def _iso_date(value: Any) -> date:
    parsed = parse_iso_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise PydanticCustomError("date_format", DATE_MESSAGE)
    return parsed


def iso_utc(moment: datetime) -> str:
    """Format a timestamp as ISO 8601 in UTC with a ``Z``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


Id = Annotated[int, Field(ge=1, le=ID_MAX)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Text = Annotated[str, StringConstraints(pattern=ANY_TEXT)]
RequiredText = Annotated[str, StringConstraints(pattern=NON_BLANK)]
# A note as sent, held to the length the services allow: the document's maxLength is
# that of the JSON string itself, and the service's measure of it (typed_text) is never
# longer, so what passes here passes there.
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE, pattern=ANY_TEXT)]
UtcDateTime = Annotated[
    datetime,
    PlainSerializer(iso_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2025-03-05T14:03:00Z"]}),
]
RoleName = literal(tuple(role.value for role in Role))
PathwayName = literal(tuple(dict.fromkeys(ruleset.pathway for ruleset in RULESETS.values())))
RULESET_KEYS = tuple(RULESETS)
TRACKS = tuple(dict.fromkeys(value for r in RULESETS.values() for value, _label in r.tracks))
TrackName = literal(TRACKS)
ReviewStatusName = literal(tuple(status.value for status in ReviewStatus))


class RequestBody(BaseModel):
    """A strict request body: unknown fields and coerced types are refused."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class ResponseBody(BaseModel):
    """A response body: exactly these fields, nothing more."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)


# -- authentication and users -------------------------------------------------------


Password = Annotated[str, StringConstraints(max_length=MAX_PASSWORD)]


class TokenRequest(RequestBody):
    """The credentials exchanged for a token."""

    email: Text
    password: Password


class Token(ResponseBody):
    """A new token: shown once, never again."""

    token: str = Field(description="Send it as `Authorization: Bearer <token>`.")
    expires_at: UtcDateTime


class UserCreate(RequestBody):
    """A new user account."""

    email: Annotated[
        str,
        StringConstraints(max_length=254, pattern=EMAIL_PATTERN),
        Why("must be a valid e-mail address"),
    ] = Field(description="Unique, compared case-insensitively; stored lower-case.")
    name: Annotated[str, StringConstraints(max_length=120, pattern=NON_BLANK)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=MAX_PASSWORD)] | None = (
        Field(default=None, description="Required unless `invite` is true; left out if it is.")
    )
    role: RoleName  # type: ignore[valid-type]
    invite: bool = Field(
        default=False,
        description="Mail the user a link to choose their own password (valid for "
        "INVITATION_MAX_AGE_DAYS, 7 days by default) instead of setting one; until they "
        "do, they cannot log in.",
    )


class User(ResponseBody):
    """A user as the API shows one: never the password or its hash."""

    id: int
    email: str
    name: str
    role: RoleName  # type: ignore[valid-type]


class MentorshipCreate(RequestBody):
    """Assign a mentor to a candidate."""

    mentor_id: Id = Field(description="The id of a user whose role is mentor.")
    candidate_id: Id = Field(description="The id of a user whose role is candidate.")


class Mentorship(ResponseBody):
    """An active mentorship."""

    id: int
    mentor_id: int
    candidate_id: int
    started_at: UtcDateTime


# -- candidates and enrollments -----------------------------------------------------


class EnrollmentSummary(ResponseBody):
    """Where one enrollment stands."""

    id: int
    pathway: PathwayName  # type: ignore[valid-type]
    state: str


class CandidateSummary(ResponseBody):
    """A candidate in a list."""

    id: int
    name: str
    email: str
    enrollments: list[EnrollmentSummary]
    pending_reviews: int = Field(description="Evidence items of any kind waiting for review.")


class ReviewCounts(ResponseBody):
    """How many items of one kind are in each review status."""

    verified: int
    pending: int
    rejected: int


def _attribute(slug: str) -> str:
    return slug.replace("-", "_")


_count_fields: dict[str, Any] = {
    _attribute(slug): (ReviewCounts, Field(alias=slug)) for slug in KINDS
}
EvidenceCounts: type[BaseModel] = create_model(
    "EvidenceCounts",
    __base__=ResponseBody,
    __doc__="Review counts for every evidence kind.",
    **_count_fields,
)


class CandidateDetail(ResponseBody):
    """One candidate: evidence counts and enrollments."""

    id: int
    name: str
    email: str
    evidence: EvidenceCounts
    enrollments: list[EnrollmentSummary]


def choice_of(values: tuple[str, ...]) -> Any:
    """Text documented as one of ``values``; the service checks it against the pathway."""
    return Annotated[str, WithJsonSchema({"type": "string", "enum": list(values)})]


RulesetChoice = choice_of(RULESET_KEYS)
TrackChoice = choice_of(TRACKS)


class EnrollmentCreate(RequestBody):
    """Enrol in a pathway, under its current ruleset unless another is asked for."""

    pathway: PathwayName  # type: ignore[valid-type]
    ruleset: RulesetChoice | None = Field(  # type: ignore[valid-type]
        default=None,
        description="A ruleset of the pathway, e.g. `cst@1`; left out or null: the "
        "pathway's current ruleset. A ruleset of another pathway is 422.",
    )
    track: TrackChoice | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Only for a ruleset that has tracks (`cst@2`), else 422; left out or "
        "null: its default track, `scrum_master`.",
    )


class RulesetSwitchRequest(RequestBody):
    """Move a preparing enrollment to another ruleset of its pathway, or to another track."""

    ruleset: RulesetChoice = Field(  # type: ignore[valid-type]
        description="A ruleset of the enrollment's pathway, e.g. `cst@2`; its own ruleset "
        "with another `track` changes the track. The same ruleset and track is 422 "
        '`{"ruleset": "unchanged"}`.'
    )
    track: TrackChoice | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Only for a ruleset that has tracks, else 422; left out or null: the "
        "enrollment's track if the ruleset stays, else the ruleset's default "
        "(`scrum_master`).",
    )


class Window(ResponseBody):
    """A rolling window of ``months`` ending today."""

    months: int
    from_: date = Field(alias="from", description="Its first day (evidence dated on it counts).")


class AgeingEntry(ResponseBody):
    """A day on which verified evidence leaves the window."""

    on: date
    current: int | float = Field(description="What `current` becomes on that day.")


class Forecast(ResponseBody):
    """When an unmet requirement is met at the candidate's pace."""

    met_by: date | None = Field(description="null: not at this pace.")
    pace_per_month: float | None = Field(
        description="Verified quantity of the last 365 days / 12; null for durations."
    )


class Requirement(ResponseBody):
    """Progress toward one guard; ``current`` counts verified evidence."""

    key: str
    label: str
    met: bool
    current: int | float
    pending: int | float = Field(description="What waits for review.")
    target: int | float
    unit: str
    message: str = Field(description="A sentence for people, e.g. '27 more students needed'.")
    window: Window | None = Field(
        description="The rolling window it counts in, or null for a requirement without one."
    )
    ageing: list[AgeingEntry] = Field(
        description="Each day in the next 365 on which verified evidence leaves the window, "
        "with `current` from that day; empty when nothing ages out."
    )
    forecast: Forecast | None = Field(
        description="When an unmet count, total or duration is met at the candidate's pace; "
        "null when met, for a yes/no requirement or an assessment score."
    )


class Event(ResponseBody):
    """An event of the current state as the caller sees it."""

    name: str
    allowed: bool
    reasons: list[str] = Field(description="Why the caller cannot fire it now; empty if allowed.")


class HistoryEntry(ResponseBody):
    """One fired event."""

    event: str
    from_: str = Field(alias="from")
    to: str
    actor_id: int
    at: UtcDateTime
    note: str | None


class Enrollment(ResponseBody):
    """An enrollment with the requirements of its next steps, its events and its history."""

    id: int
    candidate_id: int
    pathway: PathwayName  # type: ignore[valid-type]
    ruleset: str = Field(description="The ruleset version it follows, e.g. `cst@1`.")
    track: TrackName | None = Field(  # type: ignore[valid-type]
        description="The track of a ruleset that has tracks (`cst@2`); null for the others."
    )
    state: str
    requirements: list[Requirement] = Field(
        description="The requirements of the guards leaving the current state."
    )
    events: list[Event] = Field(description="Every event of the current state.")
    history: list[HistoryEntry] = Field(description="Oldest first.")
    created_at: UtcDateTime
    updated_at: UtcDateTime


class RulesetEvent(ResponseBody):
    """One row of a ruleset's table: an event from one state."""

    name: str
    from_: str = Field(alias="from")
    to: str | None = Field(
        description="The state it leads to; null for `resume`, which returns to the state "
        "the enrollment was withdrawn from."
    )
    who: list[RoleName] = Field(  # type: ignore[valid-type]
        description="The roles that may fire it."
    )
    note_required: bool
    guards: list[str] = Field(description="The keys of the requirements that must be met.")


class RulesetRequirement(ResponseBody):
    """A requirement a ruleset declares, with its numbers and window."""

    key: str
    label: str
    target: int | float
    unit: str
    window: Window | None = Field(
        description="The rolling window it counts in, ending today (`from`: today's first "
        "day of it), or null for a requirement without one."
    )


class Ruleset(ResponseBody):
    """One version of a pathway's rules."""

    key: str = Field(description="What an enrollment records, e.g. `cst@2`.")
    pathway: PathwayName  # type: ignore[valid-type]
    version: int
    title: str
    awarding_body: str
    current: bool = Field(description="Whether new enrollments in the pathway follow it.")
    tracks: list[TrackName] = Field(  # type: ignore[valid-type]
        description="The tracks an enrollment may choose, the default first; empty if none."
    )
    states: list[str] = Field(description="Every state, in the order the ruleset declares them.")
    events: list[RulesetEvent] = Field(description="One row per event and `from` state.")
    requirements: list[RulesetRequirement] = Field(
        description="Every requirement the ruleset declares, each the guard of an event."
    )


class RulesetPage(ResponseBody):
    """One page of rulesets: each pathway's current one first, then older ones."""

    items: list[Ruleset]
    page: int
    per_page: int
    total: int


class TransitionRequest(RequestBody):
    """Fire an event of the enrollment's pathway."""

    event: Text = Field(description="An event name of the pathway, e.g. `submit_application`.")
    note: Note | None = Field(
        default=None, description="Required (non-blank) for the events that need a note."
    )


class ReviewRequest(RequestBody):
    """Verify or reject a pending evidence item."""

    decision: literal(DECISIONS)  # type: ignore[valid-type]
    note: Note | None = Field(default=None, description="Required (non-blank) to reject.")


# -- evidence, generated from the FieldSpecs ----------------------------------------


def _camel(label: str) -> str:
    return "".join(word.capitalize() for word in re.split(r"[^A-Za-z0-9]+", label) if word)


def _description(spec: FieldSpec) -> str:
    parts = [spec.label + "."]
    if spec.type in ("text", "longtext") and spec.required:
        parts.append("Must not be blank.")
    if spec.type == "date":
        parts.append(f"From {EARLIEST_DAY.isoformat()} on.")
    if spec.not_future:
        parts.append("Not in the future.")
    if spec.help:
        parts.append(spec.help if spec.help.endswith(("?", ".")) else spec.help + ".")
    return " ".join(parts)


def _input_type(spec: FieldSpec) -> Any:
    if spec.type in ("text", "longtext"):
        pattern = NON_BLANK if spec.required else ANY_TEXT
        return Annotated[str, StringConstraints(max_length=spec.max_length, pattern=pattern)]
    if spec.type == "int":
        return Annotated[int, Field(ge=spec.minimum, le=spec.maximum)]
    if spec.type == "number":
        return Annotated[float, Field(ge=spec.minimum, le=spec.maximum)]
    if spec.type == "date":
        return IsoDate
    if spec.type == "bool":
        return bool
    return literal(spec.choice_values)


def _output_type(spec: FieldSpec) -> Any:
    base: Any = {
        "text": str,
        "longtext": str,
        "int": int,
        "number": float,
        "date": date,
        "bool": bool,
    }.get(spec.type) or literal(spec.choice_values)
    return base if spec.required or spec.default is not None else base | None


# Values the services derive from an item's fields: read-only, in every item returned.
DERIVED: dict[str, dict[str, tuple[Any, str]]] = {
    "credentials": {
        "valid_until": (
            date | None,
            "`expires_on` when given, else for a Scrum Alliance credential "
            "`issued_on` + 2 years (29 February → 28 February), else null (it never "
            "expires). The credential is active while `issued_on` ≤ today < `valid_until`.",
        )
    }
}


def _drop_defaults(schema: dict[str, Any]) -> None:
    # A PATCH field that is left out keeps its value; "default: null" would say otherwise.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


@dataclass(frozen=True)
class KindModels:
    """The generated models of one evidence kind."""

    kind: EvidenceKind
    create: type[BaseModel]
    patch: type[BaseModel]
    item: type[BaseModel]
    page: type[BaseModel]
    derived: tuple[str, ...]  # read-only fields of an item beside the kind's own


def _kind_models(kind: EvidenceKind) -> KindModels:
    name = _camel(kind.label)
    create_fields: dict[str, Any] = {}
    patch_fields: dict[str, Any] = {}
    item_fields: dict[str, Any] = {
        "id": (int, ...),
        "candidate_id": (int, ...),
    }
    for spec in kind.fields:
        kind_type = _input_type(spec)
        title, description = spec.label, _description(spec)
        if spec.required:
            create_fields[spec.name] = (kind_type, Field(title=title, description=description))
        else:
            kind_type = kind_type | None
            create_fields[spec.name] = (
                kind_type,
                Field(default=spec.default, title=title, description=description),
            )
        patch_fields[spec.name] = (
            kind_type,
            Field(default=None, title=title, description=description),
        )
        item_fields[spec.name] = (_output_type(spec), Field(title=spec.label))
    derived = DERIVED.get(kind.slug, {})
    for field_name, (output_type, text) in derived.items():
        item_fields[field_name] = (
            output_type,
            Field(description=text, json_schema_extra={"readOnly": True}),
        )
    item_fields |= {
        "review_status": (ReviewStatusName, ...),
        "review_note": (str | None, ...),
        "reviewed_by": (int | None, Field(description="The id of the reviewer.")),
        "reviewed_at": (UtcDateTime | None, ...),
        "created_at": (UtcDateTime, ...),
    }
    example = EXAMPLES.get(kind.slug)
    create = create_model(
        f"{name}Create",
        __config__=ConfigDict(
            strict=True,
            extra="forbid",
            allow_inf_nan=False,
            json_schema_extra={"examples": [example]} if example else None,
        ),
        __doc__=f"A new {kind.label.lower()}, pending review.",
        **create_fields,
    )
    patch = create_model(
        f"{name}Patch",
        __config__=ConfigDict(
            strict=True, extra="forbid", allow_inf_nan=False, json_schema_extra=_drop_defaults
        ),
        __doc__=(
            f"Changes to a {kind.label.lower()}: merged into the item, then the whole item "
            "is validated again."
        ),
        **patch_fields,
    )
    item = create_model(
        name,
        __base__=ResponseBody,
        __doc__=f"A {kind.label.lower()} with its review.",
        **item_fields,
    )
    page = create_model(
        f"{name}Page",
        __base__=ResponseBody,
        __doc__=f"One page of {kind.plural.lower()}, newest first.",
        items=(list[item], ...),
        page=(int, ...),
        per_page=(int, ...),
        total=(int, ...),
    )
    return KindModels(kind, create, patch, item, page, tuple(derived))


EVIDENCE: dict[str, KindModels] = {slug: _kind_models(kind) for slug, kind in KINDS.items()}


class CandidatePage(ResponseBody):
    """One page of candidates, newest first."""

    items: list[CandidateSummary]
    page: int
    per_page: int
    total: int


# -- attachments ----------------------------------------------------------------------


class Attachment(ResponseBody):
    """Proof on an evidence item: a stored file, or an https link."""

    id: int
    kind: Literal["file", "link"]
    filename: str | None = Field(
        description="A file's name as sent: its last part, without `/`, `\\` or control "
        "characters. Null for a link."
    )
    content_type: Literal["application/pdf", "image/png", "image/jpeg", "image/webp"] | None = (
        Field(description="The file's type, decided from its content. Null for a link.")
    )
    size: int | None = Field(description="The file's size in bytes. Null for a link.")
    url: str | None = Field(description="A link's https address. Null for a file.")
    created_at: UtcDateTime


class AttachmentList(ResponseBody):
    """An item's attachments, oldest first (not paginated: at most 20)."""

    items: list[Attachment]


class ExportedAttachment(Attachment):
    """An attachment in the export: which item it proves (its bytes are not exported)."""

    evidence_kind: str = Field(description="The item's kind, e.g. `teaching-sessions`.")
    evidence_id: int


class LinkCreate(RequestBody):
    """An https link to attach, e.g. a digital badge or a certificate page."""

    url: Annotated[str, StringConstraints(pattern=ANY_TEXT, max_length=2000)]


# -- CSV import -----------------------------------------------------------------------


class ImportRow(ResponseBody):
    """One data row of an imported file."""

    line: int = Field(description="The row's line in the file; the header is line 1.")
    values: dict[str, Any] = Field(
        description="The row's fields as they would be stored (defaults filled in, dates "
        "ISO); a field with an error shows its cell's text."
    )
    errors: dict[str, str] = Field(
        description="`{field: why}`, empty when the row is fine; `row` when it has more "
        "cells than the header has columns."
    )


class ImportResult(ResponseBody):
    """Every data row of the file, in file order, and how many items were created."""

    rows: list[ImportRow]
    created: int = Field(description="Items created: 0 for a dry run.")


# -- export -------------------------------------------------------------------------


class Profile(ResponseBody):
    """The candidate's account."""

    id: int
    email: str
    name: str
    role: RoleName  # type: ignore[valid-type]
    is_active: bool
    created_at: UtcDateTime


class ExportedEnrollment(ResponseBody):
    """An enrollment with its ruleset version, track and full history."""

    id: int
    pathway: PathwayName  # type: ignore[valid-type]
    ruleset: str
    track: TrackName | None = Field(  # type: ignore[valid-type]
        description="The track of a ruleset that has tracks; null for the others."
    )
    state: str
    withdrawn_from: str | None = Field(description="Set while withdrawn: where resume leads.")
    created_at: UtcDateTime
    updated_at: UtcDateTime
    history: list[HistoryEntry]


class ExportedMentorship(ResponseBody):
    """A mentorship of the candidate, active or ended."""

    id: int
    mentor_id: int
    mentor_name: str
    started_at: UtcDateTime
    ended_at: UtcDateTime | None


class ExportedFeedback(ResponseBody):
    """A note a mentor or admin left for the candidate."""

    id: int
    author_id: int
    enrollment_id: int | None
    body: str
    created_at: UtcDateTime


_export_fields: dict[str, Any] = {
    _attribute(slug): (list[models.item], Field(alias=slug))  # type: ignore[name-defined]
    for slug, models in EVIDENCE.items()
}
ExportedEvidence: type[BaseModel] = create_model(
    "ExportedEvidence",
    __base__=ResponseBody,
    __doc__="Every evidence item of every kind, oldest first.",
    **_export_fields,
)


class Export(ResponseBody):
    """The candidate's whole record, theirs to take with them."""

    format: Literal["trainerpath-export"]
    version: Literal[1]
    exported_at: UtcDateTime
    profile: Profile
    evidence: ExportedEvidence
    enrollments: list[ExportedEnrollment]
    mentorships: list[ExportedMentorship]
    feedback: list[ExportedFeedback]
    attachments: list[ExportedAttachment]


# -- notifications ------------------------------------------------------------------


NotificationKindName = literal(tuple({k.api_kind: k for k in NOTIFICATION_KINDS.values()}))
NotificationSettingName = literal(tuple(NOTIFICATION_KINDS))


class Notification(ResponseBody):
    """Something that happened about the caller's work, or work waiting for them."""

    id: int
    kind: NotificationKindName = Field(  # type: ignore[valid-type]
        description="What happened: `evidence_reviewed` (verified or rejected), "
        "`evidence_waiting`, `feedback_received`, `outcome_recorded`, `mentor_assigned`, "
        "`candidate_without_mentor` or `reminder`."
    )
    setting: NotificationSettingName = Field(  # type: ignore[valid-type]
        description="The finer kind that the notification settings name (e.g. "
        "`evidence.rejected`, `reminder.credential_expiry`): which e-mail choice applies."
    )
    message: str = Field(description="The notification in a sentence for people.")
    body: str | None = Field(description="What was said with it: a rejection note, feedback.")
    url: str = Field(description="The web page it is about (absolute).")
    count: int = Field(
        description="`evidence_waiting`: how many new or corrected items it stands for, "
        "at most the candidate's items still waiting; otherwise 1."
    )
    candidate_id: int | None = Field(description="The candidate it is about, if any.")
    subject: str = Field(description='What it is about, e.g. `"teaching-sessions/12"`.')
    read_at: UtcDateTime | None = Field(description="When it was first marked read; null: unread.")
    created_at: UtcDateTime
    updated_at: UtcDateTime = Field(
        description="When it last changed (a counted notification's latest item); the "
        "list's order, newest first."
    )


class NotificationPage(ResponseBody):
    """One page of the caller's notifications, newest first."""

    items: list[Notification]
    page: int
    per_page: int
    total: int


# -- errors -------------------------------------------------------------------------

ERROR_CODES = (
    "bad_request",
    "unauthenticated",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "invalid_state",
    "guard_unmet",
    "conflict",
    "too_large",
    "unsupported_media_type",
    "too_many_requests",
    "validation_error",
    "too_many_requests",
    "internal_error",
)


class ErrorDetail(ResponseBody):
    """What went wrong."""

    code: literal(ERROR_CODES)  # type: ignore[valid-type]
    message: str = Field(description="A sentence for people.")
    details: Any = Field(
        description=(
            "validation_error: {field: why}; guard_unmet: {unmet: [keys], requirements: "
            "[requirement objects]}; otherwise usually null."
        )
    )


class Error(ResponseBody):
    """Every error has this shape."""

    error: ErrorDetail
