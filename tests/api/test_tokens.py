"""Tokens: issued for good credentials only, shown once, stored hashed, expiring, revocable."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import PASSWORD
from sqlalchemy import select

from trainerpath.models import ApiToken
from trainerpath.services import tokens
from trainerpath.services.accounts import set_active

from .conftest import error_of, expire_token, snapshot


def parse_moment(value: str) -> datetime:
    """Read an API timestamp, insisting on the trailing Z."""
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=UTC)


def test_good_credentials_get_a_token_that_works_for_thirty_days(api, make_user):
    user = make_user(email="kim@example.org")
    response = api.post("/tokens", json_body={"email": "kim@example.org", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    expires = parse_moment(body["expires_at"])
    assert timedelta(days=30) - timedelta(minutes=1) < expires - datetime.now(UTC)
    assert expires - datetime.now(UTC) <= timedelta(days=30)
    me = api.get("/me", body["token"])
    assert me.status_code == 200
    assert me.get_json() == {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": "candidate",
    }


def test_the_email_of_a_login_is_compared_case_insensitively(api, make_user):
    make_user(email="kim@example.org")
    response = api.post("/tokens", json_body={"email": "Kim@Example.ORG", "password": PASSWORD})
    assert response.status_code == 201


def test_only_the_hash_of_a_token_is_stored(api, make_user, session):
    make_user(email="kim@example.org")
    token = api.post(
        "/tokens", json_body={"email": "kim@example.org", "password": PASSWORD}
    ).get_json()["token"]
    stored = session.execute(select(ApiToken)).scalar_one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(stored.model_dump())


def test_every_token_is_different(api, make_user):
    make_user(email="kim@example.org")
    credentials = {"email": "kim@example.org", "password": PASSWORD}
    first = api.post("/tokens", json_body=credentials).get_json()["token"]
    second = api.post("/tokens", json_body=credentials).get_json()["token"]
    assert first != second
    assert len(first) >= 40


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "kim@example.org", "password": "wrong password"},
        {"email": "nobody@example.org", "password": PASSWORD},
    ],
    ids=["wrong password", "unknown e-mail"],
)
def test_wrong_credentials_get_the_same_401_and_no_token(api, make_user, engine, credentials):
    make_user(email="kim@example.org")
    before = snapshot(engine)
    response = api.post("/tokens", json_body=credentials)
    assert error_of(response)[:2] == (401, "unauthenticated")
    assert response.get_json()["error"]["message"] == "Wrong e-mail address or password."
    assert snapshot(engine) == before


def test_a_deactivated_user_gets_no_token(api, make_user):
    make_user(email="kim@example.org", is_active=False)
    response = api.post("/tokens", json_body={"email": "kim@example.org", "password": PASSWORD})
    assert error_of(response)[:2] == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"email": "kim@example.org"}, {"password": "required"}),
        (
            {"email": "kim@example.org", "password": PASSWORD, "remember": True},
            {"remember": "unknown field"},
        ),
        ({"email": 7, "password": PASSWORD}, {"email": "must be text"}),
        (
            {"email": "kim\x00@example.org", "password": PASSWORD},
            {"email": "must not contain NUL characters"},
        ),
    ],
)
def test_a_token_request_of_the_wrong_shape_is_422(api, body, details):
    assert error_of(api.post("/tokens", json_body=body)) == (422, "validation_error", details)


@pytest.mark.parametrize("raw", ["", "{", "[]", '"text"', "null", '{"email": NaN}'])
def test_a_token_request_that_is_not_a_json_object_is_400(api, raw):
    assert error_of(api.call("POST", "/tokens", data=raw))[:2] == (400, "bad_request")


def test_revoking_the_current_token_stops_it_and_only_it(api, cast):
    token, other = cast.token("candidate"), cast.tokens["admin"]
    assert api.delete("/tokens/current", token).status_code == 204
    assert error_of(api.get("/me", token))[:2] == (401, "unauthenticated")
    assert error_of(api.delete("/tokens/current", token))[:2] == (401, "unauthenticated")
    assert api.get("/me", other).status_code == 200


def test_revoking_one_of_a_users_tokens_leaves_the_others_working(api, cast, token_for):
    second = token_for(cast.candidate)
    assert api.delete("/tokens/current", cast.token("candidate")).status_code == 204
    assert api.get("/me", second).status_code == 200


def test_an_expired_token_is_401(api, cast, session):
    expire_token(session, cast.token("candidate"))
    response = api.get("/me", cast.token("candidate"))
    assert error_of(response)[:2] == (401, "unauthenticated")
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_a_deactivated_users_tokens_stop_working_at_once(api, cast, session):
    assert api.get("/me", cast.token("mentor")).status_code == 200
    cast.mentor.is_active = False
    session.add(cast.mentor)
    session.commit()
    assert error_of(api.get("/me", cast.token("mentor")))[:2] == (401, "unauthenticated")


def test_a_reactivated_user_must_get_a_new_token(api, cast, session):
    set_active(session=session, actor=cast.admin, user_id=cast.mentor.id, active=False)
    session.commit()
    set_active(session=session, actor=cast.admin, user_id=cast.mentor.id, active=True)
    session.commit()
    assert error_of(api.get("/me", cast.token("mentor")))[:2] == (401, "unauthenticated")
    fresh = api.post("/tokens", json_body={"email": cast.mentor.email, "password": PASSWORD})
    assert api.get("/me", fresh.get_json()["token"]).status_code == 200
    assert api.get("/me", cast.token("candidate")).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic a2ltOnNlY3JldA==",
        "Bearer not-a-token",
        "Bearer tp_" + "x" * 43,
        "Bearer " + "x" * 5000,
    ],
)
def test_a_missing_or_invalid_token_is_401(api, cast, header):
    headers = {} if header is None else {"Authorization": header}
    response = api.get("/me", headers=headers)
    assert error_of(response)[:2] == (401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_bearer_scheme_is_case_insensitive(api, cast):
    headers = {"Authorization": f"bearer {cast.token('admin')}"}
    assert api.get("/me", headers=headers).status_code == 200


def test_a_cookie_session_is_not_accepted(api, client, cast):
    # The session a web login would leave: Flask-Login's user id in the signed cookie.
    with client.session_transaction() as cookie_session:
        signed_in_at = int(time.time())
        cookie_session["_user_id"] = f"{cast.admin.id}:{cast.admin.session_version}:{signed_in_at}"
        cookie_session["_fresh"] = True
    assert error_of(api.get("/me"))[:2] == (401, "unauthenticated")


def test_api_responses_set_no_cookie(api, cast):
    response = api.get("/me", cast.token("admin"))
    assert "Set-Cookie" not in response.headers


def test_an_unknown_api_path_is_401_without_a_token_and_404_with_one(api, cast):
    assert error_of(api.get("/candidates/1/homework"))[:2] == (401, "unauthenticated")
    assert error_of(api.get("/candidates/1/homework", cast.token("admin")))[:2] == (
        404,
        "not_found",
    )


def test_a_known_path_with_another_method_is_405_with_allow(api, cast):
    response = api.call("PUT", "/me", cast.token("admin"))
    assert error_of(response)[:2] == (405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(("method", "path"), [("PUT", "/me"), ("GET", "/tokens/current")])
def test_a_method_the_path_does_not_take_needs_a_token_first(api, cast, method, path):
    """401 comes first: without a token nobody learns which methods a path takes."""
    response = api.call(method, path)
    assert error_of(response)[:2] == (401, "unauthenticated")
    assert "Allow" not in response.headers
    assert error_of(api.call(method, path, cast.token("candidate")))[:2] == (
        405,
        "method_not_allowed",
    )


def test_options_answers_only_with_a_token_outside_the_public_paths(api, cast):
    for path in ("/me", "/candidates/1", "/evidence/teaching-sessions/1", "/no-such-thing"):
        assert error_of(api.call("OPTIONS", path))[:2] == (401, "unauthenticated")
    with_token = api.call("OPTIONS", "/me", cast.token("candidate"))
    assert with_token.status_code == 200
    assert sorted(with_token.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]
    for path, allowed in (("/openapi.json", "GET, HEAD, OPTIONS"), ("/tokens", "OPTIONS, POST")):
        public = api.call("OPTIONS", path)
        assert public.status_code == 200
        assert sorted(public.headers["Allow"].split(", ")) == allowed.split(", ")
    assert error_of(api.call("PUT", "/openapi.json"))[:2] == (405, "method_not_allowed")


class TestConfiguredLifetime:
    """TOKEN_TTL_DAYS sets how long new tokens live."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "TOKEN_TTL_DAYS": 7}

    def test_tokens_expire_after_the_configured_days(self, api, make_user):
        make_user(email="kim@example.org")
        body = api.post(
            "/tokens", json_body={"email": "kim@example.org", "password": PASSWORD}
        ).get_json()
        left = parse_moment(body["expires_at"]) - datetime.now(UTC)
        assert timedelta(days=7) - timedelta(minutes=1) < left <= timedelta(days=7)


