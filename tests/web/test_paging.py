"""Lists that grow come in pages: the review queue, evidence lists, the audit trail, the
users and assignments; candidate search boxes instead of lists of every candidate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import EVIDENCE_MODELS, AuditEntry, Role, User, utcnow
from trainerpath.paging import Cursor
from trainerpath.services.evidence_kinds import evidence_kind

from .conftest import HTMX, Cast, fetch_all, log_in, page
from .dom import Node

DEFAULTS: dict[str, dict[str, Any]] = {
    "milestones": {"kind": "ttt_attended", "achieved_on": "2025-01-10"},
    "credentials": {"kind": "csm", "issued_on": "2025-01-10"},
    "teaching-sessions": {
        "title": "Certified ScrumMaster",
        "course_type": "scrum_master",
        "first_day": "2025-01-10",
        "days": 2,
        "students": 10,
        "context": "independent",
    },
}


@pytest.fixture
def many(session: Session) -> Callable[..., list[Any]]:
    """Store ``n`` items of a kind at once: ``many(cara, "milestones", 60, status="pending")``;
    they waited 1..n minutes, unless ``same_time``."""

    def make(
        candidate: User, kind: str, n: int, status: str = "pending", same_time: bool = False
    ) -> list[Any]:
        values = evidence_kind(kind).validate(DEFAULTS[kind], utcnow().date())
        now = utcnow()
        items = []
        for i in range(n):
            at = now - timedelta(minutes=0 if same_time else n - i)
            items.append(
                EVIDENCE_MODELS[kind](
                    candidate_id=candidate.id,
                    review_status=status,
                    created_at=at,
                    updated_at=at,
                    **values,
                )
            )
        session.add_all(items)
        session.commit()
        return items

    return make


def ids_of(html: Node, tag: str, class_: str) -> list[str]:
    """The ids of the list's items, in order."""
    return [node.get("id") or "" for node in html.find_all(tag, class_=class_)]


def walk(client: FlaskClient, url: str, tag: str, class_: str, htmx: bool) -> list[list[str]]:
    """Follow the "next" links from ``url``: the item ids of each page."""
    pages = []
    headers = HTMX if htmx else {}
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        html = page(response)
        pages.append(ids_of(html, tag, class_))
        link = html.find("a", rel="next")
        if link is not None and htmx:
            assert link.get("hx-get") == link.get("href")
            assert link.get("hx-push-url") == "true"
        url = link.get("href") if link is not None else ""
    return pages


# -- The review queue ---------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_review_queue_pages_hold_every_item_once_the_longest_waiting_first(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]], htmx: bool
) -> None:
    sessions = many(cast.candidate, "teaching-sessions", 40)
    milestones = many(cast.candidate, "milestones", 25, same_time=True)  # ties: by id
    many(cast.other_candidate, "milestones", 5)  # not Mia's
    log_in(client, cast.mentor)
    pages = walk(client, "/mentor/reviews", "article", "review-item", htmx)
    assert [len(p) for p in pages] == [50, 15]
    everything = [f"review-teaching-sessions-{s.id}" for s in sessions] + [
        f"review-milestones-{m.id}" for m in milestones
    ]
    assert pages[0] + pages[1] == everything
    first = page(client.get("/mentor/reviews"))
    assert "65 items waiting. Showing 1\u201350, the longest waiting first." in first.text
    assert "Page 1 of 2" in first.find("nav", class_="pager").text


def test_the_admin_queue_counts_up_to_a_thousand_then_says_more(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 1001)
    log_in(client, cast.admin)
    html = page(client.get("/mentor/reviews?per_page=200&page=5"))
    assert "More than 1000 items waiting. Showing 801\u20131000" in html.text
    assert "Page 5 of 5+" in html.find("nav", class_="pager").text
    last = page(client.get(html.find("a", rel="next").get("href")))
    assert len(last.find_all("article", class_="review-item")) == 1
    assert last.find("a", rel="next") is None


