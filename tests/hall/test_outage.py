"""A hall server killed for two minutes loses nothing (docs/hall.md, "When the hall server
is down"): a real `counter-hq serve` on SQLite with a webhook, two counters streaming and
sending presence through the production streamer, and a desk's board source. The server is
SIGKILLed; the counters keep committing, the board source says the hall server is
unreachable; the server is started again on the same database and port: every event
committed meanwhile arrives, presence comes back, and the poor rating given during the outage
raises its alert, whose id reaches the webhook at least once."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from counter_app.application.board import BoardUnavailable, HttpBoardSource
from counter_app.config import Config, HallServer
from counter_app.sync.hall_stream import MAX_BACKOFF_S, HallStreamer
from counter_app.sync.protocol import HeadOfficeClient
from head_office.access import enroll_desk, enroll_reader
from head_office.alerts import POOR_RATING, alert_id
from tests.hall.support import HALL, wait_for
from tests.hall.test_alerts import alerts
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import HqServer

#: how long the hall server stays dead: two minutes, as a hall loses its server for minutes
OUTAGE_S = 120.0
#: after the restart: the longest backoff, its jitter, and the catch-up itself
CATCH_UP_S = MAX_BACKOFF_S + 15.0
COUNTERS = ("11", "12")
ALERT_CONFIG = """
language = "en"
[delivery]
timeout_s = 1
backoff_s = 0.2
backoff_cap_s = 1
"""


@dataclasses.dataclass
class Desk:
    """A counter of the test: the application layer, its streamer, its FakeClock."""

    service: CounterService
    streamer: HallStreamer
    clock: FakeClock

    def act(self, action: str, *args: object) -> None:
        getattr(self.service, action)(*args)
        self.streamer.set_presence(self.service.presence())  # as the app does at each change

    def serve_one(self, rating: int) -> str:
        """Start, Done, a rating: the transaction's id."""
        self.act("start_transaction")
        running = self.service.machine.running
        assert running is not None
        self.clock.advance(90)
        self.act("complete")
        self.act("rate", rating)
        self.clock.advance(31)
        self.act("expire")
        return running.txn

    def last_seq(self) -> int:
        return self.service.store.last_seq()


def test_a_killed_hall_server_loses_nothing_and_everything_catches_up_after_its_restart(
    tmp_path: Path, demo_config: Config
) -> None:
    from counter_app.application.sync import start_streaming
    from tests.helpers.webhook import WebhookReceiver

    config_path = tmp_path / "alerts.toml"
    config_path.write_text(ALERT_CONFIG, encoding="utf-8")
    hook = WebhookReceiver(("ok",)).start()
    server = HqServer(
        f"sqlite:///{tmp_path / 'hall.sqlite'}",
        options=("--alert-config", str(config_path), "--alert-webhook", hook.url),
    ).start()
    desks: list[Desk] = []
    source: HttpBoardSource | None = None
    try:
        store = server.store
        for counter in COUNTERS:
            config = dataclasses.replace(
                demo_config,
                hall_id=HALL,
                counter_id=counter,
                hall_server=HallServer(server.url, token=server.enroll(HALL, counter)),
            )
            clock = FakeClock()
            service = CounterService(config, tmp_path / f"data-{counter}", clock=clock)
            streamer = start_streaming(service.data_dir, config)
            assert streamer is not None
            desks.append(Desk(service, streamer, clock))
        desk_token = enroll_desk(store, HALL, "desk")
        reader = enroll_reader(store, HALL)
        source = HttpBoardSource(
            lambda: HeadOfficeClient(server.url, desk_token, reader_token=desk_token, timeout=3)
        )

        def held(counter: str) -> int:
            found = store.counter(HALL, counter)
            return 0 if found is None else found.hw_seq

        def caught_up() -> bool:
            return all(held(c) >= d.last_seq() for c, d in zip(COUNTERS, desks, strict=True))

        def phases() -> dict[str, str]:
            return {c: p.phase for c, p in source.presence().by_counter().items()}

        for desk in desks:
            desk.act("sign_in", "1001", "1234")
            desk.serve_one(5)
        wait_for(caught_up, 5.0)
        wait_for(lambda: set(COUNTERS) <= set(phases()), 10.0)
        before = {c: held(c) for c in COUNTERS}

        # ---- the hall server is killed -------------------------------------------------
        server.stop(kill=True)
        killed_at = time.monotonic()
        with pytest.raises(BoardUnavailable):
            source.presence()
        with pytest.raises(BoardUnavailable):
            source.today()
        poor_txn = ""
        served = 0
        while time.monotonic() - killed_at < OUTAGE_S:
            for n, desk in enumerate(desks):  # the counters keep serving: Start/Done accepted
                txn = desk.serve_one(1 if (n, served) == (0, 1) else 4)
                if (n, served) == (0, 1):
                    poor_txn = txn
            served += 1
            time.sleep(3.0)
        assert poor_txn and served >= 5
        desks[1].act("start_transaction")  # one counter is serving when the server returns
        committed = {c: d.last_seq() for c, d in zip(COUNTERS, desks, strict=True)}
        assert all(committed[c] > before[c] + 10 for c in COUNTERS)
        assert {c: held(c) for c in COUNTERS} == before  # nothing arrived while it was down
        with pytest.raises(BoardUnavailable):
            source.presence()
        assert all(d.streamer.failures > 0 for d in desks)

        # ---- started again on the same database and port -------------------------------
        server.start()
        took = wait_for(caught_up, CATCH_UP_S)
        assert {c: held(c) for c in COUNTERS} == committed  # every event, nothing more
        for counter, desk in zip(COUNTERS, desks, strict=True):  # the rows, not just the mark
            found = store.counter(HALL, counter)
            assert found is not None
            seqs = [e.seq for e in store.events(found)]
            assert seqs == list(range(1, desk.last_seq() + 1))
        wait_for(lambda: phases().get(COUNTERS[1]) == "serving", 10.0)
        assert set(COUNTERS) <= set(phases())

        poor = alert_id(HALL, COUNTERS[0], poor_txn, POOR_RATING)
        wait_for(lambda: poor in {a["id"] for a in alerts(server, reader)}, 15.0)
        wait_for(lambda: poor in hook.accepted, 30.0)
        assert took < CATCH_UP_S
    finally:
        if source is not None:
            source.close()
        for desk in desks:
            desk.streamer.stop()
            desk.service.close()
        server.close()
        hook.stop()
