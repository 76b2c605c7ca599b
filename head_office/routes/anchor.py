"""`POST /anchor`: the counter's chain head (no records), what runs it and its clock."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from head_office import anchors
from head_office.deps import CurrentCounter, StoreDep
from head_office.routes.models import MAX_SEQ, HighWaterOut
from head_office.store import Counter, Store, database_errors

router = APIRouter(tags=["sync"])

_HEX64 = r"^[0-9a-f]{64}$"
_NO_NUL = r"^[^\x00]*$"


def _whole(value: Any) -> Any:
    """A JSON number that is a whole number (4414.0) as the integer it is."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


class HeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    seq: Annotated[int, BeforeValidator(_whole),
                   Field(ge=0, lt=MAX_SEQ, description="the counter's last sequence")]
    hash: Annotated[str, Field(pattern=_HEX64, description="its hash (64 lowercase hex)")]


class AnchorBody(BaseModel):
    """The counter's chain head, its app version, a hash of its installed code and its clock;
    `at_mark`: the counter's own hash at head office's mark when it differs from head office's
    (a different history, recorded as an incident)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    head: HeadIn
    app_version: Annotated[str, Field(max_length=100, pattern=_NO_NUL)]
    code_hash: Annotated[str, Field(pattern=_HEX64)]
    clock: Annotated[str, Field(max_length=40, pattern=_NO_NUL,
                                description="the counter's UTC clock, ISO 8601")]
    at_mark: HeadIn | None = None


class AnchorOut(BaseModel):
    high_water: HighWaterOut
    #: head office's clock minus the counter's, in seconds
    skew_s: float
    #: the incidents this anchor opened or saw again (ids, see `counter-hq report incidents`)
    incidents: list[int]


@router.post("/anchor", response_model=AnchorOut)
async def anchor(body: AnchorBody, me: CurrentCounter, store: StoreDep) -> AnchorOut:
    """Keep the counter's head as an anchor its later uploads must not contradict."""
    mark = (body.at_mark.seq, body.at_mark.hash) if body.at_mark else None
    result = await run_in_threadpool(_record, store, me, anchors.AnchorIn(
        body.head.seq, body.head.hash, body.app_version, body.code_hash, body.clock, mark))
    return AnchorOut(high_water=HighWaterOut(seq=result.hw_seq, hash=result.hw_hash),
                     skew_s=result.skew_s, incidents=list(result.incidents))


def _record(store: Store, me: Counter, body: anchors.AnchorIn) -> anchors.AnchorResult:
    with database_errors():
        return anchors.record_anchor(store.engine, me, body)
