"""The quicker ingest keeps every check: a batch is checked as BatchIn documents it (same
refusals), an RFC 8785 chain with a bad hash is refused whole, and schema 12's index on
`log_opened` events is added to an older database."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, select

from counter_app.storage.db import connect, migrate
from counter_app.storage.events import EventStore, stored_events
from counter_core.chain import Event
from head_office import schema
from head_office.routes.ingest import _event_refusal
from head_office.routes.models import BATCH_CHECK, BatchIn
from head_office.store import Store
from tests.helpers.hq import HqServer, chained, day_drafts


def _refusal(check: Any, batch: dict[str, Any]) -> tuple[str, str, int | None] | None:
    """The refusal parse_batch makes of the check's errors (code, message, sequence)."""
    try:
        check(batch)
    except ValidationError as exc:
        refusal = _event_refusal(exc, batch["events"])
        return refusal.code, refusal.message, refusal.seq
    return None


_GOOD = chained("H1", "01", day_drafts(3))[0].as_dict()
_FIELD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 2**32), st.floats(),
                          st.text(max_size=70), st.just("a" * 64), st.dictionaries(
                              st.text(max_size=3), st.integers(), max_size=2), st.lists(
                              st.integers(), max_size=2))


@st.composite
def _event_like(draw: st.DrawFn) -> Any:
    item: Any = dict(_GOOD)
    for key in draw(st.lists(st.sampled_from([*_GOOD, "extra"]), max_size=3)):
        if draw(st.booleans()):
            item.pop(key, None)
        else:
            item[key] = draw(_FIELD_VALUES)
    return item if draw(st.integers(0, 9)) else draw(_FIELD_VALUES)


@settings(max_examples=400, deadline=None)
@given(st.lists(_event_like(), max_size=4), st.booleans())
def test_the_batch_check_refuses_exactly_as_batchin_does(items: list[Any], more: bool) -> None:
    batch = {"events": items, **({"more": 1} if more else {})}
    assert _refusal(BATCH_CHECK.validate_python, batch) == \
        _refusal(BatchIn.model_validate, batch)


def _jcs_log(path: Path) -> list[Event]:
    """A counter's log as the app writes it: `log_opened` first, then RFC 8785 hashes."""
    db = connect(path)
    migrate(db)
    store = EventStore(db, "H1", "jcs", record_opening=True,
                       now=lambda: "2026-11-02T00:00:00.000Z")
    store.append_timed(day_drafts(15, dt.date(2026, 11, 2)))
    events = stored_events(db, 0, 1000)
    db.conn.close()
    return events


def _post(server: HqServer, token: str, events: list[Event]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", timeout=60,
                      content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                      headers={"Authorization": f"Bearer {token}"})


def test_an_rfc8785_chain_with_a_bad_hash_is_refused_whole(hq_sqlite: HqServer,
                                                            tmp_path: Path) -> None:
    events = _jcs_log(tmp_path / "counter.sqlite")
    assert events[0].kind == "log_opened" and events[0].payload["chain_format"] == 2
    token = hq_sqlite.enroll("H1", "jcs")
    assert _post(hq_sqlite, token, events[:10]).status_code == 200
    # a rating changed after hashing: the rest of the chain no longer verifies
    rated = next(i for i, ev in enumerate(events) if i >= 10 and ev.kind == "rated")
    bad = replace(events[rated], payload={**events[rated].payload, "rating": 1})
    answer = _post(hq_sqlite, token, [*events[10:rated], bad, *events[rated + 1:]])
    assert answer.status_code == 422 and answer.json()["code"] == "broken_chain"
    who = hq_sqlite.store.counter("H1", "jcs")
    assert who is not None and who.hw_seq == 10  # nothing of the batch was stored
    # the batch as chained goes in, in format 2 from the stored log_opened on
    assert _post(hq_sqlite, token, events[10:]).status_code == 200
    who = hq_sqlite.store.counter("H1", "jcs")
    assert who is not None and who.hw_seq == len(events)
    assert hq_sqlite.store.verify(who) is None


def test_the_log_opened_migration_adds_its_index_to_an_older_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        before = schema.MIGRATIONS.index(schema._v14_log_opened_index)
        for step in schema.MIGRATIONS[:before]:
            step(conn)
        conn.exec_driver_sql("DROP INDEX IF EXISTS events_log_opened")  # as version 13 had it
        schema.schema_version.create(conn, checkfirst=True)
        conn.execute(schema.schema_version.delete())
        conn.execute(schema.schema_version.insert().values(version=before))
    engine.dispose()
    store = Store(url)
    with store.engine.connect() as conn:
        names = {i["name"] for i in inspect(conn).get_indexes("events")}
        version = conn.execute(select(schema.schema_version.c.version)).scalar_one()
    store.close()
    assert "events_log_opened" in names and version == schema.SCHEMA_VERSION > before


@pytest.mark.parametrize("chain_format", [1, 2])
def test_the_head_format_comes_from_the_latest_log_opened(tmp_path: Path,
                                                         chain_format: int) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    store.enroll("H1", "jcs")
    events = _jcs_log(tmp_path / "counter.sqlite") if chain_format == 2 else \
        chained("H1", "jcs", day_drafts(15))
    who = store.counter("H1", "jcs")
    assert who is not None
    for start in range(0, len(events), 7):  # each batch checked from the stored head's format
        store.ingest(who, events[start:start + 7])
        who = store.counter("H1", "jcs")
        assert who is not None
    assert who.hw_seq == len(events) and store.verify(who) is None
    store.close()