class TestWithCsrfProtection:
    """The web pages' CSRF protection does not apply to the token-authenticated API."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_api_posts_need_no_csrf_token(self, api, cast):
        response = api.post(
            f"/candidates/{cast.candidate.id}/enrollments",
            cast.token("candidate"),
            {"pathway": "cst"},
        )
        assert response.status_code == 201
        login = api.post("/tokens", json_body={"email": "cora@example.org", "password": PASSWORD})
        assert login.status_code == 201


# -- the token service on its own ---------------------------------------------------


def test_issue_token_refuses_a_lifetime_below_one_day(session, make_user):
    user = make_user()
    with pytest.raises(tokens.ValidationFailed):
        tokens.issue_token(session=session, user=user, ttl_days=0)


def test_verify_token_rejects_revoked_expired_and_unknown_tokens(session, make_user):
    user = make_user()
    issued = tokens.issue_token(session=session, user=user, ttl_days=1)
    assert tokens.verify_token(session, issued.token) == (user.id, user.role, issued.record.id)
    assert tokens.verify_token(session, issued.token, now=issued.record.expires_at) is None
    assert tokens.verify_token(session, "tp_unknown") is None
    tokens.revoke_token(session=session, token=issued.record)
    assert tokens.verify_token(session, issued.token) is None


def test_revoke_user_tokens_revokes_every_live_token_of_the_user(session, make_user):
    user, other = make_user(), make_user()
    mine = [tokens.issue_token(session=session, user=user) for _ in range(2)]
    theirs = tokens.issue_token(session=session, user=other)
    session.commit()
    assert tokens.revoke_user_tokens(session=session, user=user) == 2
    session.commit()
    assert all(tokens.verify_token(session, issued.token) is None for issued in mine)
    assert tokens.verify_token(session, theirs.token) is not None
