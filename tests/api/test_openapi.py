"""The OpenAPI document matches the app, and every response it documents really happens
and matches its schema; the reference page is rendered from it without scripts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import PASSWORD
from openapi_spec_validator import validate

from trainerpath.api.openapi import openapi_document
from trainerpath.services.notifications import notify

from .conftest import API, Api, Cast, OpenApiChecker, error_of
from .helpers import valid_body

DOCUMENT = openapi_document()
OPERATIONS = [
    (method, path, op) for path, item in DOCUMENT["paths"].items() for method, op in item.items()
]


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"] == "3.1.0"
    validate(DOCUMENT)


def test_the_served_document_is_public_and_the_generated_one(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == DOCUMENT


def test_every_api_route_is_documented_and_every_documented_operation_is_routed(app):
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.static":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((method.lower(), path))
    documented = {(method, path) for method, path, _op in OPERATIONS}
    assert routed == documented


def test_the_contracts_paths_are_all_there():
    paths = set(DOCUMENT["paths"])
    for path in (
        "/tokens",
        "/tokens/current",
        "/me",
        "/users",
        "/mentorships",
        "/mentorships/{mentorship_id}",
        "/candidates",
        "/candidates/{candidate_id}",
        "/candidates/{candidate_id}/export",
        "/candidates/{candidate_id}/enrollments",
        "/enrollments/{enrollment_id}",
        "/enrollments/{enrollment_id}/transitions",
        "/enrollments/{enrollment_id}/ruleset",
        "/rulesets",
        "/notifications",
        "/notifications/{notification_id}/read",
        "/notifications/read-all",
    ):
        assert API + path in paths
    for kind in ("teaching-sessions", "assessments", "credentials", "experience", "milestones"):
        assert {
            f"{API}/candidates/{{candidate_id}}/{kind}",
            f"{API}/evidence/{kind}/{{item_id}}",
            f"{API}/evidence/{kind}/{{item_id}}/review",
        } <= paths


@pytest.mark.parametrize(
    ("method", "path", "op"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p, _ in OPERATIONS]
)
def test_every_operation_documents_its_errors_and_bodies(method, path, op):
    statuses = set(op["responses"])
    assert any(status.startswith("2") for status in statuses)
    if op["security"] != []:
        assert "401" in statuses
    if "{" in path:
        assert "404" in statuses
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        assert {"400", "413", "422"} <= statuses
        assert content["application/json"]["schema"]["$ref"]
    elif content:  # an upload or an import: test_attachments.py, test_import.py drive these
        assert set(content) in ({"multipart/form-data"}, {"text/csv"})
        assert {"413", "415", "422"} <= statuses
    for status, response in op["responses"].items():
        if status.startswith("4"):
            assert response["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }


def test_request_bodies_refuse_unknown_fields():
    for name, schema in DOCUMENT["components"]["schemas"].items():
        if name.endswith(("Create", "Patch", "Request")):
            assert schema["additionalProperties"] is False, name


def test_evidence_models_are_generated_from_the_field_declarations():
    from trainerpath.services.evidence_kinds import KINDS

    schemas = DOCUMENT["components"]["schemas"]
    for kind in KINDS.values():
        name = "".join(word.capitalize() for word in re.split(r"\W+", kind.label))
        create = schemas[f"{name}Create"]
        assert list(create["properties"]) == list(kind.field_names)
        assert set(create.get("required", [])) == {s.name for s in kind.fields if s.required}
        item = schemas[name]
        assert set(kind.field_names) <= set(item["properties"])


def test_the_new_fields_of_issue_7_are_documented():
    schemas = DOCUMENT["components"]["schemas"]
    session = schemas["TeachingSessionCreate"]["properties"]
    assert (
        session["share_delivered"]["default"],
        session["with_current_materials"]["default"],
    ) == (
        100,
        False,
    )
    assert {"type": "boolean"} in session["with_current_materials"]["anyOf"]
    assert session["reflection"]["default"] == ""
    assert "valid_until" not in schemas["CredentialCreate"]["properties"]
    assert "valid_until" not in schemas["CredentialPatch"]["properties"]
    assert schemas["Credential"]["properties"]["valid_until"]["readOnly"] is True
    assert "valid_until" in schemas["Credential"]["required"]
    requirement = schemas["Requirement"]
    assert {"window", "ageing", "forecast"} <= set(requirement["required"])
    assert schemas["Window"]["properties"]["from"]["format"] == "date"
    assert schemas["AgeingEntry"]["properties"]["on"]["format"] == "date"
    assert "track" in schemas["Enrollment"]["required"]
    assert "track" in schemas["ExportedEnrollment"]["required"]
    create = schemas["EnrollmentCreate"]["properties"]
    assert create["ruleset"]["anyOf"][0]["enum"] == ["cst@1", "cst@2", "pst@1", "pst@2"]
    assert create["track"]["anyOf"][0]["enum"] == ["scrum_master", "product_owner"]
    assert schemas["RulesetSwitchRequest"]["required"] == ["ruleset"]
    assert schemas["RulesetSwitchRequest"]["additionalProperties"] is False
    listing = DOCUMENT["paths"][f"{API}/rulesets"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"page", "per_page"}


# -- every documented (operation, status) happens, and matches its schema --------------


@dataclass
class Stage:
    """A record on which every operation can succeed or fail in each documented way."""

    cast: Cast
    pending: dict[str, int]
    verified: dict[str, int]
    enrollment: int
    under_review: int  # the other candidate's, past preparing
    notification: int  # the admin's


@pytest.fixture
def stage(cast: Cast, make_evidence, make_enrollment, session) -> Stage:
    """The candidate with a pending and a verified item of each kind and a ``cst@1``
    enrollment; the other candidate with a ``cst@1`` enrollment under TAC review; a
    notification of the admin's."""
    pending, verified = {}, {}
    for kind in ("teaching-sessions", "assessments", "credentials", "experience", "milestones"):
        pending[kind] = make_evidence(cast.candidate, kind, "pending").id
        verified[kind] = make_evidence(cast.candidate, kind, "verified").id
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1").id
    under_review = make_enrollment(
        cast.other_candidate, "cst", ruleset="cst@1", state="tac_review"
    ).id
    (notification,) = notify(
        session=session,
        kind="candidate.unassigned",
        recipients=[cast.admin.id],
        actor=None,
        subject=f"users/{cast.candidate.id}",
        title="Cora Candidate has no mentor",
        link="/admin/mentorships",
    )
    session.commit()
    return Stage(cast, pending, verified, enrollment, under_review, notification.id)


