"""Head office's central settings at the counter (`[settings] managed_by = "head_office"`, or
`"hall_server"`: the same signed documents relayed by the hall server, `serve --upstream`).

`settings_puller` pulls `GET /api/v1/hall/settings` with the roster's machinery
(roster_pull.DocumentPuller): at start on a daemon thread of its own, never on the path to the
first window, and every SETTINGS_INTERVAL_S with `If-None-Match`. A document must verify with
`[head_office] signing_key` and be this hall's, and its settings must pass the counter's own
rules (counter_core.settings); anything else is refused and logged, and the cache stays.

The application caches the document (the data folder's meta) and applies it over the TOML
(`apply`): the types with their targets and promises, and the time zone and follow-up days
when the document sets them. The cached version applies at start; a newer one at the
counter's next idle moment (`Counter.apply_pulled_settings`: at each sign-in, and at a
heartbeat while idle), else at the next start.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from counter_app.config import Config
from counter_app.sync.authority import HALL_SERVER, HEAD_OFFICE, managed_centrally
from counter_app.sync.protocol import SyncError
from counter_app.sync.roster_pull import (
    DocumentPuller,
    HttpFactory,
    http_factory,
    signing_key_of,
    verified,
)
from counter_core import settings as hall_settings

log = logging.getLogger(__name__)

SETTINGS_INTERVAL_S = 300.0


@dataclass(frozen=True)
class CentralSettings:
    """One version of the hall's central settings, verified, with the signed document."""

    hall: str
    version: int
    set_at: str
    settings: hall_settings.HallSettings
    document: Mapping[str, Any]

    @property
    def etag(self) -> str:
        return f'"settings-{self.version}"'

    def cache_text(self) -> str:
        return json.dumps(dict(self.document), ensure_ascii=False, sort_keys=True)


def source_of(config: Config) -> str:
    """Where the central settings come from: head office, or the hall server relaying head
    office's documents (`[hall_server] signing_key` is then head office's key)."""
    return HALL_SERVER if config.settings_managed_by == HALL_SERVER else HEAD_OFFICE


def parse_central(data: Any, hall: str) -> CentralSettings:
    """The settings of a (verified) document: SyncError when it is not this hall's or its
    settings break the counter's rules."""
    if not isinstance(data, Mapping):
        raise SyncError("head office sent settings this counter cannot read")
    if data.get("hall") != hall:
        raise SyncError(f"head office sent the settings of hall {str(data.get('hall'))[:40]!r}, "
                        f"not this counter's hall {hall!r}: nothing was applied")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SyncError(f"head office sent settings with version {str(version)[:20]!r}")
    try:
        parsed = hall_settings.parse(data.get("settings"))
    except hall_settings.SettingsError as exc:
        raise SyncError(f"head office's settings version {version} are refused: {exc}") from None
    return CentralSettings(hall, version, str(data.get("set_at", "")), parsed, dict(data))


def from_cache(text: str | None, config: Config) -> CentralSettings | None:
    """The cached document, verified again with the configured key (None, logged, when it
    is absent or no longer verifies: the TOML's settings apply)."""
    if text is None:
        return None
    try:
        key = signing_key_of(config, source_of(config))
        if key is None:
            raise SyncError(f"no [{source_of(config)}] signing_key to verify it with")
        data = json.loads(text)
        return parse_central(verified(data, key, "the cache", "settings"), config.hall_id)
    except (SyncError, ValueError) as exc:  # SignatureError is a ValueError
        log.error("the cached central settings are not used (%s): the TOML's apply", exc)
        return None


def apply(config: Config, central: CentralSettings) -> Config:
    """The configuration with the central settings over the TOML's."""
    found = central.settings
    codes = {t.code for t in found.types}
    default = config.default_type if config.default_type in codes else found.types[0].code
    return dataclasses.replace(
        config,
        types=found.types,
        promises=found.promises,
        default_type=default,
        time_zone=found.time_zone or config.time_zone,
        follow_up_working_days=found.follow_up_working_days or config.follow_up_working_days,
        supervision_hotline=found.supervision_hotline or config.supervision_hotline,
    )


def settings_puller(
    config: Config,
    *,
    etag: str | None = None,
    on_pulled: Callable[[], object] | None = None,
    interval_s: float = SETTINGS_INTERVAL_S,
    make_http: HttpFactory | None = None,
    start: bool = True,
) -> DocumentPuller[CentralSettings] | None:
    """The puller of a counter whose settings head office manages, directly or through the
    hall server (None otherwise)."""
    if not managed_centrally(config):
        return None
    hall, source = config.hall_id, source_of(config)
    puller = DocumentPuller(
        hall,
        make_http or http_factory(config, source),
        path="/hall/settings",
        parse=lambda data: parse_central(data, hall),
        etag_of=lambda found: found.etag,
        what="settings",
        source="the hall server" if source == HALL_SERVER else "head office",
        key=signing_key_of(config, source),
        absent_is_none=True,
        interval_s=interval_s,
        etag=etag,
        on_pulled=on_pulled,
    )
    if start:
        puller.start()
    return puller
