"""A hall's central settings at head office: its transaction types (targets, promises), time
zone and follow-up working days, versioned per hall (`hall_settings`, from version 1).

`counter-hq settings set` checks a file with the counter's own rules (counter_core.settings) and
stores it as a new version; `GET /api/v1/hall/settings` serves the latest, signed, to the hall's
counters and desks, which apply it over their TOML and record its version in each `started`.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from counter_core import settings as hall_settings
from counter_core.chain import FORMAT_JCS, canonical_bytes
from counter_core.periods import utc_now
from head_office import upstream
from head_office.schema import hall_settings as table
from head_office.store import Store, database_errors

MAX_FILE_BYTES = 256 * 1024


class SettingsFileError(ValueError):
    """A settings file refused, in words (nothing was stored)."""


@dataclass(frozen=True)
class Stored:
    """One version of a hall's settings."""

    hall: str
    version: int
    set_at: str
    set_by: str
    settings: dict[str, Any]

    @property
    def etag(self) -> str:
        return f'"settings-{self.version}"'

    def document(self) -> dict[str, Any]:
        """What counters receive (before signing)."""
        return {"hall": self.hall, "version": self.version, "set_at": self.set_at,
                "settings": self.settings}


def read_file(path: Path) -> hall_settings.HallSettings:
    """The settings of a TOML file (top-level `time_zone`, `follow_up_working_days` and
    `[[transaction_types]]` as the counter's TOML spells them), checked by the counter's rules."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SettingsFileError(f"{path}: file not found") from None
    except OSError as exc:
        raise SettingsFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SettingsFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SettingsFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"{path}: not valid TOML: {exc}") from None
    try:
        return hall_settings.parse(data)
    except hall_settings.SettingsError as exc:
        raise SettingsFileError(f"{path}: {exc}") from None


def _stored(row: Any) -> Stored:
    return Stored(str(row.hall), int(row.version), str(row.set_at), str(row.set_by),
                  json.loads(row.settings))


def put(store: Store, hall: str, settings: hall_settings.HallSettings, by: str) -> Stored:
    """Store the settings as the hall's next version (SettingsFileError at a hall server
    that relays head office's)."""
    document = settings.as_document()
    text = canonical_bytes(document, FORMAT_JCS).decode("utf-8")
    with database_errors(), store.engine.begin() as conn:
        relayed = upstream.relay_refusal(conn, hall, upstream.SETTINGS)
        if relayed is not None:  # a hall server relaying head office's settings
            raise SettingsFileError(relayed)
        last = conn.execute(
            select(func.max(table.c.version)).where(table.c.hall == hall)).scalar_one()
        version, at = int(last or 0) + 1, utc_now()
        conn.execute(table.insert().values(hall=hall, version=version, set_at=at,
                                           set_by=by[:64], settings=text))
    return Stored(hall, version, at, by[:64], json.loads(text))


def latest(store: Store, hall: str) -> Stored | None:
    """The hall's latest version, None before the first `settings set`."""
    with database_errors(), store.reader.connect() as conn:
        row = conn.execute(
            select(table).where(table.c.hall == hall)
            .order_by(table.c.version.desc()).limit(1)).one_or_none()
    return None if row is None else _stored(row)


def current_version(store: Store, hall: str) -> int:
    with database_errors(), store.reader.connect() as conn:
        last = conn.execute(
            select(func.max(table.c.version)).where(table.c.hall == hall)).scalar_one()
    return int(last or 0)