Situation = tuple[str | None, dict[str, Any], Any, dict[str, Any] | None]  # who, ids, body, query
MISSING = 999_999


def _kind_of(endpoint: str) -> str | None:
    for kind in ("teaching-sessions", "assessments", "credentials", "experience", "milestones"):
        if endpoint.endswith(kind.replace("-", "_")):
            return kind
    return None


def situation(endpoint: str, status: int, s: Stage) -> Situation:
    """Who sends what to ``endpoint`` so that it answers ``status``."""
    c = s.cast
    kind = _kind_of(endpoint)
    verb = endpoint.split("_", 1)[0]
    ids = {
        "candidate_id": c.candidate.id,
        "enrollment_id": s.enrollment,
        "mentorship_id": c.mentorship.id,
        "item_id": s.pending.get(kind or "", 0),
        "notification_id": s.notification,
    }
    if status == 404:
        return "admin", dict.fromkeys(ids, MISSING), {}, None
    if status == 401:
        if endpoint == "create_token":
            return None, ids, {"email": "cora@example.org", "password": "not it"}, None
        return None, ids, None, None
    if status == 400:
        return _owner_of(endpoint), ids, "{not json", None
    if status == 429:  # after the account's failures from this address are used up
        return None, ids, {"email": "cora@example.org", "password": PASSWORD}, None
    if status == 413:  # a body one byte over the default limit
        return _owner_of(endpoint), ids, " " * (1024 * 1024 + 1), None
    if status == 422 and endpoint.startswith("list"):
        return "admin", ids, None, {"per_page": 0}
    if status == 422:
        return _owner_of(endpoint), ids, {"unexpected": True}, None
    if status == 403:
        forbidden = {
            "create_user": (
                "mentor",
                {"email": "x@example.org", "name": "X", "password": PASSWORD, "role": "admin"},
            ),
            "create_mentorship": (
                "candidate",
                {"mentor_id": c.other_mentor.id, "candidate_id": c.candidate.id},
            ),
            "end_mentorship": ("mentor", None),
            "list_candidates": ("candidate", None),
            "create_enrollment": ("mentor", {"pathway": "pst"}),
            "fire_transition": ("mentor", {"event": "withdraw"}),
            "switch_ruleset": ("mentor", {"ruleset": "cst@2"}),
        }
        if endpoint in forbidden:
            who, body = forbidden[endpoint]
            return who, ids, body, None
        assert kind is not None
        return {
            "add": ("mentor", ids, valid_body(kind), None),
            "change": ("mentor", ids, {}, None),
            "delete": ("mentor", ids, None, None),
            "review": ("candidate", ids, {"decision": "verified"}, None),
        }[verb]
    if status == 409:
        on_verified = ids | {"item_id": s.verified.get(kind or "", 0)}
        conflicts = {
            "create_user": (
                "admin",
                ids,
                {
                    "email": "CORA@example.org",
                    "name": "C",
                    "password": PASSWORD,
                    "role": "candidate",
                },
                None,
            ),
            "create_mentorship": (
                "admin",
                ids,
                {"mentor_id": c.mentor.id, "candidate_id": c.candidate.id},
                None,
            ),
            "create_enrollment": ("candidate", ids, {"pathway": "cst"}, None),
            "fire_transition": ("candidate", ids, {"event": "submit_application"}, None),
            "switch_ruleset": (
                "other_candidate",
                ids | {"enrollment_id": s.under_review},
                {"ruleset": "cst@2"},
                None,
            ),
            "change": ("candidate", on_verified, {}, None),
            "delete": ("candidate", on_verified, None, None),
            "review": ("mentor", on_verified, {"decision": "verified"}, None),
        }
        return conflicts.get(endpoint) or conflicts[verb]
    successes: dict[str, Situation] = {
        "create_token": (None, ids, {"email": "cora@example.org", "password": PASSWORD}, None),
        "create_user": (
            "admin",
            ids,
            {"email": "new@example.org", "name": "New", "password": PASSWORD, "role": "mentor"},
            None,
        ),
        "create_mentorship": (
            "admin",
            ids,
            {"mentor_id": c.other_mentor.id, "candidate_id": c.candidate.id},
            None,
        ),
        "create_enrollment": ("candidate", ids, {"pathway": "pst"}, None),
        "fire_transition": ("candidate", ids, {"event": "withdraw"}, None),
        "switch_ruleset": ("candidate", ids, {"ruleset": "cst@2", "track": "product_owner"}, None),
        "review": ("mentor", ids, {"decision": "rejected", "note": "Unclear."}, None),
        "add": ("candidate", ids, valid_body(kind) if kind else None, None),
        "change": ("candidate", ids, {}, None),
        "delete": ("candidate", ids, None, None),
        "revoke_current_token": ("candidate", ids, None, None),
        "end_mentorship": ("admin", ids, None, None),
        "openapi_json": (None, ids, None, None),
        "docs": (None, ids, None, None),
    }
    return successes.get(endpoint) or successes.get(verb) or ("admin", ids, None, None)


