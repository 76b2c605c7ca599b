"""The event vocabulary: every kind of event a counter or a manager desk records.

One name per kind, used by the counter's state machine, its append, the projections and head
office alike, so no module spells a kind as a string literal of its own.
"""

from __future__ import annotations

# ---- a clerk at the counter ---------------------------------------------------------------
SIGNED_IN = "signed_in"
SIGNED_OUT = "signed_out"

# ---- one transaction, in lifecycle order ----------------------------------------------------
STARTED = "started"
TYPE_CHANGED = "type_changed"
COMPLETED = "completed"
VOIDED = "voided"
INTERRUPTED = "interrupted"
OVERTIME_REASON = "overtime_reason"
RATED = "rated"
RATING_REASON = "rating_reason"
RATING_TIMED_OUT = "rating_timed_out"

# ---- the duty manager's decisions -------------------------------------------------------------
OVERTIME_REVIEWED = "overtime_reviewed"
RATING_FOLLOWED_UP = "rating_followed_up"
STAR_CONFIRMED = "star_confirmed"

#: Kinds that concern one transaction (their payload names it as "txn").
TRANSACTION_KINDS = frozenset({
    STARTED, TYPE_CHANGED, COMPLETED, VOIDED, INTERRUPTED, OVERTIME_REASON, RATED,
    RATING_REASON, RATING_TIMED_OUT,
})
#: A manager's decisions: the latest one about a subject supersedes the earlier ones.
REVIEW_KINDS = frozenset({OVERTIME_REVIEWED, RATING_FOLLOWED_UP, STAR_CONFIRMED})
SESSION_KINDS = frozenset({SIGNED_IN, SIGNED_OUT})
#: Every kind this version knows; a server keeps an event of any other kind aside as
#: "unknown kind" instead of refusing the chain, so servers can be upgraded first.
KNOWN_KINDS = TRANSACTION_KINDS | REVIEW_KINDS | SESSION_KINDS
