"""Who may read what: a hall's read-only token beside the counters' own (head_office.store).

A counter's token uploads its own chain and reads its own status; the hall's figures
(`GET /api/v1/hall`, `GET /api/v1/hall/presence`) are read with the hall's reader token or a
desk's token only, so a clerk's PC holds nothing that shows colleagues' figures. A desk
(`counter-hq enroll --kind desk`: the duty manager's desk) is enrolled like a counter, uploads
its own chain, reads its own hall, and is never counted as a counter.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from counter_core.periods import utc_now
from head_office.errors import Forbidden, NoToken, TokenRevoked, UnknownCounter
from head_office.schema import AUTH_REFUSALS_KEPT, DESK_KIND, auth_refusals, counters, readers
from head_office.store import Store, database_errors, hash_token


@dataclass(frozen=True)
class Reader:
    """A hall's read-only token, as it authenticates."""

    hall: str
    #: the desk whose token this is; None for the hall's reader token
    desk: str | None = None


def enroll_desk(store: Store, hall: str, desk: str, *, new_history: bool = False) -> str:
    """A new token for the hall's desk (enrolling it if new), as `Store.enroll` does for a
    counter; the row is marked a desk, so reports never count it as a counter. A counter is
    never turned into a desk (nor a desk into a counter): ValueError."""
    check_kind(store, hall, desk, DESK_KIND)
    token = store.enroll(hall, desk, new_history=new_history)
    with store.engine.begin() as conn:
        conn.execute(counters.update().where(counters.c.hall == hall,
                                             counters.c.counter == desk)
                     .values(kind=DESK_KIND))
    return token


def check_kind(store: Store, hall: str, name: str, kind: str) -> None:
    """ValueError when `name` is enrolled in the hall as the other kind."""
    with database_errors(), store.reader.connect() as conn:
        held = conn.execute(select(counters.c.kind).where(
            counters.c.hall == hall, counters.c.counter == name)).scalar_one_or_none()
    if held is not None and held != kind:
        raise ValueError(f"hall {hall} {held} {name} is enrolled as a {held}, not a {kind}; "
                         f"give --kind {held}, or enrol the {kind} under another id")


def kind_of(store: Store, counter_id: int) -> str | None:
    """The enrolled row's kind ("counter" or "desk")."""
    with database_errors(), store.reader.connect() as conn:
        found = conn.execute(select(counters.c.kind).where(counters.c.id == counter_id))
        return found.scalar_one_or_none()


def desk_ids(store: Store, hall: str) -> frozenset[int]:
    """The enrolled rows of the hall that are desks (never listed as counters)."""
    with database_errors(), store.reader.connect() as conn:
        return frozenset(conn.execute(select(counters.c.id).where(
            counters.c.hall == hall, counters.c.kind == DESK_KIND)).scalars())


def enroll_reader(store: Store, hall: str) -> str:
    """A new read-only token for the hall; its older one stops working."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with store.engine.begin() as conn:
        existing = conn.execute(
            select(readers.c.id).where(readers.c.hall == hall)).scalar_one_or_none()
        if existing is None:
            conn.execute(readers.insert().values(hall=hall, token_hash=hash_token(token),
                                                 enrolled_at=now))
        else:
            conn.execute(readers.update().where(readers.c.id == existing).values(
                token_hash=hash_token(token), enrolled_at=now, revoked_at=None))
    return token


def revoke_reader(store: Store, hall: str) -> bool:
    """Stop the hall's reader token; False when the hall has none."""
    with store.engine.begin() as conn:
        done = conn.execute(readers.update().where(readers.c.hall == hall)
                            .values(revoked_at=utc_now()))
    return done.rowcount > 0


def find_reader(store: Store, token: str) -> Reader | None:
    """The hall reader the token belongs to, None if it is no reader's (TokenRevoked if
    revoked)."""
    if not token:
        return None
    with database_errors(), store.reader.connect() as conn:
        row = conn.execute(select(readers).where(
            readers.c.token_hash == hash_token(token))).one_or_none()
    if row is None:
        return None
    if row.revoked_at is not None:
        raise TokenRevoked(f"the reader token of hall {row.hall} was revoked at "
                           f"{row.revoked_at}; enrol a new one")
    return Reader(row.hall)


def authenticate_reader(store: Store, token: str) -> Reader:
    """The hall reader of the token (a desk's token reads its own hall); a counter's token is
    Forbidden here (it reads its own status only), any other is NoToken or UnknownCounter."""
    if not token:
        raise NoToken("no token: send 'Authorization: Bearer <token>'")
    found = find_reader(store, token)
    if found is not None:
        return found
    try:
        counter = store.authenticate(token)
    except UnknownCounter:
        raise UnknownCounter("unknown token: the hall's figures need the hall's reader token "
                             "from `counter-hq enroll --hall HALL --reader`") from None
    if kind_of(store, counter.id) == DESK_KIND:
        return Reader(counter.hall, desk=counter.counter)
    raise Forbidden(f"the token of hall {counter.hall} counter {counter.counter} uploads its "
                    "own events and reads its own status (GET /api/v1/status) only; the hall's "
                    "figures need the hall's reader token (`counter-hq enroll --hall "
                    f"{counter.hall} --reader`)")


# ---- refused authentications, recorded -------------------------------------------------------

#: the reasons `auth_refusals.reason` holds
UNKNOWN_TOKEN, REVOKED_TOKEN, OTHER_HALL, FORBIDDEN = ("unknown_token", "revoked_token",
                                                       "other_hall", "forbidden")
TOKEN_HINT_CHARS = 12
AUTH_REFUSAL_COLUMNS = ("id", "at", "client", "token_hint", "route", "reason", "detail")


def token_hint(token: str) -> str:
    """The first hex digits of the token's SHA-256 (as `counters.token_hash` begins): enough
    to tell which enrolled token it was, never the token."""
    return hash_token(token)[:TOKEN_HINT_CHARS] if token else ""


def record_auth_refusal(store: Store, *, client: str, token: str, route: str, reason: str,
                        detail: str) -> None:
    """Keep one refused authentication; only the last AUTH_REFUSALS_KEPT are kept. A failure
    to record never changes the answer (the refusal stands)."""
    with store.engine.begin() as conn:
        conn.execute(auth_refusals.insert().values(
            at=utc_now(), client=client[:64], token_hint=token_hint(token), route=route[:200],
            reason=reason, detail=detail[:500]))
        newest = conn.execute(select(func.max(auth_refusals.c.id))).scalar_one()
        conn.execute(delete(auth_refusals).where(
            auth_refusals.c.id <= newest - AUTH_REFUSALS_KEPT))


def auth_refusal_rows(store: Store) -> list[dict[str, object]]:
    """The refused authentications kept, oldest first (`counter-hq report refusals`)."""
    with database_errors(), store.reader.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(
            select(auth_refusals).order_by(auth_refusals.c.id))]
