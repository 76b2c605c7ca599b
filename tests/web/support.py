"""Test support for head office's web pages: logins made in the server's database, and an
httpx client used as the browser (cookies kept, redirects not followed)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence

import httpx

from counter_core.chain import Event
from head_office.web import users
from tests.helpers.hq import HqServer

PASSWORD = "Correct-horse-42"
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_hall(server: HqServer, counters: tuple[str, ...] = ("01", "02")) -> tuple[str, list[str]]:
    """A hall with enrolled counters (ids unique to this test run)."""
    hall = unique("HALL")
    ids = [f"{hall}-C{c}" for c in counters]
    for counter in ids:
        server.enroll(hall, counter)
    return hall, ids


def add_user(
    server: HqServer, role: str, halls: tuple[str, ...] = (), password: str = PASSWORD
) -> str:
    login = unique(role)
    users.add(server.store.engine, login, role, halls, password)
    return login


def browser(server: HqServer, **options: object) -> httpx.Client:
    return httpx.Client(
        base_url=options.pop("base_url", server.url),  # type: ignore[arg-type]
        follow_redirects=False,
        timeout=60,
        **options,
    )  # type: ignore[arg-type]


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, f"no csrf field in {page.text[:300]}"
    return found.group(1)


def login(
    client: httpx.Client, name: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    """Submit the login form as a browser would: GET it, POST it with its hidden fields."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    return client.post(
        "/login",
        data={"login": name, "password": password, "csrf": csrf_of(page), "next": next_path},
    )


def signed_in(server: HqServer, name: str) -> httpx.Client:
    client = browser(server)
    answer = login(client, name)
    assert answer.status_code == 303, answer.text
    return client


def upload(server: HqServer, hall: str, counter: str, events: Sequence[Event]) -> None:
    """Enrol the counter and upload its events as the counter's sync does (one batch)."""
    token = server.enroll(hall, counter)
    answer = httpx.post(f"{server.url}/api/v1/events", timeout=60,
                        content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
