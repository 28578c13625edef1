"""The web forms. Rules live in the services: forms render fields and carry the errors.

Views never call ``form.validate()`` for business rules; they pass the submitted values
to a service and, when it raises ValidationFailed, put its per-field reasons back on the
form with ``show_errors``. CSRF is checked for every POST before the view runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateInput, NumberInput

from trainerpath.bounds import MAX_NOTE, PASSWORD_TOO_LONG, password_error
from trainerpath.models import Role
from trainerpath.pathways import CURRENT, Ruleset, rulesets_of
from trainerpath.services.evidence_kinds import (
    DECIMAL,
    EARLIEST_DAY,
    KINDS,
    WHOLE,
    EvidenceKind,
    FieldSpec,
)

from .common import humanise, wants_partial


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """The options of a select field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


ROLE_CHOICES = options(
    [
        (Role.CANDIDATE.value, "Candidate"),
        (Role.MENTOR.value, "Mentor"),
        (Role.ADMIN.value, "Admin"),
    ]
)


def autofocus(field: Field) -> bool | None:
    """Where a whole page drawn again after its form was refused (no htmx) opens: True on
    the first of the form's fields with an error, however far down the page the form is;
    False on every other field of that form (an autofocus of its own, as the login's
    e-mail has, gives way: one autofocus in a page, or the browser takes the first);
    None, leaving the field as it is, while the form has no error. Never True in an htmx
    swap, where the focus would jump back to a field the reader has just left."""
    form = getattr(field, "_form", None)  # the form a bound field belongs to
    invalid = [f for f in (form if form is not None else [field]) if f.errors]
    if not invalid:
        return None
    return invalid[0] is field and not wants_partial()


class WebForm(FlaskForm):
    """A form that can show the reasons a service gave for refusing its values."""

    def show_errors(
        self, reasons: Mapping[str, str], aliases: Mapping[str, str] | None = None
    ) -> None:
        """Attach each reason to its field (``aliases`` maps service names to field names)."""
        aliases = aliases or {}
        leftovers = []
        for name, reason in reasons.items():
            field = self._fields.get(aliases.get(name, name))
            if field is None:
                leftovers.append(f"{name.replace('_', ' ').capitalize()}: {humanise(reason)}")
            else:
                field.errors = [humanise(reason)]
        self.form_errors.extend(leftovers)

    def refuse_long_passwords(self) -> bool:
        """Show an error on each password too long to hash; whether there was one."""
        too_long = {
            field.name: PASSWORD_TOO_LONG
            for field in self
            if isinstance(field, PasswordField) and password_error(field.data)
        }
        self.show_errors(too_long)
        return bool(too_long)

    def value(self, name: str) -> str:
        """The submitted text of a field, stripped ("" when absent)."""
        data = self._fields[name].data
        return data.strip() if isinstance(data, str) else ""


# -- Accounts -------------------------------------------------------------------------


class LoginForm(WebForm):
    """Log in with e-mail and password."""

    # The page is there to log in: the cursor starts in the first field.
    email = EmailField(
        "E-mail", render_kw={"autocomplete": "username", "required": True, "autofocus": True}
    )
    password = PasswordField(
        "Password", render_kw={"autocomplete": "current-password", "required": True}
    )
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()
    time_zone = HiddenField()  # the browser's zone, filled in by app.js


class SignupForm(WebForm):
    """Create a candidate account."""

    name = StringField(
        "Your name", render_kw={"autocomplete": "name", "required": True, "maxlength": 120}
    )
    email = EmailField("E-mail", render_kw={"autocomplete": "email", "required": True})
    password = PasswordField(
        "Password",
        description="At least 8 characters.",
        render_kw={"autocomplete": "new-password", "required": True, "minlength": 8},
    )
    confirm = PasswordField(
        "Repeat the password", render_kw={"autocomplete": "new-password", "required": True}
    )
    time_zone = HiddenField()  # the browser's zone, filled in by app.js


class PasswordForm(WebForm):
    """Change one's own password."""

    current_password = PasswordField(
        "Current password", render_kw={"autocomplete": "current-password", "required": True}
    )
    new_password = PasswordField(
        "New password",
        description="At least 8 characters.",
        render_kw={"autocomplete": "new-password", "required": True, "minlength": 8},
    )
    confirm = PasswordField(
        "Repeat the new password", render_kw={"autocomplete": "new-password", "required": True}
    )


