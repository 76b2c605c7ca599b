"""Web logins: role "hq" (every hall) or "hall" (its halls; several make a regional manager),
argon2id password hashes (argon2-cffi's PasswordHasher defaults, rehashed on login when those
change), disabled logins kept (their audit trail names them).

Password policy (docs/head_office.md): 12 to 256 characters, at least two of the classes
lower-case letter, upper-case letter, digit and other character, not one character repeated,
and not the login itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine, Row

from counter_core.periods import utc_now
from head_office.schema import counters, readers, sessions, user_halls, users

ROLES = ("hq", "hall")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
LOGIN_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

_hasher = PasswordHasher()
#: verified against when the login does not exist, so an unknown login takes as long
_DUMMY_HASH = _hasher.hash("not a password of anyone: a timing decoy")


class UserError(Exception):
    """A request about logins that cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    login: str
    role: str
    halls: tuple[str, ...]
    disabled_at: str | None
    created_at: str
    changed_at: str

    def sees(self, hall: str) -> bool:
        """Whether this login may see the hall's data."""
        return self.role == "hq" or hall in self.halls

    def visible(self, halls: Iterable[str]) -> list[str]:
        """The halls, of those given, this login may see."""
        return sorted(h for h in set(halls) if self.sees(h))


def password_problem(password: str, login: str = "") -> str | None:
    """None when the password meets the policy, else the sentence saying what it lacks."""
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password must have at most {MAX_PASSWORD} characters"
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 2:
        return (
            "the password must mix at least two of: lower-case letters, upper-case "
            "letters, digits, other characters"
        )
    if len(set(password)) == 1:
        return "the password must not be one character repeated"
    if login and password.casefold() == login.casefold():
        return "the password must not be the login"
    return None


def known_halls(engine: Engine) -> set[str]:
    """Halls head office knows: those with an enrolled counter or a reader token."""
    with engine.connect() as conn:
        found = set(conn.execute(select(counters.c.hall).distinct()).scalars())
        found |= set(conn.execute(select(readers.c.hall)).scalars())
    return found


def _user(conn: Connection, row: Row[Any]) -> User:
    halls = conn.execute(select(user_halls.c.hall).where(user_halls.c.login == row.login)).scalars()
    return User(
        login=row.login,
        role=row.role,
        halls=tuple(sorted(halls)),
        disabled_at=row.disabled_at,
        created_at=row.created_at,
        changed_at=row.changed_at,
    )


def get(engine: Engine, login: str) -> User | None:
    if not LOGIN_PATTERN.fullmatch(login):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.login == login)).one_or_none()
        return None if row is None else _user(conn, row)


def all_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.login)).all()
        return [_user(conn, row) for row in rows]


def add(engine: Engine, login: str, role: str, halls: Iterable[str], password: str) -> User:
    """A new login (UserError: a bad login, role, hall set or password, or one that exists)."""
    halls = sorted(set(halls))
    if not LOGIN_PATTERN.fullmatch(login):
        raise UserError(
            "a login is 1 to 64 letters, digits and . _ @ - (starting with a letter or digit)"
        )
    if role not in ROLES:
        raise UserError(f"the role is one of {', '.join(ROLES)}")
    if role == "hq" and halls:
        raise UserError("an hq login sees every hall: give no --hall")
    if role == "hall" and not halls:
        raise UserError("a hall login needs at least one --hall")
    unknown = sorted(set(halls) - known_halls(engine))
    if unknown:
        raise UserError(
            f"no hall {', '.join(unknown)} at head office (a hall is known once "
            "a counter or its reader is enrolled: counter-hq enroll)"
        )
    problem = password_problem(password, login)
    if problem:
        raise UserError(problem)
    now = utc_now()
    with engine.begin() as conn:
        if conn.execute(select(users.c.login).where(users.c.login == login)).first():
            raise UserError(f"the login {login} exists already")
        conn.execute(
            users.insert().values(
                login=login,
                role=role,
                password_hash=_hasher.hash(password),
                created_at=now,
                changed_at=now,
            )
        )
        if halls:
            conn.execute(user_halls.insert(), [{"login": login, "hall": h} for h in halls])
    found = get(engine, login)
    assert found is not None
    return found


def set_disabled(engine: Engine, login: str, disabled: bool) -> bool:
    """Disable (its sessions end) or enable a login; False if there is no such login."""
    now = utc_now()
    with engine.begin() as conn:
        done = conn.execute(
            users.update()
            .where(users.c.login == login)
            .values(disabled_at=now if disabled else None, changed_at=now)
        )
        if disabled:
            conn.execute(delete(sessions).where(sessions.c.login == login))
    return done.rowcount > 0


def set_password(
    engine: Engine, login: str, password: str, *, keep_session: int | None = None
) -> None:
    """A new password (UserError if the policy refuses it or there is no such login); every
    session of the login ends but `keep_session` (the one changing it)."""
    problem = password_problem(password, login)
    if problem:
        raise UserError(problem)
    now = utc_now()
    with engine.begin() as conn:
        done = conn.execute(
            users.update()
            .where(users.c.login == login)
            .values(password_hash=_hasher.hash(password), changed_at=now)
        )
        if done.rowcount == 0:
            raise UserError(f"no login {login}")
        ending = delete(sessions).where(sessions.c.login == login)
        if keep_session is not None:
            ending = ending.where(sessions.c.id != keep_session)
        conn.execute(ending)


def check_password(engine: Engine, login: str, password: str) -> User | None:
    """The user when the login exists, is enabled and the password is its; else None, after
    the same work (an argon2 verification) either way. Rehashes a hash made with older
    parameters."""
    row = None
    if LOGIN_PATTERN.fullmatch(login):  # anything else is no login (and never reaches SQL)
        with engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.login == login)).one_or_none()
    if row is None or len(password) > MAX_PASSWORD:
        _verify(_DUMMY_HASH, password[:MAX_PASSWORD])
        return None
    if not _verify(row.password_hash, password) or row.disabled_at is not None:
        return None
    if _needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(
                users.update()
                .where(users.c.login == login)
                .values(password_hash=_hasher.hash(password))
            )
    return get(engine, login)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _needs_rehash(hashed: str) -> bool:
    try:
        return _hasher.check_needs_rehash(hashed)
    except InvalidHashError:
        return True
