"""Desks (`counter-hq enroll --kind desk`), against a real `counter-hq serve`: a desk uploads
its own chain and reads its own hall like the hall's reader, and is never counted as a
counter in the reports."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

from head_office import schema
from head_office.store import Store
from tests.head_office.test_access import get, one_shape, upload
from tests.helpers.hq import REPO, HqServer, chained, day_drafts


def cli(server: HqServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "head_office.cli", *args,
                           "--db", server.db_url],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def report(server: HqServer, kind: str, hall: str) -> list[dict[str, str]]:
    done = cli(server, "report", kind, "--hall", hall)
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def test_a_desk_is_enrolled_reads_its_hall_uploads_its_chain_and_is_no_counter(
    hq_sqlite: HqServer,
) -> None:
    hall = f"H-{uuid.uuid4().hex[:6]}"
    counter = hq_sqlite.enroll(hall, "01")
    assert upload(hq_sqlite, counter, chained(hall, "01", day_drafts(6))).status_code == 200

    done = cli(hq_sqlite, "enroll", "--hall", hall, "--counter", "desk", "--kind", "desk")
    assert done.returncode == 0, done.stderr
    assert "desk desk enrolled" in done.stdout
    desk = done.stdout.strip().splitlines()[-1]

    # its own chain goes up as a counter's does
    answer = upload(hq_sqlite, desk, chained(hall, "desk", day_drafts(3, seed=5)))
    assert answer.status_code == 200, answer.text
    assert get(hq_sqlite, "/api/v1/status", desk).json()["high_water"]["seq"] > 0
    # it reads its hall, like the hall's reader token, and no other hall
    view = get(hq_sqlite, "/api/v1/hall", desk).json()
    assert view["hall"] == hall
    assert [c["counter"] for c in view["counters_synced"]] == ["01"]  # the desk is no counter
    assert get(hq_sqlite, "/api/v1/hall/presence", desk).json()["hall"] == hall
    one_shape(get(hq_sqlite, "/api/v1/hall/presence", desk, hall="ELSEWHERE"), 403,
              "forbidden")
    # a counter's token still does not
    one_shape(get(hq_sqlite, "/api/v1/hall", counter), 403, "forbidden")

    # never counted as a counter
    (row,) = report(hq_sqlite, "halls", hall)
    assert row["counters"] == "1"
    assert [r["counter"] for r in report(hq_sqlite, "chains", hall)] == ["01"]
    done = cli(hq_sqlite, "report", "service-level", "--month", "2026-11", "--hall", hall,
               "--by", "staff")
    assert done.returncode == 0, done.stderr

    # a desk is not turned into a counter by a re-enrolment that forgets --kind, nor back
    wrong = cli(hq_sqlite, "enroll", "--hall", hall, "--counter", "desk")
    assert wrong.returncode == 2 and "--kind desk" in wrong.stderr
    wrong = cli(hq_sqlite, "enroll", "--hall", hall, "--counter", "01", "--kind", "desk")
    assert wrong.returncode == 2 and "--kind counter" in wrong.stderr
    again = cli(hq_sqlite, "enroll", "--hall", hall, "--counter", "desk", "--kind", "desk")
    assert again.returncode == 0, again.stderr
    bad = cli(hq_sqlite, "enroll", "--hall", hall, "--reader", "--kind", "desk")
    assert bad.returncode == 2 and "--kind" in bad.stderr


def test_a_version_3_database_gets_the_kind_column_with_every_counter_a_counter(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # what version 3 left: the counters table without its kind
        schema.schema_version.create(conn)
        conn.execute(schema.schema_version.insert().values(version=3))
        for step in schema.MIGRATIONS[:3]:
            step(conn)
        conn.execute(sa.text("ALTER TABLE counters DROP COLUMN kind"))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO counters (hall, counter, enrolled_at, hw_seq, "
                             "hw_hash) VALUES ('H', '01', 'now', 0, 'x')"))
    engine.dispose()
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(schema.counters.c.kind)).scalars().all() == ["counter"]
            version = conn.execute(sa.select(schema.schema_version.c.version)).scalar_one()
        assert version == schema.SCHEMA_VERSION
    finally:
        store.close()
