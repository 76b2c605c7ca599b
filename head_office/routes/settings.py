"""`GET /hall/settings`: the hall's central settings for its counters and desks, signed.

The latest version of what `counter-hq settings set` stored (head_office.settings); the ETag is
the version, and `If-None-Match` with it answers 304. A hall reader's token is refused, and so
is a request naming another hall, both recorded (head_office.access), as for the roster. A
hall server with `serve --upstream` serves head office's document as it came (head_office.upstream).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from head_office import access, settings, upstream
from head_office.deps import StoreDep, TokenDep, record_refusal
from head_office.errors import Forbidden, NotFound
from head_office.routes.models import MAX_ID_CHARS
from head_office.routes.roster import HallMember, signed_answer, upstream_answer

router = APIRouter(tags=["hall"])


class SettingsOut(BaseModel):
    hall: str
    #: the hall's settings version, from 1; every `started` a counter records under it names it
    version: int
    set_at: str
    #: `transaction_types` (code, name_zh, name_en, target_s, promise_zh, promise_en as the
    #: counter's TOML spells them), and `time_zone`, `follow_up_working_days`,
    #: `supervision_hotline` when set
    settings: dict[str, Any]
    #: with `serve --signing-key`: the key's id and the Ed25519 signature (base64)
    key_id: str | None = None
    signature: str | None = None


@router.get("/hall/settings", response_model=SettingsOut)
async def hall_settings(
    request: Request,
    me: HallMember,
    store: StoreDep,
    token: TokenDep,
    hall: Annotated[
        str | None,
        Query(max_length=MAX_ID_CHARS,
              description="the hall the counter expects (refused, and recorded, when it is not "
                          "the token's own)"),
    ] = None,
) -> SettingsOut | Response:
    """The token's own hall's latest central settings (404 before the first `counter-hq
    settings set`); `ETag` is the version, `If-None-Match` with it answers 304. Signed
    (`key_id`, `signature`) when the server has a signing key."""
    if hall is not None and hall != me.hall:
        refusal = Forbidden(
            f"the token of hall {me.hall} {me.counter} reads its own hall's settings only, not "
            f"hall {hall[:MAX_ID_CHARS]}'s"
        )
        raise await run_in_threadpool(
            record_refusal, store, request, token, refusal, access.OTHER_HALL
        )
    asked = request.headers.get("if-none-match", "").strip()
    relay = await run_in_threadpool(upstream.relayed, store, me.hall, upstream.SETTINGS)
    if relay is not None:  # a hall server relaying head office's: served as it came
        return upstream_answer(relay, asked)
    if asked:
        version = await run_in_threadpool(settings.current_version, store, me.hall)
        if version and asked == f'"settings-{version}"':
            return Response(status_code=304, headers={"ETag": asked})
    found = await run_in_threadpool(settings.latest, store, me.hall)
    if found is None:
        raise NotFound(f"hall {me.hall} has no central settings yet (`counter-hq settings set`)")
    document = SettingsOut.model_validate(found.document())
    return signed_answer(request, document, {"ETag": found.etag, "Cache-Control": "no-store"})