class ForgotPasswordForm(WebForm):
    """Ask for a password reset link."""

    email = EmailField("E-mail", render_kw={"autocomplete": "username", "required": True})


class NewPasswordForm(WebForm):
    """Choose a password from a reset or invitation link."""

    new_password = PasswordField(
        "New password",
        description="At least 8 characters.",
        render_kw={"autocomplete": "new-password", "required": True, "minlength": 8},
    )
    confirm = PasswordField(
        "Repeat the new password", render_kw={"autocomplete": "new-password", "required": True}
    )


# -- Candidates, mentors ---------------------------------------------------------------


class ReviewForm(WebForm):
    """Verify or reject an evidence item; the decision comes from the button pressed."""

    note = TextAreaField(
        "Note for the candidate",
        description="Required to reject: say what to correct.",
        render_kw={"rows": 2, "maxlength": MAX_NOTE},
    )


class FeedbackForm(WebForm):
    """Leave feedback for a candidate."""

    body = TextAreaField("Feedback", render_kw={"rows": 4, "maxlength": 5000, "required": True})
    enrollment_id = SelectField(
        "About", choices=options([("", "Their work in general")]), validate_choice=False
    )


class EnrolForm(WebForm):
    """Enrol in a pathway under one version of its rules (and a track, where it has tracks)."""

    pathway = HiddenField()
    ruleset = RadioField(
        "Which rules",
        description="New enrollments follow the current rules. You can switch while preparing.",
        validate_choice=False,
    )
    track = RadioField("Track", validate_choice=False)
    tracked: frozenset[str] = frozenset()  # per instance: the rulesets that have tracks


def enrol_form(pathway: str, submitted: bool = False) -> EnrolForm:
    """The enrol form of one pathway: the current rules and the default track preselected."""
    rulesets = rulesets_of(pathway)
    tracked = [ruleset for ruleset in rulesets if ruleset.tracks]
    defaults = {"pathway": pathway, "ruleset": CURRENT[pathway].id}
    if tracked:
        defaults["track"] = tracked[0].default_track or ""
    form = EnrolForm() if submitted else EnrolForm(formdata=None, data=defaults)
    form.ruleset.choices = [(ruleset.id, _ruleset_choice(ruleset)) for ruleset in rulesets]
    form.track.choices = list(dict(pair for r in tracked for pair in r.tracks).items())
    form.track.description = _track_help(tracked)
    form.tracked = frozenset(ruleset.id for ruleset in tracked)
    # Two pathways' forms may share a page: their controls need ids of their own.
    for field in (form.pathway, form.ruleset, form.track):
        field.id = f"enrol-{pathway}-{field.name}"
    return form


def _ruleset_choice(ruleset: Ruleset) -> str:
    return f"{ruleset.label} — current" if CURRENT[ruleset.pathway] is ruleset else ruleset.label


def _track_help(tracked: Iterable[Ruleset]) -> str:
    editions = " and ".join(ruleset.edition for ruleset in tracked)
    return f"Applies to the {editions} rules only." if editions else ""


# -- Admin ----------------------------------------------------------------------------


class UserForm(WebForm):
    """Create a user of any role."""

    name = StringField(
        "Name", render_kw={"required": True, "maxlength": 120, "autocomplete": "off"}
    )
    email = EmailField("E-mail", render_kw={"required": True, "autocomplete": "off"})
    # Always one of the roles (mentor unless changed), so not labelled "(optional)".
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        default="mentor",
        validate_choice=False,
        render_kw={"required": True},
    )
    invite = BooleanField(
        "Send an invitation link instead",
        description="They choose their own password from a link we e-mail them; leave the "
        "password empty.",
    )
    password = PasswordField(
        "Initial password",
        description="Only without an invitation: at least 8 characters; tell the person "
        "to change it.",
        render_kw={"minlength": 8, "autocomplete": "new-password"},
    )


class RoleForm(WebForm):
    """Change a user's role."""

    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)