def test_a_candidates_queue_is_on_their_page_and_on_the_filtered_review_page(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 55)
    log_in(client, cast.mentor)
    record = page(client.get(f"/mentor/candidates/{cast.candidate.id}"))
    section = record.by_id("reviews")
    assert "55" in section.find("h2").text
    assert len(section.find_all("article", class_="review-item")) == 50
    more = section.find("a", rel="next")
    assert more.get("href") == f"/mentor/reviews?candidate={cast.candidate.id}&page=2"
    assert more.get("hx-get") is None  # leaves the candidate's page for the queue
    rest = page(client.get(more.get("href")))
    assert "Review queue: Cara Candidate" in rest.find("h1").text
    assert len(rest.find_all("article", class_="review-item")) == 5


def test_a_mentor_cannot_filter_the_queue_to_someone_elses_candidate(
    client: FlaskClient, cast: Cast
) -> None:
    log_in(client, cast.mentor)
    assert client.get(f"/mentor/reviews?candidate={cast.other_candidate.id}").status_code == 404


def test_reviewing_without_javascript_comes_back_to_the_same_page(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 60)
    log_in(client, cast.mentor)
    form = page(client.get("/mentor/reviews?page=2")).find("form", class_="review-form")
    back = [i.get("value") for i in form.find_all("input") if i.get("name") == "next"]
    assert back == ["/mentor/reviews?page=2"]
    response = client.post(form.get("action"), data={"decision": "verified", "next": back[0]})
    assert response.headers["Location"] == "/mentor/reviews?page=2"


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1.5", "99999999999999"])
def test_an_unreadable_page_number_shows_the_first_page(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]], bad: str
) -> None:
    many(cast.candidate, "milestones", 3)
    log_in(client, cast.mentor)
    response = client.get("/mentor/reviews", query_string={"page": bad, "per_page": bad})
    assert response.status_code == 200
    assert len(page(response).find_all("article", class_="review-item")) == 3


def test_a_page_past_the_end_says_so_and_links_to_the_last_page(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 12)
    log_in(client, cast.mentor)
    for headers in ({}, HTMX):
        response = client.get("/mentor/reviews?page=9&per_page=5", headers=headers)
        assert response.status_code == 200
        pager = page(response).find("nav", class_="pager")
        assert "There is no page 9: the list has 3 pages." in pager.text
        assert pager.find("a").get("href") == "/mentor/reviews?page=3&per_page=5"


def test_per_page_is_bounded(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 201)
    log_in(client, cast.mentor)
    html = page(client.get("/mentor/reviews?per_page=100000"))
    assert len(html.find_all("article", class_="review-item")) == 200


def test_the_queue_computes_the_csrf_token_and_urls_once_a_page(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    items = many(cast.candidate, "milestones", 3)
    log_in(client, cast.mentor)
    html = page(client.get("/mentor/reviews"))
    forms = html.find_all("form", class_="review-form")
    assert [f.get("action") for f in forms] == [
        f"/mentor/reviews/milestones/{item.id}" for item in items
    ]
    tokens = {
        i.get("value") for f in forms for i in f.find_all("input") if i.get("name") == "csrf_token"
    }
    assert len(tokens) == 1 and tokens != {""}


# -- Evidence lists -------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_evidence_list_pages_newest_first(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]], htmx: bool
) -> None:
    items = many(cast.candidate, "credentials", 70, status="verified")
    log_in(client, cast.candidate)
    pages = walk(client, "/evidence/credentials", "li", "evidence-item", htmx)
    assert pages[0] + pages[1] == [f"item-credentials-{i.id}" for i in reversed(items)]
    assert [len(p) for p in pages] == [50, 20]


