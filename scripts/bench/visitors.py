"""Logging in to a served app over HTTP, as a browser and as an API client would."""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

from .clients import USER_AGENT
from .dataset import Person
from .routes import API, Route

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PLAIN = urllib.request.build_opener()


class Visitor:
    """One person (or nobody) visiting a served app: a browser's cookies, or a token."""

    def __init__(self, base_url: str, person: Person | None) -> None:
        self.base_url = base_url
        self.person = person
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]
        self.token: str | None = None

    def log_in(self) -> None:
        """Log in through the /login form (its CSRF token included), landing on the home page."""
        if self.person is None:
            return
        form = self.opener.open(self.base_url + "/login", timeout=60).read().decode()
        found = CSRF_FIELD.search(form)
        fields = {"email": self.person.email, "password": self.person.password}
        if found:
            fields["csrf_token"] = found.group(1)
        with self.opener.open(
            self.base_url + "/login", urlencode(fields).encode(), timeout=60
        ) as landed:
            if landed.geturl().split("?")[0].endswith("/login"):
                raise RuntimeError(f"logging in as {self.person.email} failed")

    def ask_for_token(self) -> None:
        """Get an API token through POST /api/v1/tokens."""
        if self.person is None:
            return
        body = json.dumps({"email": self.person.email, "password": self.person.password})
        request = urllib.request.Request(
            self.base_url + f"{API}/tokens",
            data=body.encode(),
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            self.token = json.load(answer)["token"]

    def headers(self, api: bool) -> dict[str, str]:
        """The headers that carry this visitor's login: the bearer token, or the cookies."""
        if api:
            return {"Authorization": f"Bearer {self.token}"} if self.token else {}
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)
        return {"Cookie": cookies} if cookies else {}

    def get(self, path: str, api: bool) -> tuple[str, bytes]:
        """GET ``path`` (keeping any cookie it sets); its content type and body.

        Fails unless it answers 200 without a redirect (to the login page, say).
        """
        url = self.base_url + path
        if api:  # the token, and no cookie
            headers = {"User-Agent": USER_AGENT, **self.headers(api=True)}
            request, opener = urllib.request.Request(url, headers=headers), PLAIN
        else:  # the cookie jar's cookies, kept up to date
            request, opener = urllib.request.Request(url), self.opener
        try:
            with opener.open(request, timeout=120) as answer:
                if answer.status != 200 or answer.geturl() != url:
                    raise RuntimeError(f"GET {path}: {answer.status} at {answer.geturl()}")
                return answer.headers.get("Content-Type", ""), answer.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"GET {path}: {error.code}") from error


@dataclass(frozen=True)
class Visit:
    """One route's answer to its first request, and the headers that log its visitor in."""

    content_type: str
    body: bytes
    seconds: float
    headers: dict[str, str]


def visit_each(base_url: str, routes: list[Route]) -> list[Visit]:
    """Log each route's visitor in (page: the form; API: a token) and GET each route once.

    The headers are taken after every route was visited, with the cookies as a browser
    would keep them (a page that sets one, say the CSRF secret, sets it once).
    """
    visitors: dict[tuple[Person | None, bool], Visitor] = {}
    answers = []
    for route in routes:
        key = (route.who, route.api)
        if key not in visitors:
            visitors[key] = Visitor(base_url, route.who)
            if route.api:
                visitors[key].ask_for_token()
            else:
                visitors[key].log_in()
        began = time.perf_counter()
        answers.append((*visitors[key].get(route.path, route.api), time.perf_counter() - began))
    return [
        Visit(content_type, body, seconds, visitors[(route.who, route.api)].headers(route.api))
        for route, (content_type, body, seconds) in zip(routes, answers, strict=True)
    ]
