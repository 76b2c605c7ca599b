"""Every kind of incident at a real counter-hq (SQLite and PostgreSQL) is a row of one table with
one id space: a conflict, an invalid or unknown-kind event, a chain break and a refused upload
each open one incident (a retried refusal counts on the same one); `counter-hq incident
explain|resolve|reopen` works on each; `report halls` and `report chains` count only the
open ones; a database of schema version 4 gains the rows of what it already holds."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from counter_core.chain import Event, seal
from counter_core.transaction import Draft
from head_office import anchors, cli, reports, schema
from head_office.store import Counter, Store
from tests.helpers.hq import HqServer, PgCluster, chained, day_drafts

#: the kinds an upload can open, in the order `history` below opens them
UPLOAD_KINDS = (anchors.HISTORY_CONFLICT, anchors.INVALID_EVENT, anchors.UNKNOWN_KIND,
                anchors.CHAIN_BREAK, anchors.REFUSED_UPLOAD)


def post(server: HqServer, token: str, events: Sequence[Event]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", timeout=60,
                      content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})


def run(db_url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*argv, "--db", db_url])
    return code, out.getvalue(), err.getvalue()


def report(db_url: str, kind: str, hall: str) -> list[dict[str, str]]:
    code, out, err = run(db_url, "report", kind, "--hall", hall)
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def after(events: Sequence[Event], drafts: Sequence[tuple[str, Draft]], hall: str,
          counter: str) -> list[Event]:
    return chained(hall, counter, list(drafts), first_seq=events[-1].seq + 1,
                   prev_hash=events[-1].hash, seed=events[-1].seq)


def history(post_batch: Any, hall: str, counter: str) -> dict[str, Any]:
    """Upload a history that opens one incident of every upload kind; what it sent."""
    good = chained(hall, counter, day_drafts(4))
    assert post_batch(good).status_code == 200
    forged = seal(replace(good[3], payload={**good[3].payload, "note": "rewritten"}))
    for _ in range(2):  # a conflict offered twice counts twice on one incident
        answer = post_batch([forged])
        assert answer.status_code == 200 and answer.json()["conflicts"] == [4]
    at = good[-1].at
    odd = after(good, [(at, Draft("rated", {"txn": "no-such-txn", "rating": 3})),
                       (at, Draft("some_future_kind", {"x": 1}))], hall, counter)
    answer = post_batch(odd)
    assert answer.status_code == 200
    assert [m["seq"] for m in answer.json()["invalid"]] == [odd[0].seq]
    # a break the counter recorded over events head office already holds intact
    (brk,) = after(odd, [(at, Draft("chain_break_detected", {
        "last_good_seq": 2, "last_good_hash": good[1].hash, "first_bad_seq": 3,
        "detected_at": at}))], hall, counter)
    assert post_batch([brk]).status_code == 200
    # a broken upload, retried three times: one incident counted three times
    (gap,) = chained(hall, counter, [(at, Draft("signed_in", {"staff": "1001"}))],
                     first_seq=brk.seq + 2, prev_hash="ab" * 32)
    for _ in range(3):
        assert post_batch([gap]).status_code == 422
    return {"good": good, "forged": forged, "odd": odd, "brk": brk, "gap": gap}


def by_kind(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        assert row["incident"] not in out, f"two incidents of kind {row['incident']}"
        out[row["incident"]] = row
    return out


def test_each_kind_opens_one_incident_in_one_id_space(hq_server: HqServer) -> None:
    hall, counter = f"K-{uuid.uuid4().hex[:8]}", "01"
    token = hq_server.enroll(hall, counter)
    sent = history(lambda batch: post(hq_server, token, batch), hall, counter)
    rows = reports.incidents(hq_server.store, hall=hall)
    kinds = by_kind(rows)
    assert set(kinds) == set(UPLOAD_KINDS)
    ids = [r["id"] for r in rows]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids)

    conflict = kinds[anchors.HISTORY_CONFLICT]
    assert (conflict["seq"], conflict["times"], conflict["status"]) == (4, 2, "open")
    assert (conflict["stored_hash"], conflict["offered_hash"]) == (sent["good"][3].hash,
                                                                   sent["forged"].hash)
    invalid = kinds[anchors.INVALID_EVENT]
    assert (invalid["seq"], invalid["status"]) == (sent["odd"][0].seq, "open")
    assert invalid["reason"].startswith("invalid: ")
    assert invalid["offered_hash"] == sent["odd"][0].hash
    unknown = kinds[anchors.UNKNOWN_KIND]
    assert (unknown["seq"], unknown["reason"]) == (sent["odd"][1].seq, "unknown kind")
    # a newer counter's kind is no break: listed with its id, but opened explained
    assert (unknown["status"], unknown["status_by"]) == ("explained", anchors.AUTOMATIC)
    assert unknown["status_reason"] == anchors.UNKNOWN_KIND_REASON
    brk = kinds[anchors.CHAIN_BREAK]
    assert (brk["seq"], brk["last_seq"], brk["status"]) == (3, sent["brk"].seq - 1, "open")
    assert (brk["stored_hash"], brk["offered_hash"]) == (sent["good"][1].hash,
                                                         sent["brk"].hash)
    assert f"recorded it at sequence {sent['brk'].seq}" in brk["reason"]
    refused = kinds[anchors.REFUSED_UPLOAD]
    assert (refused["seq"], refused["times"], refused["status"]) == (sent["gap"].seq, 3,
                                                                     "open")
    assert "broken chain" in refused["reason"]
    # the evidence stays in the kinds' own tables, each row once
    who = hq_server.store.counter(hall, counter)
    assert who is not None
    counts = hq_server.store.counts(who)
    assert (counts["conflicts"], counts["rejected"], counts["refusals"]) == (1, 2, 3)
    assert len(hq_server.store.chain_breaks(who)) == 1
    # the open ones brand the hall and the chain; the explained unknown kind does not count
    (hall_row,) = reports.halls(hq_server.store, hall=hall)
    assert (hall_row["open_incidents"], hall_row["explained_incidents"],
            hall_row["incidents"]) == (4, 1, "open")
    (chain,) = reports.chains(hq_server.store, hall=hall)
    assert (chain["open_incidents"], chain["explained_incidents"]) == (4, 1)
    assert chain["chain"].startswith("4 open incident(s), chain_break at 3")


def test_every_kind_is_explained_resolved_and_reopened(hq_server: HqServer) -> None:
    hall, counter = f"E-{uuid.uuid4().hex[:8]}", "01"
    token = hq_server.enroll(hall, counter)
    sent = history(lambda batch: post(hq_server, token, batch), hall, counter)
    url = hq_server.db_url
    rows = by_kind(report(url, "incidents", hall))
    for n, kind in enumerate(UPLOAD_KINDS):
        code, out, err = run(url, "incident", "explain", "--id", rows[kind]["id"],
                             "--reason", f"checked with the hall manager ({kind})",
                             "--by", "Li Wei")
        assert (code, err) == (0, ""), err
        assert out.startswith(f"incident {rows[kind]['id']}: explained by Li Wei")
        (hall_row,) = report(url, "halls", hall)
        assert int(hall_row["open_incidents"]) == sum(
            1 for k in UPLOAD_KINDS[n + 1:] if k != anchors.UNKNOWN_KIND), kind
    (hall_row,) = report(url, "halls", hall)
    assert (hall_row["incidents"], hall_row["open_incidents"],
            hall_row["explained_incidents"]) == ("none open", "0", "5")
    (chain,) = report(url, "chains", hall)
    assert "open incident" not in chain["chain"]
    # the explained break stays visible as what it is, in the chain and in the incidents
    assert chain["chain"] == "ok around 1 recorded chain break(s): see report incidents"
    listed = by_kind(report(url, "incidents", hall))
    for kind in UPLOAD_KINDS:
        row = listed[kind]
        assert (row["status"], row["status_by"]) == ("explained", "Li Wei"), kind
        assert row["status_reason"] == f"checked with the hall manager ({kind})"
        assert row["status_at"] and row["id"] == rows[kind]["id"]

    # resolved: counted apart; reopened: open again, with who reopened it and why
    brk_id, invalid_id = listed[anchors.CHAIN_BREAK]["id"], listed[anchors.INVALID_EVENT]["id"]
    assert run(url, "incident", "resolve", "--id", brk_id, "--reason", "PC re-imaged",
               "--by", "Zhang")[0] == 0
    assert run(url, "incident", "reopen", "--id", invalid_id, "--reason", "the manager "
               "does not recognise this rating", "--by", "Zhang")[0] == 0
    (hall_row,) = report(url, "halls", hall)
    assert (hall_row["open_incidents"], hall_row["explained_incidents"],
            hall_row["resolved_incidents"], hall_row["incidents"]) == ("1", "3", "1", "open")
    (chain,) = report(url, "chains", hall)
    assert chain["chain"].startswith(
        f"1 open incident(s), invalid_event at {sent['odd'][0].seq}")
    reopened = by_kind(report(url, "incidents", hall))[anchors.INVALID_EVENT]
    assert (reopened["status"], reopened["status_by"]) == ("open", "Zhang")

    # an explained refusal the counter retries is counted, and stays explained
    assert post(hq_server, token, [sent["gap"]]).status_code == 422
    refused = by_kind(report(url, "incidents", hall))[anchors.REFUSED_UPLOAD]
    assert (refused["times"], refused["status"]) == ("4", "explained")


def test_refusals_repeat_on_one_incident_per_counter_and_reason(hq_server: HqServer) -> None:
    hall = f"R-{uuid.uuid4().hex[:8]}"
    tokens = {c: hq_server.enroll(hall, c) for c in ("01", "02")}
    at = "2026-11-03T02:00:00.000Z"
    (gap,) = chained(hall, "01", [(at, Draft("signed_in", {"staff": "1001"}))], first_seq=5,
                     prev_hash="cd" * 32)
    (foreign,) = chained(hall, "02", [(at, Draft("signed_in", {"staff": "1001"}))])
    for _ in range(20):
        assert post(hq_server, tokens["01"], [gap]).status_code == 422
    for _ in range(5):  # another counter's event, under counter 01's token
        assert post(hq_server, tokens["01"], [foreign]).status_code == 403
    (own_gap,) = chained(hall, "02", [(at, Draft("signed_in", {"staff": "1001"}))],
                         first_seq=5, prev_hash="cd" * 32)
    assert post(hq_server, tokens["02"], [own_gap]).status_code == 422
    rows = reports.incidents(hq_server.store, hall=hall)
    assert sorted((r["counter"], r["times"], r["reason"].split(" ")[0]) for r in rows) == [
        ("01", 5, "event"), ("01", 20, "broken"), ("02", 1, "broken")]
    assert {r["incident"] for r in rows} == {anchors.REFUSED_UPLOAD}
    (hall_row,) = reports.halls(hq_server.store, hall=hall)
    assert hall_row["open_incidents"] == 3


# ---- a database of schema version 4 -------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'v4.sqlite'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database("v4")


class _Answer:
    """What `history` needs of an HTTP answer, from Store.ingest directly."""

    def __init__(self, status_code: int, data: dict[str, Any] | None = None) -> None:
        self.status_code = status_code
        self._data = data or {}

    def json(self) -> dict[str, Any]:
        return self._data


def _ingest(store: Store, who: Counter) -> Any:
    from head_office.errors import Refusal

    def send(batch: Sequence[Event]) -> _Answer:
        try:
            result = store.ingest(who, list(batch))
        except Refusal:
            return _Answer(422)
        return _Answer(200, {"conflicts": result.conflicts,
                             "invalid": [{"seq": m.seq} for m in result.invalid]})
    return send


def _comparable(rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((r["counter"], r["incident"], r["seq"], r["last_seq"], r["reason"],
                   r["stored_hash"], r["offered_hash"], r["first_at"], r["last_at"],
                   r["times"], r["evidence"], r["status"], r["status_by"])
                  for r in rows)


def test_a_version_4_database_gains_an_incident_for_everything_it_holds(db_url: str) -> None:
    store = Store(db_url)
    try:
        hall = "SH-V4"
        store.enroll(hall, "01")
        who = store.counter(hall, "01")
        assert who is not None
        history(_ingest(store, who), hall, "01")
        # an anchor's incident, which version 4 held already, keeps its id and status
        ended = store.counter(hall, "01")
        assert ended is not None
        anchors.record_anchor(store.engine, ended, anchors.AnchorIn(
            3, "ee" * 32, "1.0", "c" * 64, "2026-11-03T02:00:00.000Z"))
        live = reports.incidents(store, hall=hall)
        kept = [r for r in live if r["incident"] == anchors.HISTORY_CONFLICT and r["seq"] == 3]
        assert len(kept) == 1  # the anchor's different history at 3
        with store.engine.begin() as conn:
            # before version 4, refused events were kept in `rejected`
            conn.execute(schema.rejected.insert().values(
                counter_id=who.id, seq=99, reason="broken chain at sequence 99: old",
                offered='{"seq": 99, "hash": "' + "ab" * 32 + '", "payload": {"n', first_at=
                "2026-10-01T00:00:00.000Z", last_at="2026-10-02T00:00:00.000Z", times=7))
        live = reports.incidents(store, hall=hall)  # without the legacy row
    finally:
        store.close()
    # what version 4 held: no incident rows of the upload kinds, no evidence_id column
    store = Store(db_url)
    with store.engine.begin() as conn:
        conn.execute(delete(schema.incidents).where(schema.incidents.c.evidence_id.is_not(None)))
        conn.exec_driver_sql("ALTER TABLE incidents DROP COLUMN evidence_id")
        conn.execute(schema.schema_version.update().values(version=4))
    store.close()

    migrated = Store(db_url)
    try:
        with migrated.engine.connect() as conn:
            assert conn.execute(select(schema.schema_version.c.version)).scalar_one() == \
                schema.SCHEMA_VERSION
            unlinked = conn.execute(select(func.count()).select_from(schema.incidents).where(
                schema.incidents.c.evidence_id.is_(None))).scalar_one()
        rows = reports.incidents(migrated, hall=hall)
        legacy = [r for r in rows if r["seq"] == 99]
        assert [(r["incident"], r["times"], r["offered_hash"], r["status"]) for r in legacy] \
            == [(anchors.REFUSED_UPLOAD, 7, "ab" * 32, "open")]
        # the rest is what the live code records, row for row (only the ids are new)
        assert _comparable([r for r in rows if r["seq"] != 99]) == _comparable(live)
        assert unlinked == 1  # the anchor's own incident, not backfilled twice
        assert len({r["id"] for r in rows}) == len(rows)
        # and the procedure works on the backfilled rows
        (refused,) = [r for r in rows if r["incident"] == anchors.REFUSED_UPLOAD
                      and r["seq"] != 99]
        assert anchors.set_status(migrated.engine, refused["id"], anchors.EXPLAINED,
                                  "counter restored", "Li Wei")
        (hall_row,) = reports.halls(migrated, hall=hall)
        assert hall_row["explained_incidents"] == 2  # with the unknown kind
    finally:
        migrated.close()

