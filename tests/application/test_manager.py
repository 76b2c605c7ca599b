"""The manager's use cases: reads behind ManagerReadModel, decisions through ManagerDesk."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from counter_app import paths
from counter_app.application.counter import Counter
from counter_app.application.errors import InvalidDecision, NotRecorded
from counter_app.application.manager import (
    LocalManager,
    LocalManagerData,
    ManagerDesk,
    ManagerReadModel,
    ManagerSession,
)
from counter_app.config import Config
from tests.helpers.clock import FakeClock


@pytest.fixture
def served(demo_config: Config, data_dir: Path, clock: FakeClock) -> Counter:
    """One overtime transaction rated 1 by a customer, today."""
    counter = Counter(demo_config, data_dir, clock=clock)
    counter.sign_in("1001", "1234")
    counter.start_transaction()
    clock.advance(240)
    counter.complete()
    counter.give_overtime_reason("documents")
    counter.rate(1)
    clock.advance(31)  # the rating window (fixed from Done) is waited out
    counter.sign_out()
    yield counter  # type: ignore[misc]
    counter.close()


def _case(session: ManagerSession) -> str:
    first, last = session.data.date_span()
    assert first is not None and last is not None
    return str(session.data.review_queue(first, last)[0]["txn"])


def test_the_session_is_the_interfaces(served: Counter) -> None:
    session = served.manager("9001")
    data: ManagerReadModel = session.data  # mypy checks LocalManagerData fits the Protocol
    desk: ManagerDesk = session.desk
    assert isinstance(data, LocalManagerData) and isinstance(desk, LocalManager)
    assert session.manager == "9001" and data.time_zone == "Asia/Shanghai"
    assert served.manager().manager == "manager"  # nobody signed in: a neutral number


def test_decisions_are_recorded_as_events(served: Counter, data_dir: Path) -> None:
    session = served.manager("9001")
    txn = _case(session)
    assert session.data.unreviewed_counts() == (1, 1)
    before = session.data.last_seq()
    session.desk.review_overtime(txn, "missing_documents", "ID card expired")
    session.desk.follow_up_rating(txn, called_back=True, cause="slow", resolved=False,
                                  note="called back")
    session.desk.confirm_star("2026-03", "1001", 4.2)
    assert session.data.last_seq() == before + 3
    row = session.data.queue_row(txn)
    assert row is not None and row["cause"] == "missing_documents" and row["reviewed_by"] == "9001"
    assert row["follow_up_cause"] == "slow" and row["called_back"] == 1
    assert session.data.unreviewed_counts() == (0, 0)
    star = session.data.confirmed_star("2026-03")
    assert star is not None and (star["staff"], star["manager"]) == ("1001", "9001")
    conn = sqlite3.connect(paths.database_path(data_dir))
    kinds = [k for (k,) in conn.execute("SELECT kind FROM events ORDER BY seq")][-3:]
    conn.close()
    assert kinds == ["overtime_reviewed", "rating_followed_up", "star_confirmed"]


def test_refused_decisions_change_nothing(served: Counter) -> None:
    session = served.manager("9001")
    txn = _case(session)
    before = session.data.last_seq()
    with pytest.raises(InvalidDecision, match="note"):
        session.desk.review_overtime(txn, "other", "  ")
    with pytest.raises(InvalidDecision, match="Unknown overtime cause"):
        session.desk.review_overtime(txn, "bad luck", "")
    with pytest.raises(InvalidDecision, match="YYYY-MM"):
        session.desk.confirm_star("March", "1001", None)
    with pytest.raises(NotRecorded, match="no transaction 'nope'"):
        session.desk.review_overtime("nope", "system", "")
    assert session.data.last_seq() == before


def test_reads_answer_for_local_days(served: Counter) -> None:
    data = served.manager().data
    first, last = data.date_span()
    assert first == last and first is not None
    month = first.strftime("%Y-%m")
    assert data.staff_in_transactions() == ["1001"]
    assert data.staff_names()["1001"] == "王芳"
    assert data.kpi_report(first, last).kpis.served == 1
    assert data.kpi_report(first, last, staff="1002").kpis.served == 0
    assert data.kpi_report(first - dt.timedelta(days=200), last, weekly=True).kpis.served == 1
    assert data.month_report(month).totals.served == 1
