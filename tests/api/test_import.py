"""CSV import over the JSON API: dry runs, all-or-nothing imports, and each status of the
contract in its order (401, 404, 403, 415, 413, 422), checked against the OpenAPI document."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine, text
from werkzeug.test import TestResponse

from trainerpath.api.openapi import openapi_document
from trainerpath.services.evidence_import import MAX_BYTES
from trainerpath.uploads import ENVELOPE

from .conftest import API, Api, Cast, error_of

KIND = "teaching-sessions"
HEADER = "title,course_type,first_day,days,students,context"
GOOD = (
    f"{HEADER}\n"
    "CSM Leeds,scrum_master,04/03/2025,2,14,independent\n"
    "CSPO York,product_owner,2025-03-11,2,9,independent\n"
)


def send_csv(
    api: Api,
    token: str | None,
    candidate_id: int,
    body: str | bytes,
    *,
    kind: str = KIND,
    content_type: str = "text/csv",
    **query: str,
) -> TestResponse:
    """POST a CSV body to the kind's import and check the answer against the document."""
    path = f"{API}/candidates/{candidate_id}/{kind}/import"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = api.client.post(
        path, data=body, headers=headers, content_type=content_type, query_string=query
    )
    api.checker.check("POST", path, response)
    return response


def test_a_dry_run_shows_every_row_as_stored_and_writes_nothing(
    api: Api, cast: Cast, unchanged: Callable[[], AbstractContextManager[None]]
) -> None:
    with unchanged():
        response = send_csv(api, cast.token("candidate"), cast.candidate.id, GOOD)
    assert response.status_code == 200
    body = response.get_json()
    assert body["created"] == 0
    assert [row["line"] for row in body["rows"]] == [2, 3]
    first = body["rows"][0]
    assert first["errors"] == {}
    # 04/03/2025 is read day first; the optional fields carry the values they would store.
    assert first["values"]["first_day"] == "2025-03-04"
    assert first["values"]["share_delivered"] == 100
    assert first["values"]["with_current_materials"] is False


def test_importing_creates_pending_items_and_tells_the_mentor_once(
    api: Api, cast: Cast, engine: Engine, make_enrollment: Callable[..., Any]
) -> None:
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1")
    token = cast.token("candidate")
    response = send_csv(api, token, cast.candidate.id, GOOD, dry_run="false", date_order="mdy")
    assert response.status_code == 200
    assert response.get_json()["created"] == 2
    listed = api.get(f"/candidates/{cast.candidate.id}/{KIND}", token).get_json()["items"]
    assert sorted((item["first_day"], item["review_status"]) for item in listed) == [
        ("2025-03-11", "pending"),
        ("2025-04-03", "pending"),  # month first with date_order=mdy
    ]
    # The stored standing counts them as pending: 14 + 9 students wait for review.
    status = api.get(f"/enrollments/{enrollment.id}", token).get_json()
    assert [r["pending"] for r in status["requirements"] if r["unit"] == "students"] == [23]
    (waiting,) = api.get("/notifications", cast.token("mentor")).get_json()["items"]
    assert waiting["kind"] == "evidence_waiting" and waiting["count"] == 2
    with engine.connect() as connection:
        logged = connection.execute(
            text("SELECT subject, detail FROM audit_log WHERE action = 'evidence.logged'")
        ).all()
    assert len(logged) == 2 and all("(imported from CSV)" in detail for _s, detail in logged)


def test_one_bad_row_refuses_the_whole_file_with_every_rows_errors(
    api: Api, cast: Cast, unchanged: Callable[[], AbstractContextManager[None]]
) -> None:
    bad = GOOD + "Late,scrum_master,2025-13-01,two,14,independent\n"
    with unchanged():
        response = send_csv(api, cast.token("candidate"), cast.candidate.id, bad, dry_run="false")
    status, code, details = error_of(response)
    assert (status, code) == (422, "validation_error")
    assert [row["line"] for row in details["rows"]] == [2, 3, 4]
    assert details["rows"][0]["errors"] == {}
    assert details["rows"][2]["errors"] == {
        "first_day": "must be a date: YYYY-MM-DD or DD/MM/YYYY",
        "days": "must be a whole number",
    }
    assert details["rows"][2]["values"]["days"] == "two"


