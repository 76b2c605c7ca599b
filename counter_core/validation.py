"""One validator for a log's events, fed in order: schema, then lifecycle.

The counter's append and head office's ingest judge an event by the same rules
(counter_core.events: `validate_payload` for the payload's fields, types and ranges, and
`Lifecycle` for what may follow what in one transaction): a rating of 999, a duration of
−5000 s, a second rating of a rated transaction, a `started` reusing a known transaction's id,
or a `completed`/`rated` of an unknown transaction are all refused with the reason in words.
So are a business order number (`order_number_set`) of an unknown, voided or interrupted
transaction, and one, or a handover's note (`cases_handed_over`), that looks like a mobile
phone number: no phone number is ever stored.

Appeals (`rating_appealed`, `appeal_decided`) follow their own rules (counter_core.events
`appeal_problem`): a clerk's own poor rating, appealed once; a decision only of an appealed one,
once per chain, never by the appellant. Across chains the later decision wins (the desk's
business, not the validator's).

The one difference is a manager's review (`overtime_reviewed`, `rating_followed_up`) of a
transaction that is not known yet. The counter refuses it (it reviews only what it holds);
head office, which receives many chains in any order, holds it *pending*: the transaction may
belong to another chain (a manager desk's review, an appeal decided at another counter) whose
events have not arrived yet. `Validator(hold_references=True)` says so with `Verdict.pending`.

No Qt, no database: state comes in through `lookup` (a projection row per transaction) and
`known_elsewhere` (whether another chain holds the transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from counter_core.events import (
    APPEAL_KINDS,
    KNOWN_KINDS,
    OVERTIME_REVIEWED,
    RATING_APPEALED,
    RATING_FOLLOWED_UP,
    KindAndPayload,
    Lifecycle,
    TxnState,
    appeal_problem,
    validate_payload,
)

__all__ = ["REFERENCE_KINDS", "Validator", "Verdict", "cross_chain_appeal_problem",
           "referenced_txn"]

#: kinds that refer to a transaction which may be another chain's (a manager's reviews, an
#: appeal recorded where the clerk signs in today, its decision at another counter or desk)
REFERENCE_KINDS = frozenset({OVERTIME_REVIEWED, RATING_FOLLOWED_UP}) | APPEAL_KINDS


@dataclass(frozen=True)
class Verdict:
    """What the validator says about one event: fine (`ok`), invalid (`reason`), or fine but
    naming a transaction not known yet (`pending`, only with `hold_references`)."""

    reason: str | None = None
    pending: bool = False

    @property
    def ok(self) -> bool:
        return self.reason is None and not self.pending


VALID = Verdict()
PENDING = Verdict(pending=True)


def referenced_txn(kind: str, payload: Any) -> str | None:
    """The transaction a review refers to, when the event is a review naming one."""
    if kind not in REFERENCE_KINDS or not isinstance(payload, Mapping):
        return None
    txn = payload.get("txn")
    return txn if isinstance(txn, str) else None


def cross_chain_appeal_problem(state: TxnState | None, kind: str,
                               payload: Mapping[str, Any]) -> str | None:
    """The appeal rules that hold across chains, given the state of the transaction another
    chain holds: the appellant's own poor rating, a decision never by the appellant. Whether
    it was appealed or decided already is each chain's own (the later decision wins)."""
    if state is None:
        return None
    if kind == RATING_APPEALED:
        return appeal_problem(replace(state, appealed=False), kind, payload)
    return appeal_problem(replace(state, appealed=True, appeal_decided=False), kind, payload)


class Validator:
    """Fed a log's events in order; keeps only the lifecycle state of each transaction.

    `lookup(txn)` gives the state of a transaction this validator has not seen (e.g. from a
    projection table of the events validated before); `known_elsewhere(txn)` whether another
    chain holds it (head office). Events of kinds this version does not know are not judged
    here (`feed` says VALID): the counter refuses them, head office sets them aside.
    """

    def __init__(self, lookup: Callable[[str], TxnState | None] | None = None, *,
                 states: Mapping[str, TxnState] | None = None,
                 hold_references: bool = False,
                 known_elsewhere: Callable[[str], bool] | None = None,
                 elsewhere_state: Callable[[str], TxnState | None] | None = None) -> None:
        self._lifecycle = Lifecycle(states, lookup=lookup)
        self._hold = hold_references
        self._known_elsewhere = known_elsewhere
        self._elsewhere_state = elsewhere_state

    def state(self, txn: str) -> TxnState | None:
        return self._lifecycle.state(txn)

    def check(self, event: KindAndPayload) -> Verdict:
        """The verdict on the event given the ones fed before; nothing is folded in."""
        if event.kind not in KNOWN_KINDS:
            return VALID
        problem = validate_payload(event.kind, event.payload)
        if problem is not None:
            return Verdict(problem)
        if self._hold:
            txn = referenced_txn(event.kind, event.payload)
            if txn is not None:
                if self._lifecycle.state(txn) is not None:
                    if event.kind in APPEAL_KINDS:
                        # the appeal rules hold where the transaction is known: own poor
                        # rating, once; a decision of an appealed one, once, not the appellant
                        problem = self._lifecycle.rules_problem(event)
                        return VALID if problem is None else Verdict(problem)
                    return VALID
                known = self._known_elsewhere is not None and self._known_elsewhere(txn)
                if known and event.kind in APPEAL_KINDS and self._elsewhere_state is not None:
                    problem = cross_chain_appeal_problem(self._elsewhere_state(txn),
                                                         event.kind, event.payload)
                    if problem is not None:
                        return Verdict(problem)
                return VALID if known else PENDING
        problem = self._lifecycle.rules_problem(event)  # the payload is checked above
        return VALID if problem is None else Verdict(problem)

    def feed(self, event: KindAndPayload) -> Verdict:
        """Check the event and fold it in when it is valid (an invalid one changes nothing)."""
        verdict = self.check(event)
        if verdict.reason is None and event.kind in KNOWN_KINDS:
            self._lifecycle.apply(event)
        return verdict
