"""Security headers, no inline code, htmx configuration, CSRF, and friendly error pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import PASSWORD
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from trainerpath import clock, create_app
from trainerpath.models import EVIDENCE_MODELS, OutboxMail, User
from trainerpath.pathways import RULESETS
from trainerpath.pathways.calendar import add_months

from .conftest import HTMX, Cast, fetch_one, log_in, page, text

PAGES_BY_ROLE = {
    "anonymous": ["/", "/login", "/signup", "/pathways/cst", "/pathways/pst", "/pathways/compare",
                  "/pathways/cst?ruleset=cst@1", "/pathways/pst?ruleset=pst@1", "/no-such-page"],
    "candidate": ["/candidate", "/evidence/teaching-sessions", "/evidence/assessments",
                  "/evidence/credentials", "/evidence/experience", "/evidence/milestones",
                  "/account/password", "/pathways/compare", "/pathways/cst", "/pathways/pst",
                  "/mentor/", "/evidence/teaching-sessions/1/proof",
                  "/evidence/teaching-sessions/1/edit"],
    "mentor": ["/mentor/", "/mentor/?ageing=1", "/mentor/reviews", "/mentor/candidates/{candidate}",
               "/admin/users"],
    "admin": ["/admin/users", "/admin/mentorships", "/admin/audit",
              "/admin/audit?candidate={candidate}", "/mentor/candidates/{candidate}"],
}  # fmt: skip
EVERY_PAGE = [(role, url) for role, urls in PAGES_BY_ROLE.items() for url in urls]


# The candidate's rules in each run: between them, every registered ruleset.
ENROLLED = [("cst@2", "pst@1"), ("cst@1", "pst@2")]
assert {ruleset for pair in ENROLLED for ruleset in pair} == set(RULESETS)


@pytest.fixture(params=ENROLLED, ids="+".join)
def visit(
    request: pytest.FixtureRequest,
    client: FlaskClient,
    cast: Cast,
    make_enrollment: Callable[..., Any],
    make_evidence: Callable[..., Any],
) -> Callable[[str, str], Any]:
    """Open a page as a role, with enough data that every part of it is drawn.

    The candidate follows one ruleset of each pathway; their courses make a windowed
    requirement warn that evidence ages out and an unmet one show its forecast.
    """
    for ruleset in request.param:
        make_enrollment(cast.candidate, ruleset.split("@")[0], ruleset=ruleset)
    make_evidence(cast.candidate, "teaching-sessions", status="pending")
    make_evidence(cast.candidate, "credentials", status="rejected")
    qualifying = {"reflection": "Changed the exercises", "with_current_materials": True}
    ageing = add_months(clock.today(), -60) + timedelta(days=20)
    for first_day in [ageing] * 2 + [clock.today() - timedelta(days=40)] * 8:
        make_evidence(cast.candidate, "teaching-sessions", first_day=first_day, **qualifying)

    def open_page(role: str, url: str) -> Any:
        if role != "anonymous":
            log_in(client, getattr(cast, role))
        return client.get(url.format(candidate=cast.candidate.id))

    return open_page


@pytest.mark.parametrize(("role", "url"), EVERY_PAGE)
def test_every_page_is_locked_down_and_has_landmarks_and_labelled_fields(
    visit: Callable[[str, str], Any], role: str, url: str
) -> None:
    """One visit per page, three checks: its headers, no inline code, its landmarks."""
    response = visit(role, url)
    assert response.mimetype == "text/html"
    carries_the_security_headers(response)
    html = page(response)
    has_no_inline_scripts_styles_or_handlers(html)
    has_landmarks_and_labelled_fields(html)


def carries_the_security_headers(response: Any) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def has_no_inline_scripts_styles_or_handlers(html: Any) -> None:
    assert html.find("style") is None
    for script in html.find_all("script"):
        assert (script.get("src") or "").startswith("/static/") and not script.text
    for node in html.iter():
        assert "style" not in node.attrs, node
        assert not [name for name in node.attrs if name.startswith(("on", "hx-on"))], node
        assert not (node.get("href") or "").startswith("javascript:")


def has_landmarks_and_labelled_fields(html: Any) -> None:
    assert html.find("main", id="main") and html.find("header") and html.find("footer")
    assert html.find("nav", aria_label="Main") is not None
    assert html.find("a", class_="skip-link", href="#main") is not None
    assert len(html.find_all("h1")) == 1
    for control in html.find_all("input") + html.find_all("select") + html.find_all("textarea"):
        if control.get("type") in ("hidden", "submit"):
            continue
        labelled = html.find("label", for_=control.get("id")) or control.get("aria-label")
        assert labelled, f"{control} has no label"


def test_htmx_is_configured_through_its_meta_tag(client: FlaskClient) -> None:
    html = page(client.get("/"))
    config = json.loads(html.find("meta", name="htmx-config").get("content"))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert html.find("meta", name="csrf-token").get("content")
    scripts = [s.get("src") for s in html.find_all("script")]
    assert scripts == ["/static/vendor/htmx.min.js", "/static/app.js"]
    styles = [link.get("href") for link in html.find_all("link", rel="stylesheet")]
    assert styles == ["/static/vendor/pico.min.css", "/static/app.css"]


def test_the_script_sends_the_csrf_token_on_htmx_requests(client: FlaskClient) -> None:
    script = client.get("/static/app.js").get_data(as_text=True)
    assert "htmx:configRequest" in script
    assert 'event.detail.headers["X-CSRFToken"]' in script
    assert 'meta[name="csrf-token"]' in script


@pytest.mark.parametrize(
    "path", ["/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js"]
)
def test_static_files_are_served_with_nosniff(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"


class TestCsrf:
    """CSRF protection switched on, as in production."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        """Switch CSRF protection on."""
        return app_config | {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def token(client: FlaskClient, url: str = "/login") -> str:
        """The CSRF token a page hands out."""
        value = page(client.get(url)).find("meta", name="csrf-token").get("content")
        assert value
        return value

    @pytest.mark.parametrize(
        "url", ["/login", "/signup", "/logout", "/candidate/enrol", "/evidence/milestones",
                "/admin/users", "/mentor/reviews/milestones/1", "/mentor/reviews/verify",
                "/enrollments/1/events"],
    )  # fmt: skip
    def test_a_post_without_a_token_is_refused(self, client: FlaskClient, url: str) -> None:
        response = client.post(url, data={"email": "x", "password": "y"})
        assert response.status_code == 400
        assert "This form has expired or did not come from this site." in text(response)

    def test_a_form_post_with_the_pages_token_works(self, client: FlaskClient, cast: Cast) -> None:
        token = self.token(client)
        response = client.post(
            "/login",
            data={"email": cast.candidate.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303

    def test_htmx_sends_the_token_as_a_header(self, client: FlaskClient, cast: Cast) -> None:
        token = self.token(client)
        client.post(
            "/login",
            data={"email": cast.candidate.email, "password": PASSWORD, "csrf_token": token},
        )
        token = self.token(client, "/evidence/milestones")
        refused = client.post("/evidence/milestones", data={"kind": "other"}, headers=HTMX)
        assert refused.status_code == 400
        accepted = client.post(
            "/evidence/milestones",
            data={"kind": "other", "achieved_on": "2024-01-01"},
            headers=HTMX | {"X-CSRFToken": token},
        )
        assert accepted.status_code == 200

    def test_a_token_from_before_login_stops_working_after_it(
        self, client: FlaskClient, cast: Cast
    ) -> None:
        """Someone who planted a session and read its token cannot forge forms after login."""
        before = self.token(client)
        client.post(
            "/login",
            data={"email": cast.candidate.email, "password": PASSWORD, "csrf_token": before},
        )
        after = self.token(client, "/evidence/milestones")
        stale = client.post(
            "/evidence/milestones",
            data={"kind": "other", "achieved_on": "2024-01-01", "csrf_token": before},
        )
        assert stale.status_code == 400
        assert "This form has expired or did not come from this site." in text(stale)
        fresh = client.post(
            "/evidence/milestones",
            data={"kind": "other", "achieved_on": "2024-01-01", "csrf_token": after},
        )
        assert fresh.status_code == 303

    def test_signing_up_also_gives_a_new_token(self, client: FlaskClient) -> None:
        before = self.token(client, "/signup")
        data = {"name": "Pat", "email": "pat@example.org", "password": PASSWORD}
        response = client.post("/signup", data=data | {"confirm": PASSWORD, "csrf_token": before})
        assert response.status_code == 303
        stale = client.post("/logout", data={"csrf_token": before})
        assert stale.status_code == 400

    def test_the_json_api_is_not_subject_to_form_tokens(self, client: FlaskClient) -> None:
        response = client.post("/api/v1/tokens", json={"email": "x@example.org", "password": "y"})
        assert response.status_code != 400
        assert response.is_json


def test_a_head_request_with_a_form_body_changes_nothing(
    client: FlaskClient, cast: Cast, make_evidence: Callable[..., Any], engine: Engine
) -> None:
    """HEAD is answered as GET: a form sent with it is not a submission (it carries no
    CSRF check, which only guards the methods that may change something)."""
    item = make_evidence(cast.candidate, "milestones", status="pending", note="As logged")
    log_in(client, cast.candidate)
    changed = {"kind": "other", "achieved_on": "2024-01-01", "note": "Changed by HEAD"}
    response = client.head(f"/evidence/milestones/{item.id}/edit", data=changed)
    assert response.status_code == 200
    stored = fetch_one(engine, select(EVIDENCE_MODELS["milestones"]))
    assert stored.note == "As logged"
    new_password = {"current": PASSWORD, "new_password": "x" * 12, "confirm": "x" * 12}
    assert client.head("/account/password", data=new_password).status_code == 200
    client.post("/logout")
    assert client.head("/password/forgot", data={"email": cast.candidate.email}).status_code == 200
    signup = {"name": "Pat", "email": "pat@example.org", "password": PASSWORD, "confirm": PASSWORD}
    assert client.head("/signup", data=signup).status_code == 200
    assert fetch_one(engine, select(func.count()).select_from(OutboxMail)) == 0
    assert fetch_one(engine, select(func.count()).where(User.email == "pat@example.org")) == 0
    log_in(client, cast.candidate)  # the password did not change


def test_a_nul_character_in_a_query_or_form_is_refused_with_a_reason(
    client: FlaskClient, cast: Cast, engine: Engine
) -> None:
    """PostgreSQL cannot store a NUL (a filter's query failed with a 500) and SQLite
    stored it: a page refuses it as the API does, before anything is read or written."""
    log_in(client, cast.mentor)
    for url in ("/mentor/?q=%00", "/mentor/reviews?candidate=a%00", "/mentor/?q%00=x"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL character" in text(response)
    client.post("/logout")
    log_in(client, cast.candidate)
    logged = {"kind": "other", "achieved_on": "2024-01-01", "note": "An\x00 achievement"}
    response = client.post("/evidence/milestones", data=logged)
    assert response.status_code == 400 and "NUL character" in text(response)
    assert fetch_one(engine, select(func.count()).select_from(EVIDENCE_MODELS["milestones"])) == 0
    assert client.post("/evidence/milestones", data=logged | {"note": "Fine"}).status_code == 303
    client.post("/logout")
    login = {"email": cast.candidate.email, "password": PASSWORD, "next": "/candidate\x00"}
    assert client.post("/login", data=login).status_code == 400
    assert client.get("/candidate").status_code == 302  # not logged in


def test_personal_answers_are_kept_out_of_every_cache(
    client: FlaskClient,
    cast: Cast,
    make_enrollment: Callable[..., Any],
    make_evidence: Callable[..., Any],
) -> None:
    """Pages, downloads of a record and API answers say no-store; static files may be kept."""
    enrollment = make_enrollment(cast.candidate, "cst", ruleset="cst@2")
    make_evidence(cast.candidate, "teaching-sessions", status="pending")
    log_in(client, cast.candidate)
    me = cast.candidate.id
    personal = [
        "/candidate",
        f"/candidates/{me}/record.json",
        f"/candidates/{me}/teaching-sessions.csv",
        f"/enrollments/{enrollment.id}/dossier.pdf",
        "/api/v1/me",
        "/no-such-page",
    ]
    for url in personal:
        response = client.get(url)
        assert "no-store" in response.headers.get("Cache-Control", ""), (url, response.status)
    static = client.get("/static/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


class TestOverHttps:
    """With the cookies marked secure, as when serving over HTTPS."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        """Mark the cookies secure."""
        return app_config | {"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True}

    @pytest.mark.parametrize("url", ["/", "/login", "/api/v1/openapi.json", "/nowhere"])
    def test_browsers_are_told_to_use_only_https(self, client: FlaskClient, url: str) -> None:
        response = client.get(url, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_serving_sends_no_strict_transport_security(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_a_missing_page_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "We could not find that page" in page(response).find("h1").text
    assert page(response).find("a", href="/") is not None


def test_a_forbidden_page_is_a_friendly_403(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.candidate)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "This page is not for you" in page(response).find("h1").text


def test_a_server_error_is_a_friendly_500(app_config: dict[str, Any]) -> None:
    app = create_app(app_config | {"TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken)
    app.add_url_rule("/api/v2-broken", "api_broken", broken)
    client = app.test_client()
    response = client.get("/broken")
    assert response.status_code == 500
    assert "Something went wrong on our side" in page(response).find("h1").text
    assert "boom" not in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"]
    app.extensions["trainerpath.engine"].dispose()


def test_unknown_api_paths_answer_in_json_not_html(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["code"] == "not_found"


def test_api_errors_inside_the_api_keep_their_own_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.is_json


def test_htmx_requests_for_pages_vary_on_hx_request(client: FlaskClient, cast: Cast) -> None:
    log_in(client, cast.mentor)
    for url in ["/mentor/", "/mentor/reviews", f"/mentor/candidates/{cast.candidate.id}"]:
        full, fragment = client.get(url), client.get(url, headers=HTMX)
        assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
        assert "<html" in full.get_data(as_text=True)
        assert "<html" not in fragment.get_data(as_text=True)