def _owner_of(endpoint: str) -> str | None:
    """Someone who passes the 404 check of ``endpoint``."""
    if endpoint == "create_token":
        return None
    if endpoint.startswith("review"):
        return "mentor"
    if endpoint in ("create_user", "create_mentorship"):
        return "admin"
    return "candidate"


PAIRS = [
    (method, path, op["operationId"], int(status))
    for method, path, op in OPERATIONS
    for status in op["responses"]
    # multipart, files and CSV: test_attachments.py and test_import.py have their own
    if op["tags"] not in (["Attachments"], ["Import"])
]


@pytest.mark.parametrize(
    ("method", "path", "endpoint", "status"),
    PAIRS,
    ids=[f"{m.upper()} {p} {s}" for m, p, _e, s in PAIRS],
)
def test_every_documented_response_happens_and_matches_the_document(
    api: Api, checker: OpenApiChecker, stage: Stage, method, path, endpoint, status
):
    who, ids, body, query = situation(endpoint, status, stage)
    concrete = path.removeprefix(API).format(**ids)
    token = stage.cast.token(who) if who else None
    if status == 429:
        for _ in range(api.client.application.config["LOGIN_MAX_FAILURES"]):
            api.call("POST", "/tokens", None, {"email": body["email"], "password": "guess"})
    if isinstance(body, str):
        response = api.call(method.upper(), concrete, token, data=body, query=query)
    else:
        response = api.call(method.upper(), concrete, token, body, query=query)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert (method, path, str(status)) in checker.checked
    if status >= 400:
        error_of(response)


