"""Who may open which page: every page for every role, allowed or refused."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from trainerpath.models import User

from .conftest import Cast, log_in, page

ROLES = ["anonymous", "candidate", "mentor", "other_mentor", "admin"]


def act_as(client: FlaskClient, cast: Cast, role: str) -> None:
    """Log the client in as one of the cast (or stay anonymous)."""
    if role != "anonymous":
        user: User = getattr(cast, role)
        log_in(client, user)


# url (with {candidate}, {other}), then the status each role gets, in ROLES order.
PAGES = [
    ("/", [200, 200, 200, 200, 200]),
    ("/pathways/cst", [200, 200, 200, 200, 200]),
    ("/pathways/pst", [200, 200, 200, 200, 200]),
    ("/pathways/compare", [200, 200, 200, 200, 200]),
    ("/pathways/cst?ruleset=cst@1", [200, 200, 200, 200, 200]),
    ("/pathways/pst?ruleset=pst@1", [200, 200, 200, 200, 200]),
    ("/pathways/cst?ruleset=pst@2", [404, 404, 404, 404, 404]),
    ("/pathways/cst?ruleset=cst@9", [404, 404, 404, 404, 404]),
    ("/pathways/xyz", [404, 404, 404, 404, 404]),
    ("/login", [200, 302, 302, 302, 302]),
    ("/signup", [200, 302, 302, 302, 302]),
    ("/dashboard", [302, 302, 302, 302, 302]),
    ("/account/password", [302, 200, 200, 200, 200]),
    ("/candidate", [302, 200, 403, 403, 403]),
    ("/evidence", [302, 302, 403, 403, 403]),
    ("/evidence/teaching-sessions", [302, 200, 403, 403, 403]),
    ("/evidence/assessments", [302, 200, 403, 403, 403]),
    ("/evidence/credentials", [302, 200, 403, 403, 403]),
    ("/evidence/experience", [302, 200, 403, 403, 403]),
    ("/evidence/milestones", [302, 200, 403, 403, 403]),
    ("/evidence/unknown-kind", [302, 404, 403, 403, 403]),
    ("/evidence/credentials/import", [302, 200, 403, 403, 403]),
    ("/evidence/credentials/template.csv", [302, 200, 403, 403, 403]),
    ("/evidence/unknown-kind/import", [302, 404, 403, 403, 403]),
    ("/mentor/", [302, 403, 200, 200, 200]),
    ("/mentor/?ageing=1", [302, 403, 200, 200, 200]),
    ("/mentor/reviews", [302, 403, 200, 200, 200]),
    ("/mentor/candidates/{candidate}", [302, 403, 200, 404, 200]),
    ("/mentor/candidates/{other}", [302, 403, 404, 404, 200]),
    ("/mentor/candidates/{mentor}", [302, 403, 404, 404, 404]),
    ("/mentor/candidates/{candidate}/evidence?status=rejected", [302, 403, 200, 404, 200]),
    ("/mentor/reviews?candidate={other}&kind=milestones", [302, 403, 404, 404, 200]),
    ("/mentor/candidates/99999", [302, 403, 404, 404, 404]),
    ("/admin/users", [302, 403, 403, 403, 200]),
    ("/admin/mentorships", [302, 403, 403, 403, 200]),
    ("/admin/audit", [302, 403, 403, 403, 200]),
    ("/admin/audit?candidate={candidate}", [302, 403, 403, 403, 200]),
    ("/notifications", [302, 200, 200, 200, 200]),
    ("/notifications?unread=1", [302, 200, 200, 200, 200]),
    ("/notifications/bell", [302, 302, 302, 302, 302]),
    ("/notifications/99999", [302, 404, 404, 404, 404]),
]


@pytest.mark.parametrize(
    ("url", "role", "status"),
    [(url, role, codes[i]) for url, codes in PAGES for i, role in enumerate(ROLES)],
)
def test_page_answers_each_role(
    client: FlaskClient, cast: Cast, url: str, role: str, status: int
) -> None:
    act_as(client, cast, role)
    response = client.get(
        url.format(
            candidate=cast.candidate.id, other=cast.other_candidate.id, mentor=cast.mentor.id
        )
    )
    assert response.status_code == status
    if status == 302 and role == "anonymous" and url not in ("/login", "/signup"):
        assert response.headers["Location"].startswith("/login?next=")
    if status in (403, 404):
        assert response.mimetype == "text/html"


def test_an_unassigned_mentor_gets_the_same_404_as_for_a_missing_candidate(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.other_mentor)
    client.get("/mentor/")  # shows the welcome message, so both pages below look alike
    unassigned = client.get(f"/mentor/candidates/{cast.candidate.id}")
    missing = client.get("/mentor/candidates/99999")
    assert unassigned.status_code == missing.status_code == 404
    assert page(unassigned).find("main").text == page(missing).find("main").text


def test_a_mentor_loses_access_when_the_assignment_ends(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.admin)
    client.post(f"/admin/mentorships/{cast.mentorship.id}/end")
    client.post("/logout")
    log_in(client, cast.mentor)
    assert client.get(f"/mentor/candidates/{cast.candidate.id}").status_code == 404


def test_an_expired_session_sends_htmx_to_the_login_page_instead_of_swapping_it_in(
    client: FlaskClient,
) -> None:
    response = client.get("/mentor/?sort=pending", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Fmentor%2F%3Fsort%3Dpending"
    assert response.get_data() == b""


def test_anonymous_visitors_are_told_why_they_must_log_in(client: FlaskClient) -> None:
    response = client.get("/candidate")
    assert "Please log in to see that page." in page(client.get(response.headers["Location"])).text
