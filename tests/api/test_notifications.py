"""The notification endpoints: causes through the API, the list (paged, ``?unread=true``),
marking one or all read; only one's own. Every response is checked against the OpenAPI
document by the ``api`` client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from trainerpath.services.notifications import notify

from .conftest import Api, Cast, error_of
from .helpers import valid_body

KIND = "teaching-sessions"


def listed(api: Api, token: str, **query: Any) -> dict[str, Any]:
    response = api.get("/notifications", token, query=query or None)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


@pytest.fixture
def told(session: Session, cast: Cast) -> Callable[[str, int], list[int]]:
    """Give the cast member ``who`` ``n`` feedback notifications; return their ids, oldest first."""

    def write(who: str, n: int) -> list[int]:
        user = getattr(cast, who)
        ids = []
        for i in range(n):
            (row,) = notify(
                session=session,
                kind="feedback.received",
                recipients=[user.id],
                actor=cast.mentor,
                subject=f"feedback/{i}",
                title=f"Note {i}",
                link="/candidate#feedback-summary",
            )
            ids.append(row.id)
        session.commit()
        return ids

    return write


def test_a_rejection_through_the_api_is_in_the_candidates_list(api: Api, cast: Cast) -> None:
    item = api.post(
        f"/candidates/{cast.candidate.id}/{KIND}", cast.token("candidate"), valid_body(KIND)
    )
    item_id = item.get_json()["id"]
    api.post(
        f"/evidence/{KIND}/{item_id}/review",
        cast.token("mentor"),
        {"decision": "rejected", "note": "Which city?"},
    )
    body = listed(api, cast.token("candidate"))
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 1)
    (told,) = body["items"]
    assert (told["kind"], told["setting"]) == ("evidence_reviewed", "evidence.rejected")
    assert told["message"].startswith("Mia Mentor rejected your teaching session")
    assert told["body"] == "Which city?"
    assert told["url"] == f"http://localhost/evidence/{KIND}/{item_id}/edit"
    assert (told["count"], told["read_at"], told["candidate_id"]) == (1, None, cast.candidate.id)
    assert told["subject"] == f"{KIND}/{item_id}"


def test_two_items_through_the_api_are_one_counted_notification_for_the_mentor_only(
    api: Api, cast: Cast
) -> None:
    for _ in range(2):
        api.post(
            f"/candidates/{cast.candidate.id}/{KIND}", cast.token("candidate"), valid_body(KIND)
        )
    (told,) = listed(api, cast.token("mentor"))["items"]
    assert (told["kind"], told["count"]) == ("evidence_waiting", 2)
    assert told["message"].endswith("waits for your review (2 items)")
    assert told["url"] == f"http://localhost/mentor/reviews?candidate={cast.candidate.id}"
    assert listed(api, cast.token("other_mentor"))["items"] == []
    assert listed(api, cast.token("candidate"))["items"] == []


def test_an_outcome_and_an_assignment_through_the_api_are_notified(
    api: Api, cast: Cast, make_enrollment: Callable[..., Any]
) -> None:
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@1", state="tac_review")
    api.post(
        f"/enrollments/{enrollment.id}/transitions", cast.token("mentor"), {"event": "tac_approve"}
    )
    api.post(
        "/mentorships",
        cast.token("admin"),
        {"mentor_id": cast.other_mentor.id, "candidate_id": cast.candidate.id},
    )
    kinds = [n["kind"] for n in listed(api, cast.token("candidate"))["items"]]
    assert kinds == ["mentor_assigned", "outcome_recorded"]
    (assigned,) = listed(api, cast.token("other_mentor"))["items"]
    assert assigned["message"] == "You now mentor Cora Candidate"


def test_the_list_pages_newest_first_and_filters_unread(
    api: Api, cast: Cast, told: Callable[[str, int], list[int]]
) -> None:
    ids = told("candidate", 3)
    token = cast.token("candidate")
    first = listed(api, token, per_page=2)
    assert [n["id"] for n in first["items"]] == [ids[2], ids[1]] and first["total"] == 3
    assert [n["id"] for n in listed(api, token, per_page=2, page=2)["items"]] == [ids[0]]
    assert api.post(f"/notifications/{ids[1]}/read", token).status_code == 204
    unread = listed(api, token, unread="true")
    assert [n["id"] for n in unread["items"]] == [ids[2], ids[0]] and unread["total"] == 2
    assert len(listed(api, token, unread="false")["items"]) == 3


@pytest.mark.parametrize(
    ("query", "field"), [({"unread": "yes"}, "unread"), ({"per_page": "101"}, "per_page")]
)
def test_a_bad_query_is_422_naming_the_parameter(
    api: Api, cast: Cast, query: dict[str, str], field: str
) -> None:
    response = api.get("/notifications", cast.token("candidate"), query=query)
    status, code, details = error_of(response)
    assert (status, code) == (422, "validation_error") and field in details


def test_marking_read_is_idempotent_and_keeps_the_first_time(
    api: Api, cast: Cast, told: Callable[[str, int], list[int]]
) -> None:
    (one,) = told("candidate", 1)
    token = cast.token("candidate")
    api.post(f"/notifications/{one}/read", token)
    first = listed(api, token)["items"][0]["read_at"]
    assert first is not None
    assert api.post(f"/notifications/{one}/read", token).status_code == 204
    assert listed(api, token)["items"][0]["read_at"] == first


def test_someone_elses_notification_is_404_and_read_all_touches_only_ones_own(
    api: Api, cast: Cast, told: Callable[[str, int], list[int]]
) -> None:
    (theirs,) = told("other_candidate", 1)
    told("candidate", 2)
    response = api.post(f"/notifications/{theirs}/read", cast.token("candidate"))
    assert error_of(response)[:2] == (404, "not_found")
    assert api.post("/notifications/read-all", cast.token("candidate")).status_code == 204
    assert listed(api, cast.token("candidate"), unread="true")["items"] == []
    assert len(listed(api, cast.token("other_candidate"), unread="true")["items"]) == 1


def test_notifications_need_a_token(api: Api) -> None:
    assert error_of(api.get("/notifications"))[:2] == (401, "unauthenticated")
    assert error_of(api.post("/notifications/read-all"))[:2] == (401, "unauthenticated")
