"""Each validation rule: a clear per-field reason, the error shape, and nothing changed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Api, Cast, error_of
from .helpers import KINDS, iso_days_ago, valid_body

TOMORROW = iso_days_ago(-1)
TODAY = iso_days_ago(0)
TOO_EARLY = "must be on or after 1 Jan 1900"


def add(api: Api, cast: Cast, kind: str, body: Any):
    """POST an item of ``kind`` to the candidate's record as the candidate."""
    return api.post(f"/candidates/{cast.candidate.id}/{kind}", cast.token("candidate"), body)


# (kind, changes to a valid body, expected details); None as a change removes the field.
REFUSED: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("teaching-sessions", {"title": None}, {"title": "required"}),
    ("teaching-sessions", {"title": "   "}, {"title": "required"}),
    ("teaching-sessions", {"title": "x" * 201}, {"title": "must be at most 200 characters"}),
    ("teaching-sessions", {"title": "A\x00B"}, {"title": "must not contain NUL characters"}),
    ("teaching-sessions", {"title": 12}, {"title": "must be text"}),
    (
        "teaching-sessions",
        {"course_type": "scrum"},
        {"course_type": "must be one of: scrum_master, product_owner, other"},
    ),
    ("teaching-sessions", {"first_day": TOMORROW}, {"first_day": "cannot be in the future"}),
    (
        "teaching-sessions",
        {"first_day": "2024/01/05"},
        {"first_day": "must be a date (YYYY-MM-DD)"},
    ),
    (
        "teaching-sessions",
        {"first_day": "2024-02-30"},
        {"first_day": "must be a date (YYYY-MM-DD)"},
    ),
    (
        "teaching-sessions",
        {"first_day": "2024-W01-1"},
        {"first_day": "must be a date (YYYY-MM-DD)"},
    ),
    ("teaching-sessions", {"first_day": 20240105}, {"first_day": "must be a date (YYYY-MM-DD)"}),
    ("teaching-sessions", {"days": "2"}, {"days": "must be a whole number"}),
    ("teaching-sessions", {"days": True}, {"days": "must be a whole number"}),
    ("teaching-sessions", {"days": 2.5}, {"days": "must be a whole number"}),
    ("teaching-sessions", {"days": 0}, {"days": "must be between 1 and 30"}),
    ("teaching-sessions", {"days": 31}, {"days": "must be between 1 and 30"}),
    ("teaching-sessions", {"students": 501}, {"students": "must be between 1 and 500"}),
    ("teaching-sessions", {"students": "12"}, {"students": "must be a whole number"}),
    (
        "teaching-sessions",
        {"co_trainer": None},
        {"co_trainer": "required when the session was co-trained with a CST"},
    ),
    ("teaching-sessions", {"venue": "Leeds"}, {"venue": "unknown field"}),
    ("teaching-sessions", {"share_delivered": 0}, {"share_delivered": "must be between 1 and 100"}),
    (
        "teaching-sessions",
        {"share_delivered": 101},
        {"share_delivered": "must be between 1 and 100"},
    ),
    ("teaching-sessions", {"share_delivered": "50"}, {"share_delivered": "must be a whole number"}),
    ("teaching-sessions", {"share_delivered": 50.5}, {"share_delivered": "must be a whole number"}),
    (
        "teaching-sessions",
        {"with_current_materials": "yes"},
        {"with_current_materials": "must be true or false"},
    ),
    (
        "teaching-sessions",
        {"with_current_materials": 1},
        {"with_current_materials": "must be true or false"},
    ),
    (
        "teaching-sessions",
        {"reflection": "r" * 5001},
        {"reflection": "must be at most 5000 characters"},
    ),
    ("teaching-sessions", {"reflection": False}, {"reflection": "must be text"}),
    ("assessments", {"score": "96"}, {"score": "must be a number"}),
    ("assessments", {"score": True}, {"score": "must be a number"}),
    ("assessments", {"score": 100.5}, {"score": "must be between 0 and 100"}),
    ("assessments", {"score": -1}, {"score": "must be between 0 and 100"}),
    (
        "assessments",
        {"assessment": "psm_4"},
        {
            "assessment": "must be one of: psm_1, psm_2, psm_3, pspo_1, pspo_2, pspo_3, "
            "psd_1, pal_1, psk_1, pspo_a"
        },
    ),
    ("assessments", {"taken_on": TOMORROW}, {"taken_on": "cannot be in the future"}),
    (
        "assessments",
        {"passport_received_on": iso_days_ago(10), "taken_on": iso_days_ago(11)},
        {"taken_on": "cannot be before the passport was received"},
    ),
    (
        "credentials",
        {"issued_on": iso_days_ago(5), "expires_on": iso_days_ago(5)},
        {"expires_on": "must be after the issue date"},
    ),
    (
        "credentials",
        {"issued_on": TOMORROW, "expires_on": None},
        {"issued_on": "cannot be in the future"},
    ),
    ("credentials", {"kind": None}, {"kind": "required"}),
    ("credentials", {"valid_until": "2030-01-01"}, {"valid_until": "unknown field"}),
    (
        "experience",
        {"started_on": iso_days_ago(10), "ended_on": iso_days_ago(11)},
        {"ended_on": "cannot be before the start"},
    ),
    ("experience", {"organisation": ""}, {"organisation": "required"}),
    (
        "experience",
        {"role": "coach"},
        {"role": "must be one of: product_owner, scrum_master, team_member, agile_coach, other"},
    ),
    ("milestones", {"achieved_on": TOMORROW}, {"achieved_on": "cannot be in the future"}),
    # a year typed short ("0002"), as a browser's date field takes it while one types
    ("milestones", {"achieved_on": "0002-01-02"}, {"achieved_on": TOO_EARLY}),
    ("teaching-sessions", {"first_day": "1899-12-31"}, {"first_day": TOO_EARLY}),
    ("experience", {"ended_on": "0203-12-31"}, {"ended_on": TOO_EARLY}),
    ("milestones", {"note": ["a list"]}, {"note": "must be text"}),
]