def test_the_status_filter_lists_only_that_status_and_keeps_it_across_pages(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 3, status="verified")
    rejected = many(cast.candidate, "milestones", 52, status="rejected")
    log_in(client, cast.candidate)
    html = page(client.get("/evidence/milestones?status=rejected"))
    assert "52 items, 1\u201350 shown." in html.by_id("evidence-list").text
    assert {n.get("class") for n in html.find_all("li", class_="evidence-item")} == {
        "evidence-item status-rejected"
    }
    current = html.find("nav", class_="status-filter").find("a", aria_current="true")
    assert current.text == "Rejected"
    following = html.find("a", rel="next").get("href")
    assert following == "/evidence/milestones?status=rejected&page=2"
    rest = page(client.get(following, headers=HTMX))
    newest_first = [f"item-milestones-{i.id}" for i in reversed(rejected)]
    assert ids_of(rest, "li", "evidence-item") == newest_first[50:]
    # htmx refreshes the same page of the same filter after a change.
    assert rest.by_id("evidence-list").get("hx-get") == (
        "/evidence/milestones/list?status=rejected&page=2"
    )
    none = page(client.get("/evidence/credentials?status=pending"))
    assert "No credentials are waiting for review." in none.text


def test_an_unknown_status_lists_everything(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 2, status="verified")
    many(cast.candidate, "milestones", 1, status="rejected")
    log_in(client, cast.candidate)
    html = page(client.get("/evidence/milestones?status=lost"))
    assert len(html.find_all("li", class_="evidence-item")) == 3


def test_teaching_sessions_on_a_later_page_still_say_whether_they_qualify(
    client: FlaskClient,
    cast: Cast,
    many: Callable[..., list[Any]],
    make_enrollment: Callable[..., Any],
) -> None:
    make_enrollment(cast.candidate, "cst", ruleset="cst@2")
    many(cast.candidate, "teaching-sessions", 51, status="verified")
    log_in(client, cast.candidate)
    second = page(client.get("/evidence/teaching-sessions?page=2"))
    (item,) = second.find_all("li", class_="evidence-item")
    assert item.find("p", class_="qualifying") is not None


# -- The audit trail ------------------------------------------------------------------


def test_the_audit_trail_pages_by_keyset_through_entries_of_the_same_moment(
    client: FlaskClient, cast: Cast, session: Session, engine: Engine
) -> None:
    moment = utcnow() - timedelta(days=1)
    session.add_all(
        AuditEntry(at=moment, actor_id=cast.admin.id, action="test.same", subject=f"s/{n}")
        for n in range(120)
    )
    session.add(AuditEntry(at=moment - timedelta(seconds=1), action="test.before", subject="b"))
    session.commit()
    newest_first = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    every = fetch_all(engine, newest_first)
    expected = [e.subject for e in every]
    log_in(client, cast.admin)
    seen: list[list[str]] = []
    url = "/admin/audit?per_page=25"
    while url:
        html = page(client.get(url, headers=HTMX))
        rows = html.find("tbody").find_all("tr")
        seen.append([row.find("small", class_="muted").text for row in rows])
        older = html.find("a", rel="next")
        url = older.get("href") if older is not None else ""
    assert [subject for rows in seen for subject in rows] == expected  # once each, in order
    assert all(len(rows) == 25 for rows in seen[:-1])
    # "Newer" leads back page by page to the newest.
    back = page(
        client.get(f"/admin/audit?per_page=25&after={Cursor(every[74].at, every[74].id).token}")
    )
    newer = page(client.get(back.find("a", rel="prev").get("href")))
    subjects = [
        row.find("small", class_="muted").text for row in newer.find("tbody").find_all("tr")
    ]
    assert subjects == expected[50:75]


def test_the_audit_trail_keeps_the_candidate_filter_across_pages(
    client: FlaskClient, cast: Cast, session: Session
) -> None:
    session.add_all(
        AuditEntry(candidate_id=cast.candidate.id, action="test.cara", subject=f"c/{n}")
        for n in range(60)
    )
    session.add(AuditEntry(candidate_id=cast.other_candidate.id, action="test.otto", subject="o"))
    session.commit()
    log_in(client, cast.admin)
    first = page(client.get(f"/admin/audit?candidate={cast.candidate.id}"))
    older = first.find("a", rel="next").get("href")
    assert older.startswith(f"/admin/audit?candidate={cast.candidate.id}&after=")
    second = page(client.get(older))
    actions = {row.find("code").text for row in second.find("tbody").find_all("tr")}
    assert (
        actions <= {"test.cara", "user.created"} and len(second.find("tbody").find_all("tr")) == 11
    )


# -- Candidate search boxes -----------------------------------------------------------


