"""`GET /hall/roster` and `POST /hall/sign-in`: the hall's one roster, for its counters and desks.

Only a counter's or a desk's token of the hall reads its roster (accounts with their salted PIN
hashes, for offline sign-in) and asks for a manager's sign-in check; a hall reader's token is
refused, and so is a request naming another hall, both recorded (head_office.access).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Annotated, Literal, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from counter_core import pins
from head_office import access, roster, signing, upstream
from head_office.deps import StoreDep, TokenDep, record_refusal, recorded
from head_office.errors import Forbidden, UnknownCounter
from head_office.routes.models import MAX_ID_CHARS
from head_office.store import Counter, Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

router = APIRouter(tags=["hall"])


def _member_of(store: Store, token: str) -> Counter:
    try:
        return store.authenticate(token)
    except UnknownCounter:
        if access.find_reader(store, token) is not None:
            raise Forbidden(
                "the hall's reader token reads the hall's figures only; the roster "
                "is for the hall's counters and desks (their own tokens)"
            ) from None
        raise


async def hall_member(request: Request, store: StoreDep, token: TokenDep) -> Counter:
    """The counter or desk the token belongs to (refusals recorded)."""
    return await run_in_threadpool(
        recorded, store, request, token, lambda: _member_of(store, token)
    )


HallMember = Annotated[Counter, Depends(hall_member)]


class VersionOut(BaseModel):
    #: the roster log's last seq (0: no account yet) and its head hash
    seq: int
    hash: str


class AccountOut(BaseModel):
    number: str
    name: str
    role: Literal["staff", "manager"]
    #: the salted PIN hash as counter_core.pins writes it (`scheme$N$r$p$salt$digest`)
    pin_hash: str
    pin_scheme: Literal["scrypt"]
    disabled: bool
    photo: str | None = None


class RosterOut(BaseModel):
    hall: str
    version: VersionOut
    accounts: list[AccountOut]
    #: with `serve --signing-key`: the key's id and the Ed25519 signature (base64) over the
    #: canonical bytes of the rest (counter_core.signed)
    key_id: str | None = None
    signature: str | None = None


def signing_key_of(request: Request) -> Ed25519PrivateKey | None:
    """The server's signing key (`serve --signing-key`), None without one."""
    return cast("Ed25519PrivateKey | None", getattr(request.app.state, "signing_key", None))


def signed_answer(request: Request, document: BaseModel, headers: dict[str, str]) -> Response:
    """The document as JSON, signed when the server has a key (the exact bytes signed are the
    canonical form of what the counter parses, so the JSON's own spacing does not matter)."""
    body = document.model_dump(mode="json", exclude={"key_id", "signature"})
    return JSONResponse(signing.maybe_sign(body, signing_key_of(request)), headers=headers)