class AssignForm(WebForm):
    """Assign a mentor to a candidate."""

    mentor = StringField("Mentor")  # search boxes: a name, an e-mail or an id
    candidate = StringField("Candidate")


# -- Evidence: one form builder for every kind ----------------------------------------


def _field_for(spec: FieldSpec) -> Field:
    """Build the form field that edits one FieldSpec."""
    render_kw: dict[str, Any] = {}
    if spec.required:
        render_kw["required"] = True
    if spec.max_length is not None:
        render_kw["maxlength"] = spec.max_length
    if spec.type == "longtext":
        return TextAreaField(spec.label, description=spec.help, render_kw=render_kw | {"rows": 3})
    if spec.type in ("int", "number"):
        widget = NumberInput(
            step=1 if spec.type == "int" else "any",
            min=spec.minimum,
            max=spec.maximum,
        )
        mode = "numeric" if spec.type == "int" else "decimal"
        if spec.default is not None:  # what a blank field stores
            render_kw["placeholder"] = f"{spec.default:g}"
        return StringField(
            spec.label,
            description=spec.help,
            widget=widget,
            render_kw=render_kw | {"inputmode": mode},
        )
    if spec.type == "date":
        return StringField(
            spec.label, description=spec.help, widget=DateInput(), render_kw=render_kw
        )
    if spec.type == "bool":
        return BooleanField(spec.label, description=spec.help)
    if spec.type == "choice":
        choices = options([("", "Choose…"), *spec.choices])
        return SelectField(
            spec.label,
            description=spec.help,
            choices=choices,
            validate_choice=False,
            render_kw=render_kw,
        )
    return StringField(spec.label, description=spec.help, render_kw=render_kw)


@cache
def evidence_form_class(slug: str) -> type[WebForm]:
    """The form class of an evidence kind, generated from its FieldSpecs."""
    kind = KINDS[slug]
    fields = {spec.name: _field_for(spec) for spec in kind.fields}
    return type(f"{kind.model.__name__}Form", (WebForm,), fields)


def evidence_form(
    kind: EvidenceKind, today: date, values: Mapping[str, Any] | None = None
) -> WebForm:
    """An evidence form: from the request when posted, else from ``values`` (for editing)."""
    cls = evidence_form_class(kind.slug)
    form = cls(formdata=None, data=as_form_data(kind, values)) if values is not None else cls()
    for spec in kind.fields:
        if spec.type == "date":
            # The browser's date picker then stays within them; the service still checks.
            bounds = {"min": EARLIEST_DAY.isoformat()}
            if spec.not_future:
                bounds["max"] = today.isoformat()
            form[spec.name].render_kw = (form[spec.name].render_kw or {}) | bounds
    return form


def as_form_data(kind: EvidenceKind, values: Mapping[str, Any]) -> dict[str, str | bool]:
    """Stored values as the strings the form shows."""
    data: dict[str, str | bool] = {}
    for spec in kind.fields:
        value = values.get(spec.name)
        if spec.type == "bool":
            data[spec.name] = bool(value)
        elif value is None:
            data[spec.name] = ""
        elif isinstance(value, date):
            data[spec.name] = value.isoformat()
        elif isinstance(value, float):  # as it reads back: 0.00001, not 1e-05
            data[spec.name] = format(Decimal(repr(value)).normalize(), "f")
        else:
            data[spec.name] = str(value)
    return data


def _typed(spec: FieldSpec, raw: str) -> Any:
    """Convert the text of a number field as a CSV cell is read; leave anything else for
    the service to name."""
    if spec.type == "int":
        return int(raw) if WHOLE.fullmatch(raw) else raw
    if spec.type == "number":
        return float(raw) if DECIMAL.fullmatch(raw) else raw
    return raw


def submitted_values(kind: EvidenceKind, formdata: Mapping[str, str]) -> dict[str, Any]:
    """The kind's fields from a posted form, typed as the service expects (blank is None)."""
    values: dict[str, Any] = {}
    for spec in kind.fields:
        raw = formdata.get(spec.name, "")
        if spec.type == "bool":  # an unticked box is not sent at all
            values[spec.name] = bool(raw.strip())
            continue
        values[spec.name] = None if not raw.strip() else _typed(spec, raw.strip())
    return values
