"""Who sees what, generated from the web router's route table against a real `counter-hq
serve` (SQLite and PostgreSQL): every route, called with hall B's login, answers 403 or 404
or a page without any of hall A's ids; every unsafe method without its CSRF token is refused
403 before it acts; every page is sent to /login when no one is signed in.

A route added to head_office.web.routes is covered without editing this file; a path
parameter other than {hall} fails here until the test knows what to fill in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from head_office.web.routes import UNSAFE_METHODS, router
from tests.helpers.hq import HqServer
from tests.web.support import add_user, browser, csrf_of, new_hall, signed_in

ROUTES = [
    (str(route.path), method)
    # the routes of the routers routes.py includes too (FastAPI keeps those as one entry)
    for route in iter_route_contexts(router.routes)
    if isinstance(route.original_route, APIRoute)
    for method in sorted(route.methods or ())
]
GETS = [path for path, method in ROUTES if method == "GET"]
UNSAFE = [(path, method) for path, method in ROUTES if method in UNSAFE_METHODS]
PUBLIC = {"/login"}  # the one page for anonymous visitors


def test_the_route_table_is_what_the_scoping_tests_walk() -> None:
    assert {"/", "/halls/{hall}", "/stars", "/audit", "/audit.csv", "/account",
            "/login", "/admin", "/rules"} <= set(GETS)
    assert {("/login", "POST"), ("/logout", "POST"), ("/account/password", "POST"),
            ("/halls/{hall}/staff/purge", "POST")} <= set(UNSAFE)


def test_the_incidents_and_month_close_routes_are_walked() -> None:
    assert {"/incidents", "/months"} <= set(GETS)
    assert {("/incidents/account", "POST"), ("/months/close", "POST")} <= set(UNSAFE)


def fill(path: str, hall: str) -> str:
    """The route's path with its parameters filled in with hall A's."""
    filled = path.replace("{hall}", hall)
    unknown = re.findall(r"\{[^}]+\}", filled)
    assert not unknown, f"{path}: teach tests/web/test_scoping.py what to put in {unknown}"
    return filled


class Halls:
    def __init__(self, server: HqServer) -> None:
        self.server = server
        self.a, self.a_ids = new_hall(server, ("01", "02", "03"))
        self.b, self.b_ids = new_hall(server, ("01",))
        self.login_a = add_user(server, "hall", (self.a,))
        self.login_b = add_user(server, "hall", (self.b,))
        self.hq = add_user(server, "hq")

    def secrets(self) -> list[str]:
        """What must never reach hall B: hall A's id and its counters' ids (and its login)."""
        return [self.a, *self.a_ids, self.login_a]


@pytest.fixture(scope="module")
def halls(hq_server: HqServer) -> Iterator[Halls]:
    yield Halls(hq_server)


def leaks(answer: httpx.Response, halls: Halls) -> list[str]:
    seen = answer.text + " ".join(f"{k}: {v}" for k, v in answer.headers.items())
    return [secret for secret in halls.secrets() if secret in seen]


@pytest.mark.parametrize("path", GETS)
def test_hall_b_sees_nothing_of_hall_a(halls: Halls, path: str) -> None:
    client = signed_in(halls.server, halls.login_b)
    for query in ("", f"?hall={halls.a}&login={halls.login_a}"):
        answer = client.get(fill(path, halls.a) + query)
        assert answer.status_code in (200, 303, 403, 404), (path, answer.status_code)
        assert not leaks(answer, halls), (path, leaks(answer, halls))


HALL_GETS = [path for path in GETS if "{hall}" in path]


def test_some_routes_name_a_hall() -> None:
    assert HALL_GETS, "no route takes {hall}: the next test would walk nothing"


@pytest.mark.parametrize("path", HALL_GETS)
def test_an_unknown_hall_and_a_foreign_one_answer_alike(halls: Halls, path: str) -> None:
    client = signed_in(halls.server, halls.login_b)
    foreign = client.get(fill(path, halls.a))
    missing = client.get(fill(path, "NO-SUCH-HALL"))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text


def test_the_walk_would_see_a_leak(halls: Halls) -> None:
    """The control: hall A's own login, and an hq login, do see hall A's ids."""
    for who in (halls.login_a, halls.hq):
        page = signed_in(halls.server, who).get(f"/halls/{halls.a}")
        assert page.status_code == 200
        assert all(counter in page.text for counter in halls.a_ids)
    overview = signed_in(halls.server, halls.login_b).get("/")
    assert halls.b in overview.text and halls.a not in overview.text


@pytest.mark.parametrize(("path", "method"), UNSAFE)
def test_hall_b_posting_sees_nothing_of_hall_a(halls: Halls, path: str, method: str) -> None:
    client = signed_in(halls.server, halls.login_b)
    token = csrf_of(client.get("/account"))
    answer = client.request(
        method, fill(path, halls.a), data={"csrf": token, "hall": halls.a, "login": halls.login_a}
    )
    assert answer.status_code < 500
    assert not leaks(answer, halls), (path, leaks(answer, halls))


@pytest.mark.parametrize(("path", "method"), UNSAFE)
def test_every_unsafe_method_without_its_csrf_token_is_refused(
    halls: Halls, path: str, method: str
) -> None:
    target = fill(path, halls.a)
    signed = signed_in(halls.server, halls.hq)
    good = csrf_of(signed.get("/account"))
    other = csrf_of(signed_in(halls.server, halls.login_a).get("/account"))
    anonymous = browser(halls.server)
    login_form = anonymous.get("/login")
    for client, data, headers in (
        (signed, {}, {}),
        (signed, {"csrf": ""}, {}),
        (signed, {"csrf": good + "x"}, {}),
        (signed, {"csrf": other}, {}),  # another session's token
        (signed, {}, {"X-CSRF-Token": "nope"}),
        (anonymous, {}, {}),
        (anonymous, {"csrf": "made-up"}, {}),
    ):
        answer = client.request(method, target, data=data, headers=headers)
        assert answer.status_code == 403, (path, data, headers, answer.status_code)
        assert "text/html" in answer.headers["content-type"]
        assert "<html" in answer.text
    assert signed.get("/").status_code == 200  # nothing was done: still signed in
    if path == "/login":
        # the login form's own token, from its cookie, is the one that counts
        assert csrf_of(login_form)


def test_the_csrf_header_serves_as_the_field(halls: Halls) -> None:
    """htmx sends the token as X-CSRF-Token: that is accepted as the form field is."""
    client = signed_in(halls.server, halls.login_b)
    token = csrf_of(client.get("/"))
    answer = client.post("/logout", headers={"X-CSRF-Token": token})
    assert answer.status_code == 303
    assert client.get("/").status_code == 303


@pytest.mark.parametrize("path", [p for p in GETS if p not in PUBLIC])
def test_every_page_sends_an_anonymous_visit_to_login(halls: Halls, path: str) -> None:
    target = fill(path, halls.a)
    for cookies in ({}, {"hq_session": "forged-or-expired"}):
        answer = browser(halls.server, cookies=cookies).get(target)
        assert answer.status_code == 303, (path, answer.status_code)
        location = answer.headers["location"]
        assert location.startswith("/login?next=")
        assert location == "/login?next=" + quote(target, safe="")
        # nothing but the visitor's own path comes back: no counter of the hall, no page
        assert not [i for i in halls.a_ids if i in answer.text + location]
        assert "<table" not in answer.text


def test_audit_pages_are_for_hq_logins_only(halls: Halls) -> None:
    for who in (halls.login_a, halls.login_b):
        client = signed_in(halls.server, who)
        for path in ("/audit", "/audit.csv"):
            assert client.get(path).status_code == 403
        assert 'href="/audit"' not in client.get("/").text
    hq = signed_in(halls.server, halls.hq)
    assert hq.get("/audit").status_code == 200
    assert hq.get("/audit.csv").status_code == 200


def test_a_regional_manager_sees_its_halls_and_no_other(halls: Halls) -> None:
    other, other_ids = new_hall(halls.server, ("09",))
    regional = add_user(halls.server, "hall", (halls.a, halls.b))
    client = signed_in(halls.server, regional)
    overview = client.get("/").text
    assert halls.a in overview and halls.b in overview and other not in overview
    assert all(i in client.get(f"/halls/{halls.a}").text for i in halls.a_ids)
    assert all(i in client.get(f"/halls/{halls.b}").text for i in halls.b_ids)
    assert client.get(f"/halls/{other}").status_code == 404
    boss = signed_in(halls.server, halls.hq).get("/").text
    assert all(h in boss for h in (halls.a, halls.b, other))
    assert other_ids
