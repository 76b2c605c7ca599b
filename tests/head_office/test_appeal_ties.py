"""Head office settles an appeal decided in several chains by the rule the hall's mirrors use
(counter_core.reviews.merge_decisions), on a real counter-hq over SQLite and PostgreSQL: in a
chain its latest decision by place stands (even when its clock reads earlier); across chains
the later by time wins, and a tie goes to the greater chain id — whichever way it decided."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from counter_core.periods import day_period
from counter_core.reviews import Decision, merge_decisions
from head_office import reports
from tests.head_office.test_appeals import DAY, appealed, decided, post, served
from tests.helpers.hq import HqServer, chained


def test_ties_go_to_the_greater_chain_and_a_chain_keeps_its_last_word(
    hq_server: HqServer,
) -> None:
    hall = f"T-{uuid.uuid4().hex[:8]}"
    tokens = {c: hq_server.enroll(hall, c) for c in ("01", "desk", "desk2")}
    a, b, c, d = (str(uuid.uuid4()) for _ in range(4))
    drafts = (served(a, 1, 0) + served(b, 1, 2) + served(c, 2, 4) + served(d, 2, 6)
              + [appealed(t, 10) for t in (a, b, c, d)])
    answer = post(hq_server, tokens["01"], chained(hall, "01", drafts))
    assert answer.status_code == 200 and answer.json()["invalid"] == [], answer.text
    by_chain = {
        # a: the same minute in "desk" (upheld) and "desk2" (rejected): "desk2" is greater
        # b: the same minute again, the other way round: "desk2" upholds, and wins
        # c: "desk" upholds, then, later in its chain but with a clock a minute behind, rejects
        # d: "desk" rejects at :30, "desk2" upholds at :31: the later time wins
        "desk": [decided(a, True, 20), decided(b, False, 21), decided(c, True, 30),
                 decided(c, False, 29), decided(d, False, 30)],
        "desk2": [decided(a, False, 20), decided(b, True, 21), decided(d, True, 31)],
    }
    for chain, decisions in by_chain.items():
        answer = post(hq_server, tokens[chain], chained(hall, chain, decisions))
        assert answer.status_code == 200, answer.text
        assert (answer.json()["invalid"], answer.json()["pending"]) == ([], []), answer.text

    settled = reports.upheld_appeals()
    with hq_server.store.reader.connect() as conn:
        upheld = {row.txn for row in conn.execute(select(settled).where(settled.c.hall == hall))}
    assert upheld == {b, d}

    # exactly what the hall's mirrors decide from the same decisions
    expected = set()
    for txn in (a, b, c, d):
        found = [Decision(at, (hall, chain), seq, draft.payload["upheld"])
                 for chain, decisions in by_chain.items()
                 for seq, (at, draft) in enumerate(decisions, start=1)
                 if draft.payload["txn"] == txn]
        merged = merge_decisions(found)
        assert merged is not None
        if merged.winner.row:
            expected.add(txn)
    assert upheld == expected

    # and the figures follow: four poor ratings, two appeals upheld
    rows = reports.figures(hq_server.store, day_period(DAY, "Asia/Shanghai"), hall=hall)
    assert (rows[0]["poor_ratings"], rows[0]["upheld_appeals"]) == (4, 2)
    assert rows[0]["upheld_appeal_rate"] == 0.5