def upstream_answer(found: upstream.Relayed, asked: str) -> Response:
    """Head office's document relayed by this hall server, verbatim (its signature is head
    office's); 304 when `If-None-Match` names its ETag."""
    if asked and found.etag and asked == found.etag:
        return Response(status_code=304, headers={"ETag": found.etag})
    headers = {"Cache-Control": "no-store"}
    if found.etag:
        headers["ETag"] = found.etag
    return JSONResponse(found.document, headers=headers)


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    number: Annotated[
        str, Field(min_length=1, max_length=MAX_ID_CHARS, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    ]
    pin: Annotated[str, Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")]


class SignInOut(BaseModel):
    #: ok, wrong (also for an unknown number), disabled (its right PIN only), or throttled
    #: (too many wrong ones from this counter: ask again after wait_s)
    result: Literal["ok", "wrong", "disabled", "throttled"]
    wait_s: float | None = None
    version: VersionOut


class SignInThrottle:
    """Consecutive wrong sign-ins per counter, as the counter's own throttle counts them
    (counter_core.pins.throttle_delay): never a lockout, a growing wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[int, tuple[int, float]] = {}

    def wait_s(self, counter_id: int) -> float:
        with self._lock:
            failures, last = self._failures.get(counter_id, (0, 0.0))
        delay = pins.throttle_delay(failures)
        return max(0.0, last + delay - time.monotonic()) if delay else 0.0

    def record(self, counter_id: int, right: bool) -> None:
        with self._lock:
            if right:
                self._failures.pop(counter_id, None)
            else:
                failures, _ = self._failures.get(counter_id, (0, 0.0))
                self._failures[counter_id] = (failures + 1, time.monotonic())


def _throttle(request: Request) -> SignInThrottle:
    state = request.app.state
    found = getattr(state, "sign_in_throttle", None)
    if found is None:
        found = state.sign_in_throttle = SignInThrottle()
    return cast(SignInThrottle, found)


def _version_out(version: roster.Version) -> VersionOut:
    return VersionOut(seq=version.seq, hash=version.hash)


@router.get("/hall/roster", response_model=RosterOut)
async def hall_roster(
    request: Request,
    me: HallMember,
    store: StoreDep,
    token: TokenDep,
    hall: Annotated[
        str | None,
        Query(
            max_length=MAX_ID_CHARS,
            description="the hall the counter expects (refused, and recorded, when it is not the "
            "token's own)",
        ),
    ] = None,
) -> RosterOut | Response:
    """The token's own hall's staff accounts (salted PIN hashes for offline sign-in) and the
    roster log's version; `ETag` is the version, and `If-None-Match` with it answers 304 Not
    Modified with no body. Signed (`key_id`, `signature`) when the server has a signing key."""
    if hall is not None and hall != me.hall:
        refusal = Forbidden(
            f"the token of hall {me.hall} {me.counter} reads its own hall's roster only, not "
            f"hall {hall[:MAX_ID_CHARS]}'s"
        )
        raise await run_in_threadpool(
            record_refusal, store, request, token, refusal, access.OTHER_HALL
        )
    relay = await run_in_threadpool(upstream.relayed, store, me.hall, upstream.ROSTER)
    if relay is not None:  # a hall server relaying head office's roster
        return upstream_answer(relay, request.headers.get("if-none-match", "").strip())
    if request.headers.get("if-none-match"):
        current = await run_in_threadpool(roster.current_version, store, me.hall)
        if request.headers["if-none-match"].strip() == current.etag:
            return Response(status_code=304, headers={"ETag": current.etag})
    found = await run_in_threadpool(roster.roster, store, me.hall)
    document = RosterOut(
        hall=found.hall,
        version=_version_out(found.version),
        accounts=[AccountOut.model_validate(a) for a in found.accounts],
    )
    return signed_answer(
        request, document, {"ETag": found.version.etag, "Cache-Control": "no-store"}
    )


@router.post("/hall/sign-in", response_model=SignInOut)
async def hall_sign_in(
    request: Request, me: HallMember, store: StoreDep, body: SignInIn
) -> SignInOut:
    """Check a sign-in (a manager's, at a counter of the hall) against the hall's roster: ok,
    wrong (the same answer for an unknown number) or disabled; throttled per counter after
    repeated wrong ones. The PIN is never stored or logged."""
    throttle = _throttle(request)
    wait = throttle.wait_s(me.id)
    relay = await run_in_threadpool(upstream.relayed, store, me.hall, upstream.ROSTER)
    if relay is not None:  # a hall server relaying head office's roster: checked against it
        current = roster.Version(*upstream.roster_version(relay))
        accounts = {str(a["number"]): a for a in upstream.roster_accounts(relay)}
        account = accounts.get(body.number.strip())

        def check() -> str:
            return roster.sign_in_result(
                None if account is None
                else (str(account["pin_hash"]), bool(account.get("disabled"))), body.pin)
    else:
        current = await run_in_threadpool(roster.current_version, store, me.hall)

        def check() -> str:
            return roster.check_sign_in(store, me.hall, body.number, body.pin)
    if wait > 0:
        return SignInOut(result="throttled", wait_s=round(wait, 1), version=_version_out(current))
    result = await run_in_threadpool(check)
    throttle.record(me.id, result != roster.WRONG)
    return SignInOut(result=result, version=_version_out(current))  # type: ignore[arg-type]
