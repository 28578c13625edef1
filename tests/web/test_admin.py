"""The admin's pages: users and roles, deactivation, mentor assignments, the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import PASSWORD
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from trainerpath.models import AuditEntry, Enrollment, Mentorship, User
from trainerpath.pathways import REGISTERED, Ruleset
from trainerpath.services.pathways import state_label

from .conftest import HTMX, Cast, fetch_all, fetch_one, log_in, page, text


@pytest.fixture
def ada(client: FlaskClient, cast: Cast) -> Cast:
    """The cast, with Ada (admin) logged in."""
    log_in(client, cast.admin)
    return cast


NEW_MENTOR = {
    "name": "Nora New",
    "email": "nora@example.org",
    "password": PASSWORD,
    "role": "mentor",
}


def test_the_users_page_lists_everyone_with_role_mentors_and_status(
    client: FlaskClient, ada: Cast
) -> None:
    html = page(client.get("/admin/users"))
    row = html.by_id(f"user-{ada.candidate.id}")
    assert "Cara Candidate" in row.text and "cara@example.org" in row.text
    assert "Mia Mentor" in row.text and "Active" in row.text
    mentor_row = html.by_id(f"user-{ada.mentor.id}")
    assert "1 candidate" in mentor_row.text
    own = html.by_id(f"user-{ada.admin.id}")
    assert "(you)" in own.text and own.find("form") is None  # no self-demotion or self-lockout


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?role=mentor", 2),
        ("?q=otto", 1),
        ("", 5),
        # The search's text is itself: % and _ are no wildcards, and nobody's name has them.
        ("?q=%25", 0),
        ("?q=_", 0),
        ("?q=cara_", 0),
    ],
)
def test_the_users_list_filters_by_role_and_search(
    client: FlaskClient, ada: Cast, query: str, expected: int
) -> None:
    response = client.get(f"/admin/users{query}", headers=HTMX)
    assert response.get_data(as_text=True).lstrip().startswith('<div id="users"')
    rows = page(response).find("tbody").find_all("tr")
    assert len([row for row in rows if (row.get("id") or "").startswith("user-")]) == expected


def test_an_admin_creates_a_mentor_who_can_then_log_in(
    app: Any, client: FlaskClient, ada: Cast, engine: Engine
) -> None:
    response = client.post("/admin/users", data=NEW_MENTOR)
    assert response.headers["Location"] == "/admin/users"
    assert "Nora New can now log in as mentor" in text(client.get("/admin/users"))
    nora = fetch_one(engine, select(User).where(User.email == "nora@example.org"))
    assert nora.role == "mentor"
    other = app.test_client()
    assert log_in(other, nora).headers["Location"] == "/mentor/"


def test_the_create_form_does_not_call_its_always_chosen_role_optional(
    client: FlaskClient, ada: Cast
) -> None:
    form = page(client.get("/admin/users")).by_id("field-role")
    assert form.find("label").text == "Role"
    assert form.find("option", selected=True).text == "Mentor"


def test_creating_a_user_reports_every_problem_at_once(
    client: FlaskClient, ada: Cast, engine: Engine
) -> None:
    bad = NEW_MENTOR | {"email": ada.candidate.email, "password": "short"}
    html = page(client.post("/admin/users", data=bad))
    for field, message in [
        ("email", "Already belongs to another user."),
        ("password", "Must be at least 8 characters."),
    ]:
        assert message in html.by_id(f"field-{field}").find("small", class_="field-error").text
    assert fetch_all(engine, select(User).where(User.name == NEW_MENTOR["name"])) == []
    # The password is required unless an invitation is sent, and its label says so.
    label = html.by_id("field-password").find("label").text
    assert label == "Initial password (unless you send an invitation)"


@pytest.mark.parametrize(
    ("changes", "field", "message", "status"),
    [
        ({"email": "nope"}, "email", "Must be a valid e-mail address.", 422),
        ({"name": ""}, "name", "This field is required.", 422),
        ({"password": "short"}, "password", "Must be at least 8 characters.", 422),
        ({"role": "wizard"}, "role", "Must be one of: candidate, mentor, admin", 422),
        ({"email": "MIA@example.org"}, "email", "Already belongs to another user.", 409),
    ],
)
def test_creating_a_user_with_bad_details_explains_each_field(
    client: FlaskClient,
    ada: Cast,
    engine: Engine,
    changes: dict[str, str],
    field: str,
    message: str,
    status: int,
) -> None:
    response = client.post("/admin/users", data=NEW_MENTOR | changes)
    assert response.status_code == status
    assert message in page(response).by_id(f"field-{field}").text
    assert len(fetch_all(engine, select(User))) == 5


def test_a_refused_form_drawn_again_opens_at_its_first_error_only(
    client: FlaskClient, ada: Cast
) -> None:
    bad = NEW_MENTOR | {"email": ada.candidate.email, "password": "short"}
    whole_page = page(client.post("/admin/users", data=bad))
    # one autofocus in a document (two is invalid HTML): the first of the invalid fields
    assert [field.get("id") for field in whole_page.find_all(autofocus=True)] == ["email"]


def test_a_refused_assignment_opens_at_its_first_unknown_person(
    client: FlaskClient, ada: Cast
) -> None:
    refused = page(client.post("/admin/mentorships", data={"mentor": "nobody", "candidate": "x"}))
    assert [box.get("id") for box in refused.find_all(autofocus=True)] == ["assign-mentor"]


def test_changing_a_role(client: FlaskClient, ada: Cast, engine: Engine) -> None:
    client.post(f"/admin/users/{ada.other_candidate.id}/role", data={"role": "mentor"})
    assert "Otto Other is now a mentor." in text(client.get("/admin/users"))
    assert fetch_one(engine, select(User).where(User.id == ada.other_candidate.id)).role == "mentor"


def test_a_role_change_is_refused_while_the_user_has_assignments(
    client: FlaskClient, ada: Cast, engine: Engine
) -> None:
    client.post(f"/admin/users/{ada.mentor.id}/role", data={"role": "candidate"})
    assert "End Mia Mentor's mentor assignments before changing their role." in text(
        client.get("/admin/users")
    )
    assert fetch_one(engine, select(User).where(User.id == ada.mentor.id)).role == "mentor"


def test_an_admin_cannot_demote_or_deactivate_themselves(
    client: FlaskClient, ada: Cast, engine: Engine
) -> None:
    client.post(f"/admin/users/{ada.admin.id}/role", data={"role": "candidate"})
    assert "You cannot change the role of your own account" in text(client.get("/admin/users"))
    client.post(f"/admin/users/{ada.admin.id}/active", data={"active": "0"})
    assert "You cannot deactivate your own account" in text(client.get("/admin/users"))
    me = fetch_one(engine, select(User).where(User.id == ada.admin.id))
    assert (me.role, me.is_active) == ("admin", True)


def test_deactivating_and_reactivating_a_user(
    app: Any, client: FlaskClient, ada: Cast, engine: Engine
) -> None:
    client.post(f"/admin/users/{ada.candidate.id}/active", data={"active": "0"})
    html = page(client.get("/admin/users"))
    assert "Cara Candidate is deactivated and has been logged out everywhere." in html.text
    assert "Deactivated" in html.by_id(f"user-{ada.candidate.id}").text
    other = app.test_client()
    assert (
        other.post("/login", data={"email": ada.candidate.email, "password": PASSWORD}).status_code
        == 200
    )
    client.post(f"/admin/users/{ada.candidate.id}/active", data={"active": "1"})
    assert "Cara Candidate can log in again." in text(client.get("/admin/users"))
    assert log_in(other, ada.candidate).status_code == 303


def test_a_page_past_the_end_shows_no_range_of_rows(client: FlaskClient, ada: Cast) -> None:
    for url in ("/admin/users?per_page=2&page=9", "/mentor/?per_page=1&page=9"):
        caption = page(client.get(url)).find(class_="table-caption").text
        assert "shown" not in caption, url  # it said "17-16 shown"
        assert "There is no page 9" in text(client.get(url))


def test_a_user_acted_on_from_a_searched_list_comes_back_to_that_list(
    client: FlaskClient, ada: Cast
) -> None:
    searched = page(client.get("/admin/users?q=cara")).by_id(f"user-{ada.candidate.id}")
    form = searched.find("form", action=f"/admin/users/{ada.candidate.id}/active")
    sent = {field.get("name"): field.get("value") for field in form.find_all("input")}
    assert sent["next"] == "/admin/users?q=cara"
    response = client.post(f"/admin/users/{ada.candidate.id}/active", data=sent)
    assert response.location == "/admin/users?q=cara"


def test_acting_on_a_missing_user_is_not_found(client: FlaskClient, ada: Cast) -> None:
    assert client.post("/admin/users/9999/active", data={"active": "0"}).status_code == 404


def test_assigning_a_mentor(client: FlaskClient, ada: Cast, engine: Engine) -> None:
    form = page(client.get("/admin/mentorships")).find("form", action="/admin/mentorships")
    assert form.find("select") is None  # search boxes, not a list of every mentor
    assert form.by_id("assign-mentor").get("type") == "search"
    response = client.post(
        "/admin/mentorships", data={"mentor": "Max", "candidate": "otto@example.org"}
    )
    assert response.headers["Location"] == "/admin/mentorships"
    html = page(client.get("/admin/mentorships"))
    assert "Max Mentor now mentors Otto Other." in html.text
    assert "Otto Other" in html.by_id("mentorships").text
    assert len(fetch_all(engine, select(Mentorship))) == 2


def test_assignments_are_listed_newest_first_by_when_they_started(
    client: FlaskClient,
    ada: Cast,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Mentorship],
    session: Any,
) -> None:
    """The order the rows' "Since" column shows, whatever order they were stored in."""
    olga = make_user(name="Olga Older", email="olga@example.org")
    pia = make_user(name="Pia Pending", email="pia@example.org")
    # Pia's assignment is stored first but started later: the list follows the start.
    starts = ((pia, datetime(2026, 5, 18, tzinfo=UTC)), (olga, datetime(2024, 11, 4, tzinfo=UTC)))
    for candidate, started in starts:
        mentorship = assign(ada.mentor, candidate)
        mentorship.started_at = started
        session.commit()
    rows = page(client.get("/admin/mentorships")).by_id("mentorships").find_all("tr")[1:]
    candidates = [row.find_all("td")[1].text for row in rows]
    assert candidates.index("Pia Pending") < candidates.index("Olga Older")


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        ({"mentor": "", "candidate": ""}, "Type a mentor's name or e-mail.", 422),
        ({"mentor": "", "candidate": ""}, "Type a candidate's name or e-mail.", 422),
        ({"mentor": "{mentor}", "candidate": ""}, "Type a candidate's name or e-mail.", 422),
        ({"mentor": "{candidate}", "candidate": "{candidate}"}, "Matches no mentor.", 422),
        ({"mentor": "Mentor", "candidate": "{candidate}"}, "Matches several mentors", 422),
        ({"mentor": "{mentor}", "candidate": "nobody"}, "Matches no candidate.", 422),
        (
            {"mentor": "{mentor}", "candidate": "{candidate}"},
            "Mia Mentor already mentors Cara",
            409,
        ),
        ({"mentor": "mia@example.org", "candidate": "CARA@example.org"}, "already mentors", 409),
    ],
)
def test_a_refused_assignment_says_why(
    client: FlaskClient, ada: Cast, engine: Engine, data: dict[str, str], message: str, status: int
) -> None:
    filled = {
        key: value.format(candidate=ada.candidate.id, mentor=ada.mentor.id)
        for key, value in data.items()
    }
    response = client.post("/admin/mentorships", data=filled)
    assert response.status_code == status
    assert message in text(response)
    assert len(fetch_all(engine, select(Mentorship))) == 1


