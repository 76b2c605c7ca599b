"""Logging in to head office's web pages, against a real `counter-hq serve` (SQLite and
PostgreSQL): the form, the same answer for an unknown login as for a wrong password, the
slowing of failed logins, the session cookie's flags (Secure over TLS), the idle timeout,
logout, disabled logins, password changes and the language switch."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from head_office.store import Store
from head_office.web import sessions, users
from head_office.web.sessions import WebSettings
from tests.helpers.hq import HqServer, free_port, running_server
from tests.helpers.tls import self_signed
from tests.web.support import (
    PASSWORD,
    add_user,
    browser,
    csrf_of,
    login,
    new_hall,
    signed_in,
)


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[HqServer]:
    """A server of its own: failed logins from 127.0.0.1 slow every later login there."""
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}") as server:
        yield server


def session_cookie(answer: httpx.Response) -> str:
    found = [c for c in answer.headers.get_list("set-cookie") if c.startswith("hq_session=")]
    assert len(found) == 1, answer.headers
    return found[0]


def test_login_opens_a_session_and_shows_the_halls(hq_server: HqServer) -> None:
    hall, counter_ids = new_hall(hq_server)
    name = add_user(hq_server, "hall", (hall,))
    client = browser(hq_server)
    form = client.get("/login")
    assert form.status_code == 200
    for field in ('name="login"', 'name="password"', 'name="csrf"', 'method="post"'):
        assert field in form.text
    answer = login(client, name, next_path=f"/halls/{hall}")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/halls/{hall}"
    cookie = session_cookie(answer).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain http on loopback: a Secure cookie would not return
    page = client.get(f"/halls/{hall}")
    assert page.status_code == 200
    assert all(counter in page.text for counter in counter_ids)
    assert name in client.get("/").text


def test_the_session_token_is_stored_hashed_only(hq_server: HqServer) -> None:
    hall, _ = new_hall(hq_server)
    client = signed_in(hq_server, add_user(hq_server, "hall", (hall,)))
    token = client.cookies["hq_session"]
    with hq_server.store.engine.connect() as conn:
        stored = conn.execute(sessions.sessions.select()).all()
    assert all(token not in repr(row) for row in stored)
    assert any(row.token_hash == sessions.hash_token(token) for row in stored)


def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(
    fresh_server: HqServer,
) -> None:
    hall, _ = new_hall(fresh_server)
    name = add_user(fresh_server, "hall", (hall,))
    client = browser(fresh_server)
    wrong = login(client, name, "Not-the-password-1")
    unknown = login(client, "nobody-" + name[5:], "Not-the-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert "hq_session" not in client.cookies
    assert "账号或密码不正确" in wrong.text

    def shape(answer: httpx.Response, typed: str) -> str:
        return answer.text.replace(typed, "LOGIN").replace(csrf_of(answer), "CSRF")

    assert shape(wrong, name) == shape(unknown, "nobody-" + name[5:])


def test_failed_logins_are_slowed_per_login_and_per_address(fresh_server: HqServer) -> None:
    hall, _ = new_hall(fresh_server)
    name = add_user(fresh_server, "hall", (hall,))
    client = browser(fresh_server)

    def timed(who: str, password: str) -> tuple[int, float]:
        page = client.get("/login")
        start = time.monotonic()
        answer = client.post(
            "/login", data={"login": who, "password": password, "csrf": csrf_of(page)}
        )
        return answer.status_code, time.monotonic() - start

    status, first = timed(name, "Wrong-password-1")
    assert status == 401 and first < 1.0
    status, second = timed(name, "Wrong-password-2")  # one failure before: 1 s
    assert status == 401 and second >= 0.95
    status, third = timed(name, "Wrong-password-3")  # two failures: 2 s
    assert status == 401 and third >= 1.95
    # the address is slowed too, for any login, known or not (three failures: 4 s)
    status, other = timed("someone-else", "Wrong-password-4")
    assert status == 401 and other >= 3.9
    # the right password still works, after the wait; and clears the run
    status, right = timed(name, PASSWORD)
    assert status == 303 and right >= 3.9
    start = time.monotonic()
    assert login(browser(fresh_server), name).status_code == 303
    assert time.monotonic() - start < 1.0


def test_next_goes_to_a_local_path_only(hq_sqlite: HqServer) -> None:
    hall, _ = new_hall(hq_sqlite)
    name = add_user(hq_sqlite, "hall", (hall,))
    for hostile in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        answer = login(browser(hq_sqlite), name, next_path=hostile)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/", hostile
    anonymous = browser(hq_sqlite).get("/account?x=1")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Faccount%3Fx%3D1"


def test_logout_ends_the_session(hq_sqlite: HqServer) -> None:
    hall, _ = new_hall(hq_sqlite)
    client = signed_in(hq_sqlite, add_user(hq_sqlite, "hall", (hall,)))
    token = client.cookies["hq_session"]
    page = client.get("/")
    answer = client.post("/logout", data={"csrf": csrf_of(page)})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    replay = browser(hq_sqlite, cookies={"hq_session": token}).get("/")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")


def test_an_idle_session_ends(tmp_path: Path) -> None:
    # 0.05 minutes: 3 seconds without a request end the session
    with running_server(
        f"sqlite:///{tmp_path / 'hq.sqlite'}", "--session-idle-min", "0.05"
    ) as server:
        hall, _ = new_hall(server)
        client = signed_in(server, add_user(server, "hall", (hall,)))
        for _ in range(4):  # requests keep it alive past the idle time
            time.sleep(1.2)
            assert client.get("/").status_code == 200
        time.sleep(3.5)
        answer = client.get("/")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2F"


def test_the_session_ends_after_12_hours_whatever_the_activity(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    try:
        store.enroll("H1", "C1")
        users.add(store.engine, "ann", "hq", (), PASSWORD)
        token, _ = sessions.open_session(store.engine, "ann", "127.0.0.1", now=1000.0)
        settings = WebSettings()
        now = 1000.0
        while now < 1000.0 + 12 * 3600 - 1200:  # a request every 20 minutes
            now += 1200
            assert sessions.find_session(store.engine, token, settings, now=now) is not None
        assert sessions.find_session(store.engine, token, settings, now=now + 1201) is None
        # and once ended, it stays ended
        assert sessions.find_session(store.engine, token, settings, now=1001.0) is None
    finally:
        store.close()


def test_a_disabled_login_cannot_sign_in_and_its_sessions_end(hq_server: HqServer) -> None:
    hall, _ = new_hall(hq_server)
    name = add_user(hq_server, "hall", (hall,))
    client = signed_in(hq_server, name)
    users.set_disabled(hq_server.store.engine, name, True)
    assert client.get("/").status_code == 303
    answer = login(browser(hq_server), name)
    assert answer.status_code == 401
    assert "账号或密码不正确" in answer.text
    users.set_disabled(hq_server.store.engine, name, False)
    assert login(browser(hq_server), name).status_code == 303


def test_a_login_changes_its_own_password(hq_server: HqServer) -> None:
    hall, _ = new_hall(hq_server)
    name = add_user(hq_server, "hall", (hall,))
    other = signed_in(hq_server, name)
    client = signed_in(hq_server, name)
    token = csrf_of(client.get("/account"))
    new = "Another-good-pass-7"

    def change(current: str, password: str, repeat: str) -> httpx.Response:
        return client.post(
            "/account/password",
            data={"csrf": token, "current": current, "new": password, "repeat": repeat},
        )

    assert change("Wrong-current-pw-1", new, new).status_code == 400
    assert change(PASSWORD, new, new + "x").status_code == 400
    weak = change(PASSWORD, "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa")
    assert weak.status_code == 400 and "12" in weak.text
    done = change(PASSWORD, new, new)
    assert done.status_code == 200 and "密码已修改" in done.text
    assert client.get("/").status_code == 200  # the session that changed it goes on
    assert other.get("/").status_code == 303  # every other session ended
    assert login(browser(hq_server), name).status_code == 401
    assert login(browser(hq_server), name, new).status_code == 303


def test_chinese_by_default_english_on_request(hq_sqlite: HqServer) -> None:
    hall, _ = new_hall(hq_sqlite)
    client = signed_in(hq_sqlite, add_user(hq_sqlite, "hall", (hall,)))
    assert "营业厅" in client.get("/").text
    english = client.get("/?lang=en")
    assert "Halls" in english.text and "营业厅" not in english.text
    assert "hq_lang=en" in english.headers["set-cookie"]
    assert "Last sync" in client.get("/").text  # the cookie keeps it
    page = client.get("/login?lang=zh")
    assert page.status_code == 303  # signed in: /login goes on to the pages
    css = client.get("/static/web.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert 'name="viewport"' in client.get("/").text


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (the docs' openssl line)."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@contextlib.contextmanager
def tls_server(db: str, cert: tuple[Path, Path]) -> Iterator[tuple[HqServer, str]]:
    server = HqServer(db, options=("--tls-cert", str(cert[0]), "--tls-key", str(cert[1])))
    server.port = free_port()
    url = f"https://127.0.0.1:{server.port}"
    # HqServer.start polls http: start it by hand and poll https
    import sys

    from tests.helpers.hq import REPO

    server.process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "head_office.cli",
            "serve",
            "--db",
            db,
            "--port",
            str(server.port),
            "--log-level",
            "warning",
            *server.options,
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.process.poll() is None, "counter-hq serve exited"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v1/health", verify=False, timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield server, url
    finally:
        server.close()


def test_the_cookie_is_secure_over_tls(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    import ssl

    with tls_server(f"sqlite:///{tmp_path / 'hq.sqlite'}", cert) as (server, url):
        hall, _ = new_hall(server)
        name = add_user(server, "hall", (hall,))
        client = browser(
            server, base_url=url, verify=ssl.create_default_context(cafile=str(cert[0]))
        )
        page = client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()  # the login form's token too
        answer = login(client, name)
        assert answer.status_code == 303
        cookie = session_cookie(answer).lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("typed", ["a\x00b", "x" * 5000, "' OR 1=1 --", "ann\r\nX: y"])
def test_hostile_logins_are_wrong_logins_not_errors(hq_server: HqServer, typed: str) -> None:
    client = browser(hq_server)
    page = client.get("/login")
    answer = client.post(
        "/login", data={"login": typed, "password": typed * 2, "csrf": csrf_of(page)}
    )
    assert answer.status_code == 401
    assert "账号或密码不正确" in answer.text


def test_a_login_form_that_is_not_utf8_is_a_wrong_login(hq_server: HqServer) -> None:
    client = browser(hq_server)
    token = csrf_of(client.get("/login"))
    body = b"login=%ED%A0%80%FF%00&password=%C3%28x&csrf=" + token.encode()
    answer = client.post(
        "/login", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 401


def test_a_hash_with_older_parameters_is_rehashed_at_login(tmp_path: Path) -> None:
    from argon2 import PasswordHasher

    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    try:
        users.add(store.engine, "ann", "hq", (), PASSWORD)
        weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
        with store.engine.begin() as conn:
            conn.execute(users.users.update().values(password_hash=weak))
        assert users.check_password(store.engine, "ann", "Wrong-password-1") is None
        with store.engine.connect() as conn:
            assert conn.execute(users.users.select()).one().password_hash == weak
        assert users.check_password(store.engine, "ann", PASSWORD) is not None
        with store.engine.connect() as conn:
            now = conn.execute(users.users.select()).one().password_hash
        assert now != weak and not PasswordHasher().check_needs_rehash(now)
        assert users.check_password(store.engine, "ann", PASSWORD) is not None
    finally:
        store.close()


def test_pages_forbid_framing_and_caching(hq_sqlite: HqServer) -> None:
    hall, _ = new_hall(hq_sqlite)
    client = signed_in(hq_sqlite, add_user(hq_sqlite, "hall", (hall,)))
    for path in ("/", "/login", f"/halls/{hall}", "/account"):
        answer = browser(hq_sqlite, cookies=dict(client.cookies)).get(path)
        assert answer.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["cache-control"] == "no-store"
