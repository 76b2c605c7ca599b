"""The incident procedure at head office: an operator explains or resolves an incident with a
reason (recorded), `enroll --new-history` links a replaced chain to the old one, and the
reports say which halls have open incidents without branding explained ones."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_core.chain import Event
from head_office import anchors, cli, reports
from head_office.errors import AnchorContradicted, EndsBeforeAnchor
from head_office.store import Counter, Store
from tests.helpers.hq import chained, day_drafts


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hq.sqlite'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store(db_url)
    yield opened
    opened.close()


def anchor(store: Store, who: Counter, ev: Event) -> anchors.AnchorResult:
    return anchors.record_anchor(store.engine, who, anchors.AnchorIn(
        ev.seq, ev.hash, "1.0", "c" * 64, dt.datetime.now(dt.UTC).isoformat()))


def enrolled(store: Store, hall: str, counter: str) -> Counter:
    store.enroll(hall, counter)
    who = store.counter(hall, counter)
    assert who is not None
    return who


def restored_backup(store: Store, hall: str, counter: str) -> tuple[Counter, list[Event]]:
    """A counter that uploaded 10 events and anchored 20, then came back from a backup
    holding 15: an honest break that looks like a cut tail."""
    who = enrolled(store, hall, counter)
    events = chained(hall, counter, day_drafts(8))
    store.ingest(who, events[:10])
    anchor(store, who, events[19])
    anchor(store, who, events[14])
    return who, events


def run(db_url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*argv, "--db", db_url])
    return code, out.getvalue(), err.getvalue()


def report(db_url: str, kind: str) -> list[dict[str, str]]:
    code, out, err = run(db_url, "report", kind)
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def test_an_explained_incident_stays_listed_but_brands_no_hall(store: Store,
                                                               db_url: str) -> None:
    who_a, events_a = restored_backup(store, "SH-A", "c1")
    restored_backup(store, "SH-B", "c1")
    with pytest.raises(EndsBeforeAnchor):
        store.ingest(who_a, events_a[10:15])
    (incident,) = anchors.counter_incidents(store.engine, who_a)
    assert (incident["kind"], incident["seq"]) == (anchors.ENDS_BEFORE_ANCHOR, 16)

    code, out, err = run(db_url, "incident", "explain", "--id", str(incident["id"]),
                         "--reason", "PC restored from the 30 Nov backup; checked with the "
                         "hall manager", "--by", "Li Wei")
    assert code == 0, err
    assert "explained by Li Wei" in out

    halls = {r["hall"]: r for r in report(db_url, "halls")}
    assert (halls["SH-A"]["incidents"], halls["SH-A"]["open_incidents"],
            halls["SH-A"]["explained_incidents"]) == ("none open", "0", "1")
    assert (halls["SH-B"]["incidents"], halls["SH-B"]["open_incidents"]) == ("open", "1")
    rows = [r for r in report(db_url, "incidents") if r["hall"] == "SH-A"]
    (row,) = rows
    assert (row["status"], row["status_by"]) == ("explained", "Li Wei")
    assert row["status_reason"].startswith("PC restored from the 30 Nov backup")
    assert row["status_at"]
    chains = {r["hall"]: r for r in report(db_url, "chains")}
    assert "open incident" not in chains["SH-A"]["chain"]
    assert (chains["SH-A"]["open_incidents"], chains["SH-A"]["explained_incidents"]) == ("0",
                                                                                        "1")
    assert "open incident(s), ends_before_anchor at 16" in chains["SH-B"]["chain"]

    # resolved: recorded the same way, and counted apart from explained
    code, _, err = run(db_url, "incident", "resolve", "--id", str(incident["id"]),
                       "--reason", "counter re-enrolled", "--by", "Li Wei")
    assert code == 0, err
    assert {r["hall"]: r for r in report(db_url, "halls")}["SH-A"]["resolved_incidents"] == "1"


def test_an_unknown_incident_or_an_empty_reason_is_a_clear_message(store: Store,
                                                                    db_url: str) -> None:
    code, _, err = run(db_url, "incident", "explain", "--id", "999", "--reason", "x",
                       "--by", "me")
    assert (code, err.strip()) == (2, "counter-hq: no incident 999: see `counter-hq report "
                                      "incidents` (the id column)")
    code, _, err = run(db_url, "incident", "resolve", "--id", "1", "--reason", " ",
                       "--by", "me")
    assert code == 2 and "not empty" in err and "Traceback" not in err


def test_a_new_history_is_linked_to_the_old_chain_and_explains_its_cut_end(
        store: Store, db_url: str) -> None:
    old, events = restored_backup(store, "SH-C", "c7")
    with pytest.raises(EndsBeforeAnchor):
        store.ingest(old, events[10:15])
    code, out, err = run(db_url, "enroll", "--new-history", "--hall", "SH-C", "--counter", "c7")
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    (incident,) = anchors.counter_incidents(store.engine, old)
    assert incident["status"] == anchors.EXPLAINED
    assert incident["status_reason"] == anchors.NEW_HISTORY_REASON
    new = store.authenticate(token)
    assert (new.hall, new.counter, new.hw_seq) == ("SH-C", "c7", 0)
    fresh = chained("SH-C", "c7", day_drafts(3, seed=3), seed=9)
    assert store.ingest(new, fresh).stored == len(fresh)  # the new chain starts at 1
    chains = [r for r in report(db_url, "chains") if r["hall"] == "SH-C"]
    (linked,) = [r for r in chains if r["counter"] == "c7"]
    assert linked["new_history_of"].startswith("c7~")
    assert "held up to sequence 10" in linked["new_history_of"]
    assert "anchored up to 20" in linked["new_history_of"]
    halls = {r["hall"]: r for r in report(db_url, "halls")}
    assert halls["SH-C"]["incidents"] == "none open"


def test_a_contradicting_batch_stores_nothing_and_the_honest_one_still_goes(
        store: Store) -> None:
    who = enrolled(store, "SH-D", "c1")
    events = chained("SH-D", "c1", day_drafts(5))
    anchor(store, who, events[7])
    other = chained("SH-D", "c1", day_drafts(5, seed=4), seed=4)
    with pytest.raises(AnchorContradicted) as refused:
        store.ingest(who, other[:10])
    assert refused.value.seq == 8
    assert store.counts(who)["events"] == 0
    assert store.ingest(who, events[:10]).stored == 10
    assert reports.halls(store, hall="SH-D") == [{
        "hall": "SH-D", "counters": 1, "open_incidents": 1, "explained_incidents": 0,
        "resolved_incidents": 0, "incidents": "open",
        "poor_ratings": 0, "upheld_appeals": 0, "upheld_appeal_rate": None,
        "overdue_follow_ups": 0}]


def test_a_version_2_database_gains_the_anchor_tables(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from head_office import schema

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = Store(url)
    with old.engine.begin() as conn:
        for table in (schema.history_links, schema.incidents, schema.anchors):
            table.drop(conn)
        conn.execute(schema.schema_version.update().values(version=2))
    old.close()
    migrated = Store(url)
    try:
        names = set(inspect(migrated.engine).get_table_names())
        assert {"anchors", "incidents", "history_links"} <= names
        who = enrolled(migrated, "SH-E", "c1")
        assert anchor(migrated, who, chained("SH-E", "c1", day_drafts(1))[0]).incidents == ()
    finally:
        migrated.close()
