"""Who keeps a counter's staff accounts and its central settings, read from its configuration.

Kept apart from the pulls themselves (counter_app.sync.roster_pull, settings_pull) so the
counter's start can ask without loading the sync stack: a counter that keeps its own accounts
and settings, as the demo counter does, never loads it before its windows show.
"""

from __future__ import annotations

from counter_app.config import Config

#: the authorities, first match wins
HEAD_OFFICE, HALL_SERVER, COUNTER = "head_office", "hall_server", "counter"


def authority_of(config: Config) -> str:
    """Who keeps the counter's staff accounts: HEAD_OFFICE, HALL_SERVER or COUNTER."""
    if config.roster_managed_by == HEAD_OFFICE:
        return HEAD_OFFICE
    if config.roster_managed_by == HALL_SERVER and config.hall_server is not None:
        return HALL_SERVER
    return COUNTER


def managed_centrally(config: Config) -> bool:
    """Whether head office (or the hall server relaying it) keeps the counter's settings."""
    return config.settings_managed_by in (HEAD_OFFICE, HALL_SERVER)
