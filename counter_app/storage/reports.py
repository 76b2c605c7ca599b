"""Deprecated: merged into counter_app.storage.queries, the counter's one module of reads.

Kept only so that `from counter_app.storage import reports as queries` keeps working until
those imports read `from counter_app.storage import queries`; then delete this file.
"""

from counter_app.storage.queries import *  # noqa: F403
from counter_app.storage.queries import __all__ as __all__