def changed(kind: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A valid body of ``kind`` with ``changes`` applied (None removes a field)."""
    body = valid_body(kind)
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


@pytest.mark.parametrize(
    ("kind", "changes", "details"),
    REFUSED,
    ids=[f"{kind}:{'+'.join(changes)}" for kind, changes, _details in REFUSED],
)
def test_invalid_evidence_is_422_with_the_reason_per_field(
    api, cast, unchanged, kind, changes, details
):
    with unchanged():
        response = add(api, cast, kind, changed(kind, changes))
    assert error_of(response) == (422, "validation_error", details)


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_body_names_every_required_field(api, cast, kind):
    required = {
        "teaching-sessions": {"title", "course_type", "first_day", "days", "students", "context"},
        "assessments": {"assessment", "score", "taken_on"},
        "credentials": {"kind", "issued_on"},
        "experience": {"role", "organisation", "started_on"},
        "milestones": {"kind", "achieved_on"},
    }[kind]
    status, code, details = error_of(add(api, cast, kind, {}))
    assert (status, code) == (422, "validation_error")
    assert details == dict.fromkeys(required, "required")


ACCEPTED_EDGES: list[tuple[str, dict[str, Any]]] = [
    ("teaching-sessions", {"days": 1, "students": 1, "first_day": TODAY}),
    ("teaching-sessions", {"days": 30, "students": 500}),
    ("teaching-sessions", {"context": "independent", "co_trainer": None, "location": ""}),
    ("teaching-sessions", {"share_delivered": 1, "with_current_materials": True}),
    ("teaching-sessions", {"share_delivered": 100, "reflection": "r" * 5000}),
    ("experience", {"role": "agile_coach"}),
    ("assessments", {"score": 0}),
    ("assessments", {"score": 100, "passport_received_on": TODAY, "taken_on": TODAY}),
    ("credentials", {"kind": "psm_1", "expires_on": None}),
    ("experience", {"started_on": iso_days_ago(3), "ended_on": iso_days_ago(3)}),
    ("milestones", {"achieved_on": TODAY, "note": None}),
]


@pytest.mark.parametrize(
    ("kind", "changes"), ACCEPTED_EDGES, ids=[f"{k}:{'+'.join(c)}" for k, c in ACCEPTED_EDGES]
)
def test_values_at_the_edge_of_each_rule_are_accepted(api, cast, kind, changes):
    response = add(api, cast, kind, changed(kind, changes))
    assert response.status_code == 201, response.get_json()


def test_a_whole_number_is_a_valid_score(api, cast):
    response = add(api, cast, "assessments", changed("assessments", {"score": 96}))
    assert response.status_code == 201
    assert response.get_json()["score"] == 96


def test_text_is_stored_without_surrounding_white_space(api, cast):
    body = changed("experience", {"organisation": "  Acme Ltd  "})
    assert add(api, cast, "experience", body).get_json()["organisation"] == "Acme Ltd"


def test_scrum_alliance_credentials_without_expiry_still_show_none_entered(api, cast):
    body = changed("credentials", {"expires_on": None})
    item = add(api, cast, "credentials", body).get_json()
    assert item["expires_on"] is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        "{",
        "[1, 2]",
        "42",
        '"a string"',
        "null",
        '{"score": NaN}',
        '{"score": Infinity}',
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(api, cast, unchanged, raw):
    with unchanged():
        response = api.call(
            "POST",
            f"/candidates/{cast.candidate.id}/assessments",
            cast.token("candidate"),
            data=raw,
        )
    assert error_of(response) == (400, "bad_request", None)


# Python converts at most 4,300 digits of a literal (sys.get_int_max_str_digits) by default.
LONG_NUMBER = "9" * 5000


@pytest.mark.parametrize(
    ("kind", "field", "details"),
    [
        ("teaching-sessions", "students", {"students": "must be between 1 and 500"}),
        ("teaching-sessions", "days", {"days": "must be between 1 and 30"}),
        ("assessments", "score", {"score": "must be between 0 and 100"}),
    ],
)
@pytest.mark.parametrize("sign", ["", "-"])
def test_a_number_too_long_for_python_is_still_json_and_refused_per_field(
    api, cast, unchanged, kind, field, details, sign
):
    body = json.dumps({**valid_body(kind), field: 0}).replace(
        f'"{field}": 0', f'"{field}": {sign}{LONG_NUMBER}'
    )
    with unchanged():
        response = api.call(
            "POST", f"/candidates/{cast.candidate.id}/{kind}", cast.token("candidate"), data=body
        )
    assert error_of(response) == (422, "validation_error", details)


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1" + "0" * 400])
def test_a_number_too_large_for_a_float_is_out_of_range(api, cast, unchanged, literal):
    body = json.dumps({**valid_body("assessments"), "score": 0}).replace(
        '"score": 0', f'"score": {literal}'
    )
    with unchanged():
        response = api.call(
            "POST",
            f"/candidates/{cast.candidate.id}/assessments",
            cast.token("candidate"),
            data=body,
        )
    assert error_of(response) == (
        422,
        "validation_error",
        {"score": "must be between 0 and 100"},
    )


def test_an_id_too_long_for_python_is_out_of_range_not_malformed(api, cast, unchanged):
    body = f'{{"mentor_id": {LONG_NUMBER}, "candidate_id": {cast.candidate.id}}}'
    with unchanged():
        response = api.call("POST", "/mentorships", cast.token("admin"), data=body)
    assert error_of(response) == (
        422,
        "validation_error",
        {"mentor_id": "must be between 1 and 2147483647"},
    )


def test_text_that_is_not_unicode_is_400(api, cast):
    raw = '{"title": "\\ud800"}'
    response = api.call(
        "POST",
        f"/candidates/{cast.candidate.id}/teaching-sessions",
        cast.token("candidate"),
        data=raw,
    )
    assert error_of(response)[:2] == (400, "bad_request")


def test_bytes_that_are_not_utf8_are_400(api, cast):
    response = api.call(
        "POST",
        f"/candidates/{cast.candidate.id}/milestones",
        cast.token("candidate"),
        data=b"\xff\xfe{",
    )
    assert error_of(response)[:2] == (400, "bad_request")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_json_in_another_unicode_encoding_is_400(api, cast, unchanged, encoding):
    # JSON between systems is UTF-8 (RFC 8259 §8.1); json.loads would guess the others.
    with unchanged():
        response = api.call(
            "POST",
            f"/candidates/{cast.candidate.id}/milestones",
            cast.token("candidate"),
            data=json.dumps(valid_body("milestones")).encode(encoding),
        )
    assert error_of(response)[:2] == (400, "bad_request")


def test_json_in_utf8_with_a_byte_order_mark_is_read(api, cast):
    response = api.call(
        "POST",
        f"/candidates/{cast.candidate.id}/milestones",
        cast.token("candidate"),
        data=b"\xef\xbb\xbf" + json.dumps(valid_body("milestones")).encode(),
    )
    assert response.status_code == 201


# -- users and mentorships --------------------------------------------------------------

USER = {
    "email": "new@example.org",
    "name": "New Person",
    "password": "long enough",
    "role": "candidate",
}


NO_CONTROLS = "must not contain line breaks or other control characters"


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        ({"email": "not-an-address"}, {"email": "must be a valid e-mail address"}),
        ({"email": "a@b"}, {"email": "must be a valid e-mail address"}),
        # a second account for the same mailbox, and an address literal
        ({"email": "new@example.org."}, {"email": "must be a valid e-mail address"}),
        ({"email": "x@[127.0.0.1]"}, {"email": "must be a valid e-mail address"}),
        ({"name": "\u200b"}, {"name": "required"}),
        ({"name": "\u200e\u00ad\u3164"}, {"name": "required"}),  # marks and fillers only
        ({"name": "Eve\u2028Bcc: x"}, {"name": NO_CONTROLS}),
        ({"email": "new@example.org\u200b"}, {"email": "must be a valid e-mail address"}),
        ({"name": "Eve\r\nBcc: evil@x.test"}, {"name": NO_CONTROLS}),
        ({"name": "Eve\u202eevil"}, {"name": NO_CONTROLS}),
        ({"email": "x" * 250 + "@example.org"}, {"email": "must be at most 254 characters"}),
        ({"name": " "}, {"name": "required"}),
        ({"name": "n" * 121}, {"name": "must be at most 120 characters"}),
        ({"password": "short"}, {"password": "must be at least 8 characters"}),
        ({"role": "boss"}, {"role": "must be one of: candidate, mentor, admin"}),
        ({"role": None}, {"role": "required"}),
        ({"is_admin": True}, {"is_admin": "unknown field"}),
    ],
)
def test_an_invalid_new_user_is_422(api, cast, unchanged, changes, details):
    body = {**USER, **changes}
    with unchanged():
        response = api.post("/users", cast.token("admin"), body)
    assert error_of(response) == (422, "validation_error", details)


def test_a_new_user_comes_back_without_any_password(api, cast):
    response = api.post("/users", cast.token("admin"), USER)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "email", "name", "role"}
    assert "long enough" not in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["cora@example.org", "CORA@Example.org", "  cora@example.org"])
def test_an_email_already_taken_in_any_letter_case_is_409(api, cast, unchanged, email):
    with unchanged():
        response = api.post("/users", cast.token("admin"), {**USER, "email": email.strip()})
    assert error_of(response)[:2] == (409, "conflict")


def test_new_users_emails_are_stored_lower_case(api, cast):
    body = api.post("/users", cast.token("admin"), {**USER, "email": "New.Person@Example.ORG"})
    assert body.get_json()["email"] == "new.person@example.org"


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (
            lambda c: {"mentor_id": c.candidate.id, "candidate_id": c.candidate.id},
            {"mentor_id": "must be the id of a mentor"},
        ),
        (
            lambda c: {"mentor_id": c.mentor.id, "candidate_id": c.other_mentor.id},
            {"candidate_id": "must be the id of a candidate"},
        ),
        (
            lambda c: {"mentor_id": 999999, "candidate_id": c.candidate.id},
            {"mentor_id": "must be the id of a mentor"},
        ),
        (
            lambda c: {"mentor_id": str(c.mentor.id), "candidate_id": c.candidate.id},
            {"mentor_id": "must be a whole number"},
        ),
        (
            lambda c: {"mentor_id": 0, "candidate_id": c.candidate.id},
            {"mentor_id": "must be between 1 and 2147483647"},
        ),
        (lambda c: {"mentor_id": c.mentor.id}, {"candidate_id": "required"}),
    ],
    ids=[
        "candidate as mentor",
        "mentor as candidate",
        "no such user",
        "id as text",
        "id zero",
        "missing",
    ],
)
def test_a_mentorship_with_users_of_the_wrong_role_is_422(api, cast, unchanged, body, details):
    with unchanged():
        response = api.post("/mentorships", cast.token("admin"), body(cast))
    assert error_of(response) == (422, "validation_error", details)


def test_an_active_duplicate_mentorship_is_409(api, cast, unchanged):
    with unchanged():
        response = api.post(
            "/mentorships",
            cast.token("admin"),
            {"mentor_id": cast.mentor.id, "candidate_id": cast.candidate.id},
        )
    assert error_of(response)[:2] == (409, "conflict")


def test_a_candidate_may_have_several_mentors(api, cast):
    response = api.post(
        "/mentorships",
        cast.token("admin"),
        {"mentor_id": cast.other_mentor.id, "candidate_id": cast.candidate.id},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["mentor_id"], body["candidate_id"]) == (cast.other_mentor.id, cast.candidate.id)
    assert body["started_at"].endswith("Z")
    assert (
        api.get(f"/candidates/{cast.candidate.id}", cast.token("other_mentor")).status_code == 200
    )
    assert api.get(f"/candidates/{cast.candidate.id}", cast.token("mentor")).status_code == 200


# -- reviews, enrollments, transitions -------------------------------------------------


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"decision": "approved"}, {"decision": "must be one of: verified, rejected"}),
        ({}, {"decision": "required"}),
        ({"decision": "verified", "note": 5}, {"note": "must be text"}),
        ({"decision": "verified", "grade": "A"}, {"grade": "unknown field"}),
        ({"decision": "rejected"}, {"note": "required"}),
        ({"decision": "rejected", "note": "  "}, {"note": "required"}),
    ],
)
def test_an_invalid_review_is_422(api, cast, make_evidence, unchanged, body, details):
    item = make_evidence(cast.candidate, "milestones", "pending")
    with unchanged():
        response = api.post(f"/evidence/milestones/{item.id}/review", cast.token("mentor"), body)
    assert error_of(response) == (422, "validation_error", details)


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"pathway": "csm"}, {"pathway": "must be one of: cst, pst"}),
        ({}, {"pathway": "required"}),
        ({"pathway": "cst", "ruleset": "cst@0"}, {"ruleset": "must be one of: cst@1, cst@2"}),
        ({"pathway": "cst", "rules": "cst@1"}, {"rules": "unknown field"}),
    ],
)
def test_an_unknown_pathway_or_ruleset_is_422(api, cast, unchanged, body, details):
    with unchanged():
        response = api.post(
            f"/candidates/{cast.candidate.id}/enrollments", cast.token("candidate"), body
        )
    assert error_of(response) == (422, "validation_error", details)


def test_a_second_enrollment_in_a_pathway_is_409(api, cast, make_enrollment, unchanged):
    make_enrollment(cast.candidate, "pst")
    with unchanged():
        response = api.post(
            f"/candidates/{cast.candidate.id}/enrollments",
            cast.token("candidate"),
            {"pathway": "pst"},
        )
    assert error_of(response)[:2] == (409, "conflict")


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"event": "fly_away"}, {"event": "unknown"}),
        ({"event": "pass_pspo2"}, {"event": "unknown"}),  # a PST event on a CST enrollment
        ({}, {"event": "required"}),
        ({"event": 3}, {"event": "must be text"}),
        ({"event": "withdraw", "note": 1}, {"note": "must be text"}),
        ({"event": "withdraw", "reason": "x"}, {"reason": "unknown field"}),
    ],
)
def test_an_invalid_transition_is_422(api, cast, make_enrollment, unchanged, body, details):
    enrollment = make_enrollment(cast.candidate, "cst")
    with unchanged():
        response = api.post(
            f"/enrollments/{enrollment.id}/transitions", cast.token("candidate"), body
        )
    assert error_of(response) == (422, "validation_error", details)


# -- pagination parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ({"per_page": 0}, {"per_page": "must be between 1 and 100"}),
        ({"per_page": 101}, {"per_page": "must be between 1 and 100"}),
        ({"per_page": -5}, {"per_page": "must be between 1 and 100"}),
        ({"per_page": "ten"}, {"per_page": "must be a whole number"}),
        ({"per_page": "5.0"}, {"per_page": "must be a whole number"}),
        ({"page": 0}, {"page": "must be between 1 and 2147483647"}),
        ({"page": ""}, {"page": "must be a whole number"}),
        (
            {"page": 0, "per_page": 500},
            {"page": "must be between 1 and 2147483647", "per_page": "must be between 1 and 100"},
        ),
    ],
)
@pytest.mark.parametrize("path", ["/candidates", "/candidates/{id}/milestones"])
def test_page_parameters_out_of_range_are_422(api, cast, query, details, path):
    response = api.get(path.format(id=cast.candidate.id), cast.token("admin"), query=query)
    assert error_of(response) == (422, "validation_error", details)


# -- the error shape ------------------------------------------------------------------------


def test_every_error_has_code_message_and_details(api, cast):
    response = add(api, cast, "teaching-sessions", changed("teaching-sessions", {"days": 0}))
    body = response.get_json()
    assert body == {
        "error": {
            "code": "validation_error",
            "message": body["error"]["message"],
            "details": {"days": "must be between 1 and 30"},
        }
    }
    # The details name the field; the message says what is wrong without naming it again.
    assert body["error"]["message"] == "1 field is missing or invalid; the details say why."
    assert response.mimetype == "application/json"