def test_the_audit_filter_is_a_search_box_not_a_list_of_every_candidate(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User]
) -> None:
    make_user(name="Carl Cousin", email="carl@example.org")
    log_in(client, cast.admin)
    html = page(client.get("/admin/audit"))
    box = html.by_id("audit-candidate")
    assert (box.tag, box.get("type"), box.get("list")) == (
        "input",
        "search",
        "audit-candidate-matches",
    )
    assert html.by_id("audit-candidate-matches").find_all("option") == []
    assert box.get("hx-get") == "/mentor/candidates/search?field=candidate"
    # Without JavaScript: the submitted text picks the candidate it alone matches...
    cara = page(client.get("/admin/audit?candidate=CARA C"))
    assert "Entries about Cara Candidate" in cara.text
    assert cara.by_id("audit-candidate").get("value") == "cara@example.org"
    # ... or offers those it matches, or says it matches no one.
    several = page(client.get("/admin/audit?candidate=car"))
    choices = several.find("ul", class_="candidate-choices").find_all("a")
    assert [a.text for a in choices] == ["Cara Candidate", "Carl Cousin"]
    assert choices[0].get("href") == f"/admin/audit?candidate={cast.candidate.id}"
    assert [
        o.get("value") for o in several.by_id("audit-candidate-matches").find_all("option")
    ] == [
        "cara@example.org",
        "carl@example.org",
    ]
    assert "No candidate matches “zed”" in page(client.get("/admin/audit?candidate=zed")).text


def test_suggestions_are_the_candidates_the_viewer_may_see(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User]
) -> None:
    make_user(name="Mentor Like", email="ml@example.org", role=Role.MENTOR.value)
    log_in(client, cast.mentor)
    url = "/mentor/candidates/search?field=candidate&candidate=o"
    options = page(client.get(url, headers=HTMX)).find_all("option")
    assert [(o.get("value"), o.text) for o in options] == [("cara@example.org", "Cara Candidate")]
    # Otto matches "o" too, but he is not Mia's; mentors are never suggested.
    log_in(client, cast.admin)
    options = page(client.get(url, headers=HTMX)).find_all("option")
    assert [o.text for o in options] == ["Cara Candidate", "Otto Other"]
    # Without htmx, the search is the candidates table's.
    response = client.get(url)
    assert response.headers["Location"] == "/mentor/?q=o"


def test_mentor_suggestions_are_active_mentors_for_admins_only(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User]
) -> None:
    make_user(name="Mina Gone", email="mina@example.org", role=Role.MENTOR.value, is_active=False)
    make_user(name="Mila Candidate", email="mila@example.org")
    url = "/admin/mentors/search?field=mentor&mentor=mi"
    log_in(client, cast.admin)
    html = page(client.get("/admin/mentorships"))
    assert html.by_id("assign-mentor").get("hx-get") == "/admin/mentors/search?field=mentor"
    options = page(client.get(url, headers=HTMX)).find_all("option")
    assert [(o.get("value"), o.text) for o in options] == [("mia@example.org", "Mia Mentor")]
    # Without htmx, the search is the users table's.
    assert client.get(url).headers["Location"] == "/admin/users?q=mi"
    log_in(client, cast.mentor)
    assert client.get(url, headers=HTMX).status_code == 403


def test_suggestions_are_few(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User]
) -> None:
    for n in range(12):
        make_user(name=f"Sam {n:02}", email=f"sam{n}@example.org")
    log_in(client, cast.admin)
    options = page(client.get("/mentor/candidates/search?q=sam", headers=HTMX)).find_all("option")
    assert [o.text for o in options] == [f"Sam {n:02}" for n in range(10)]