def send_chunked(api: Api, token: str, path: str, body: bytes, content_type: str) -> TestResponse:
    """POST ``body`` with no Content-Length, as a chunked request reaches the app."""
    return api.client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        # As gunicorn passes a chunked body: no length, the stream ends where it ends.
        environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    )


def test_a_chunked_body_over_the_limit_is_413_not_cut_short(
    api: Api, cast: Cast, engine: Engine
) -> None:
    """Without a Content-Length, the body was read up to the limit and the rest dropped:
    a long file imported its first rows, a padded JSON body was accepted."""
    token, candidate = cast.token("candidate"), cast.candidate.id
    row = "CSM Leeds,scrum_master,2025-03-04,2,14,independent," + "n" * 3000 + "\n"
    rows = (HEADER + ",notes\n" + row * (MAX_BYTES // len(row) + 50)).encode()
    path = f"{API}/candidates/{candidate}/{KIND}/import?dry_run=false"
    assert error_of(send_chunked(api, token, path, rows, "text/csv"))[:2] == (413, "too_large")
    logged = b'{"kind": "other", "achieved_on": "2026-01-01", "note": "chunked"}'
    path = f"{API}/candidates/{candidate}/milestones"
    padded = send_chunked(api, token, path, logged + b" " * (2 * 1024 * 1024), "application/json")
    assert error_of(padded)[:2] == (413, "too_large")
    with engine.connect() as connection:
        for table in ("teaching_sessions", "milestones"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    assert send_chunked(api, token, path, logged, "application/json").status_code == 201


def test_a_problem_with_the_file_itself_is_named_under_csv(api: Api, cast: Cast) -> None:
    token = cast.token("candidate")
    for body, why in (
        ("title,colour\nA,red\n", "are not fields of this kind (“colour”)"),
        ("title,days\nA,2\n", "lacks the required columns: course_type, first_day"),
        ("Title;Course_type\xe9".encode("latin-1"), "is not UTF-8"),
        (HEADER + "\n" + "A,other,2025-01-01,1,1,independent\n" * 2001, "more than 2,000 rows"),
    ):
        status, code, details = error_of(send_csv(api, token, cast.candidate.id, body))
        assert (status, code) == (422, "validation_error")
        assert why in details["csv"], details


def test_checks_run_in_the_contracts_order_and_every_documented_status_happens(
    api: Api, cast: Cast, unchanged: Callable[[], AbstractContextManager[None]]
) -> None:
    candidate = cast.candidate.id
    json_body: dict[str, Any] = {"content_type": "application/json"}
    too_large = HEADER + "\n" + "x" * (MAX_BYTES + ENVELOPE)
    with unchanged():
        # No token: 401, whatever the body.
        assert send_csv(api, None, candidate, too_large).status_code == 401
        # Someone who may not know the candidate: 404 before the body is looked at.
        for who in ("other_candidate", "other_mentor"):
            assert send_csv(api, cast.token(who), candidate, "{}", **json_body).status_code == 404
        assert send_csv(api, cast.token("candidate"), 999_999, GOOD).status_code == 404
        # The candidate's mentor and an admin may see the record but never import: 403.
        for who in ("mentor", "admin"):
            response = send_csv(api, cast.token(who), candidate, too_large, **json_body)
            assert error_of(response)[:2] == (403, "forbidden")
        token = cast.token("candidate")
        # The body: its media type (415) before its size (413), both before the query (422).
        wrong_type = send_csv(api, token, candidate, too_large, dry_run="maybe", **json_body)
        assert error_of(wrong_type)[:2] == (415, "unsupported_media_type")
        large = send_csv(api, token, candidate, too_large, dry_run="maybe")
        assert error_of(large)[:2] == (413, "too_large")
        query = send_csv(api, token, candidate, GOOD, dry_run="maybe", date_order="ymd")
        assert error_of(query) == (
            422,
            "validation_error",
            {"dry_run": "must be true or false", "date_order": "must be dmy or mdy"},
        )
    assert send_csv(api, token, candidate, GOOD).status_code == 200
    path = f"{API}/candidates/{{candidate_id}}/{KIND}/import"
    documented = set(openapi_document()["paths"][path]["post"]["responses"])
    assert {status for _m, p, status in api.checker.checked if p == path} == documented