# -- the reference page ----------------------------------------------------------------


def test_the_reference_page_lists_every_operation_and_model(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for _method, path, op in OPERATIONS:
        assert f'id="{op["operationId"]}"' in page
        assert path in page
    for name in DOCUMENT["components"]["schemas"]:
        assert f'id="model-{name}"' in page
    assert "guard_unmet" in page and "Authorization: Bearer" in page


def test_the_reference_page_needs_no_script_no_inline_style_and_no_other_host(client):
    page = client.get(f"{API}/docs").get_data(as_text=True)
    assert "<script" not in page.lower()
    assert "<style" not in page.lower()
    assert " style=" not in page.lower()
    assert re.search(r"""(src|href)=["']?(https?:)?//""", page) is None
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert stylesheet is not None and stylesheet.group(1) == f"{API}/static/docs.css"
    css = client.get(stylesheet.group(1))
    assert css.status_code == 200 and css.mimetype == "text/css"


def test_the_reference_page_shows_the_fields_of_a_request_body(client):
    page = client.get(f"{API}/docs").get_data(as_text=True)
    section = page.split('id="model-TeachingSessionCreate"')[1].split("</article>")[0]
    for field in ("title", "course_type", "first_day", "days", "students", "context"):
        assert f'<code>{field}</code> <span class="required">required</span>' in section
    assert "1 to 30" in section and "<code>scrum_master</code>" in section


def test_the_reference_page_shows_defaults_and_read_only_fields(client):
    page = client.get(f"{API}/docs").get_data(as_text=True)
    session = page.split('id="model-TeachingSessionCreate"')[1].split("</article>")[0]
    assert "default <code>100</code>" in session and "default <code>false</code>" in session
    credential = page.split('id="model-Credential"')[1].split("</article>")[0]
    assert "<code>valid_until</code>" in credential and "read-only" in credential
    assert 'id="switch_ruleset"' in page and 'id="list_rulesets"' in page


def test_the_response_checker_refuses_a_body_that_breaks_the_schema(app, checker):
    wrong = app.response_class(
        '{"id": 1, "email": "a@b.c", "name": "A"}', mimetype="application/json"
    )
    with pytest.raises(AssertionError, match="does not match its schema"):
        checker.check("GET", f"{API}/me", wrong)
    undocumented = app.response_class("{}", status=418, mimetype="application/json")
    with pytest.raises(AssertionError, match="does not list"):
        checker.check("GET", f"{API}/me", undocumented)