def test_assigning_by_a_name_that_matches_several_asks_which(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User]
) -> None:
    make_user(name="Otto Twin", email="otto2@example.org")
    log_in(client, cast.admin)
    form = page(client.get("/admin/mentorships")).find("form", action="/admin/mentorships")
    assert form.find("select", id="assign-candidate") is None
    assert form.by_id("assign-candidate").get("type") == "search"
    data = {"mentor": str(cast.mentor.id), "candidate": "otto"}
    response = client.post("/admin/mentorships", data=data)
    assert response.status_code == 422
    html = page(response)
    assert "Matches several candidates: choose one of the suggestions." in html.text
    assert [o.text for o in html.by_id("assign-candidate-matches").find_all("option")] == [
        "Otto Other",
        "Otto Twin",
    ]
    response = client.post("/admin/mentorships", data=data | {"candidate": "otto2@example.org"})
    assert response.status_code == 303
    assert "Mia Mentor now mentors Otto Twin." in page(client.get("/admin/mentorships")).text


# -- Users and assignments ------------------------------------------------------------


def test_the_users_table_pages_by_name_and_keeps_its_filters(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User]
) -> None:
    for n in range(55):
        make_user(name=f"Pat {n:02}", email=f"pat{n}@example.org")
    log_in(client, cast.admin)
    first = page(client.get("/admin/users?q=pat&role=candidate"))
    names = [row.find("th").text.split(" pat")[0] for row in first.find("tbody").find_all("tr")]
    assert names == [f"Pat {n:02}" for n in range(50)]
    assert "55 users, 1\u201350 shown" in first.text
    following = first.find("a", rel="next").get("href")
    assert following == "/admin/users?q=pat&role=candidate&page=2"
    rest = page(client.get(following, headers=HTMX))
    assert len(rest.find("tbody").find_all("tr")) == 5


def test_the_assignments_page_pages_newest_first(
    client: FlaskClient,
    cast: Cast,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
) -> None:
    for n in range(51):
        assign(cast.other_mentor, make_user(name=f"Kim {n:02}", email=f"kim{n}@example.org"))
    log_in(client, cast.admin)
    first = page(client.get("/admin/mentorships"))
    rows = first.by_id("mentorships").find("tbody").find_all("tr")
    assert len(rows) == 50 and "Kim 50" in rows[0].text
    rest = page(client.get(first.find("a", rel="next").get("href"), headers=HTMX))
    rows = rest.find("tbody").find_all("tr")
    assert ["Kim 00" in rows[0].text, "Cara Candidate" in rows[1].text] == [True, True]


# -- The mentor's (and admin's) candidates table ---------------------------------------------


def names_on_pages(client: FlaskClient, url: str, htmx: bool) -> list[list[str]]:
    """Follow the candidates table's "next" links: each page's candidate names."""
    pages = []
    while url:
        response = client.get(url, headers=HTMX if htmx else {})
        assert response.status_code == 200
        html = page(response)
        table = html.find("table", class_="candidates-table")
        assert table is not None
        pages.append([row.find("a").text for row in table.find_all("th", scope="row")])
        link = html.find("a", rel="next")
        url = link.get("href") if link is not None else ""
    return pages


@pytest.mark.parametrize("htmx", [False, True])
def test_the_candidates_table_comes_in_pages_of_50_each_candidate_once(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User], htmx: bool
) -> None:
    for n in range(58):
        make_user(name=f"Candidate {n:02d}")
    log_in(client, cast.admin)

    pages = names_on_pages(client, "/mentor/?sort=name", htmx)

    assert [len(names) for names in pages] == [50, 10]  # 58 + Cara and Otto
    everyone = [name for names in pages for name in names]
    assert everyone == sorted(everyone, key=str.lower)
    assert len(set(everyone)) == 60


def test_a_candidates_page_past_the_end_offers_the_last_page(
    client: FlaskClient, cast: Cast, make_user: Callable[..., User]
) -> None:
    for n in range(55):
        make_user(name=f"Candidate {n:02d}")
    log_in(client, cast.admin)

    html = page(client.get("/mentor/?page=9"))

    assert "There is no page 9: the list has 2 pages." in html.text
    assert html.find("a", rel="last").get("href").endswith("page=2")


def test_the_review_queue_badge_counts_up_to_1000(
    client: FlaskClient, cast: Cast, many: Callable[..., list[Any]]
) -> None:
    many(cast.candidate, "milestones", 1001)
    log_in(client, cast.admin)

    badge = page(client.get("/mentor/")).find("span", class_="count")

    assert badge is not None and badge.text == "1000+"
