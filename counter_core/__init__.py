"""Plain-Python domain logic: no Qt, no SQL.

Shared by the counter and head office: `events` (the vocabulary: kinds, `validate_payload`,
`is_known`, the `Lifecycle` fold), `chain` (canonical bytes per chain format, `seal`,
`ChainWalker`), `projection` and `reviews` (the folds into tables).
"""