def test_ending_an_assignment(client: FlaskClient, ada: Cast, engine: Engine) -> None:
    client.post(f"/admin/mentorships/{ada.mentorship.id}/end")
    html = page(client.get("/admin/mentorships"))
    assert "The assignment has ended." in html.text
    assert "No mentor is assigned yet." in html.by_id("mentorships").text
    assert fetch_one(engine, select(Mentorship)).ended_at is not None
    assert client.post(f"/admin/mentorships/{ada.mentorship.id}/end").status_code == 404


@pytest.mark.parametrize("ruleset", REGISTERED, ids=lambda r: r.id)
def test_the_audit_trail_shows_changes_and_filters_by_candidate(
    client: FlaskClient, ada: Cast, make_enrollment: Callable[..., Enrollment], ruleset: Ruleset
) -> None:
    client.post(f"/admin/users/{ada.other_candidate.id}/active", data={"active": "0"})
    enrollment = make_enrollment(ada.candidate, ruleset.pathway, ruleset=ruleset.id)
    client.post(f"/enrollments/{enrollment.id}/events", data={"event": "withdraw"})
    everyone = page(client.get("/admin/audit"))
    actions = [row.find("code").text for row in everyone.find("tbody").find_all("tr")]
    assert actions[:2] == ["enrollment.transition", "user.deactivated"]
    cara_only = page(client.get(f"/admin/audit?candidate={ada.candidate.id}"))
    rows = cara_only.find("tbody").find_all("tr")
    assert [row.find("code").text for row in rows] == ["enrollment.transition", "user.created"]
    start, withdrawn = ruleset.initial_state, ruleset.withdrawn_state
    assert f"withdraw: {start} → {withdrawn}" in rows[0].text and "Ada Admin" in rows[0].text
    histories = cara_only.find("section", aria_labelledby="histories-title")
    assert f"{ruleset.label} · rules {ruleset.id}" in histories.find("h3").text
    start_label, withdrawn_label = (
        state_label(ruleset, start),
        state_label(ruleset, withdrawn or ""),
    )
    assert f"Withdrawn ({start_label} → {withdrawn_label})" in histories.text


def test_the_audit_partial_is_served_to_htmx(client: FlaskClient, ada: Cast) -> None:
    response = client.get(f"/admin/audit?candidate={ada.candidate.id}", headers=HTMX)
    assert response.get_data(as_text=True).lstrip().startswith('<div id="audit"')
    assert "HX-Request" in response.headers["Vary"]


def test_the_audit_trail_pages_through_long_histories(
    client: FlaskClient, ada: Cast, session: Any, engine: Engine
) -> None:
    already = len(fetch_all(engine, select(AuditEntry)))  # the cast's sign-ups
    for n in range(60 - already):
        session.add(AuditEntry(actor_id=ada.admin.id, action="test.entry", subject=f"x/{n}"))
    session.commit()
    first = page(client.get("/admin/audit"))
    assert len(first.find("tbody").find_all("tr")) == 50
    pager = first.find("nav", class_="pager")
    assert [link.text for link in pager.find_all("a")] == ["Older →"]
    second = page(client.get(pager.find("a", rel="next").get("href")))
    assert len(second.find("tbody").find_all("tr")) == 10
    assert second.find("a", rel="next") is None
    newer = page(client.get(second.find("a", rel="prev").get("href")))
    assert newer.find("tbody").text == first.find("tbody").text
