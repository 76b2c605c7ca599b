"""A hall's settings and their one set of rules: the transaction types (codes, names, targets,
promises), the time zone, the follow-up working days and the supervision hotline.

The counter's TOML (counter_app.config) and head office's central settings (`counter-hq
settings set`, head_office.settings) are checked by these same functions, and a counter checks
a central document it pulled with them again before it applies it, so a value one side takes is
never one the other refuses. Errors name the key (`SettingsError.key`) and what was expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from counter_core.periods import PeriodError, zone
from counter_core.transaction import TransactionType
from counter_core.workdays import MAX_FOLLOW_UP_WORKING_DAYS

Schema = dict[str, tuple[type | tuple[type, ...], bool]]

#: a `[[transaction_types]]` table's keys: key → (type, required)
TYPE_SCHEMA: Schema = {
    "code": (str, True), "name_zh": (str, True), "name_en": (str, True),
    "target_s": ((int, float), False),
    "promise_zh": (str, False), "promise_en": (str, False),
}
#: a central settings document's (and `counter-hq settings set` file's) top-level keys
SETTINGS_KEYS = ("transaction_types", "time_zone", "follow_up_working_days",
                 "supervision_hotline")
#: a hotline as the supervision sign prints it: digits, spaces, "-", "+", "(" and ")"
_HOTLINE = re.compile(r"^\+?[0-9][0-9 ()-]{1,22}[0-9]$")
EXPECTED = {str: "a string", int: "a whole number", (int, float): "a number",
            list: "a list", bool: "true or false"}
IDENTIFIERS = frozenset({"id", "code"})


class SettingsError(ValueError):
    """A setting refused: `key` (as the file spells it) and `what` was expected."""

    def __init__(self, key: str, what: str) -> None:
        super().__init__(f"{key}: {what}")
        self.key, self.what = key, what


@dataclass(frozen=True)
class Promise:
    """The promise a transaction type makes on the customer screen, in both languages."""

    zh: str
    en: str


def check_table(name: str, value: Any, schema: Schema, required: bool = True) -> dict[str, Any]:
    """A TOML table checked against `schema`: no unknown key, each of its type (a bool is not
    a number), the required ones present, identifiers not blank."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(name, "expected a table" if value is not None else "missing table")
    for key, item in value.items():
        if key not in schema:
            raise SettingsError(f"{name}.{key}",
                                f"unknown key; expected one of {', '.join(schema)}")
        kind, _ = schema[key]
        if (isinstance(item, bool) and kind is not bool) or not isinstance(item, kind):
            raise SettingsError(f"{name}.{key}", f"expected {EXPECTED[kind]}, got {item!r}")
    for key, (kind, needed) in schema.items():
        if needed and key not in value:
            raise SettingsError(f"{name}.{key}", f"missing; expected {EXPECTED[kind]}")
        if key in IDENTIFIERS and key in value and not str(value[key]).strip():
            raise SettingsError(f"{name}.{key}", "expected a non-empty string")
    return value


def transaction_types(
    raw: Any, name: str = "transaction_types"
) -> tuple[tuple[TransactionType, ...], tuple[tuple[str, Promise], ...]]:
    """The types and their promises of a `[[transaction_types]]` list."""
    if not isinstance(raw, list) or not raw:
        raise SettingsError(name, "expected at least one [[transaction_types]] table")
    types: list[TransactionType] = []
    promises: dict[str, Promise] = {}
    for index, item in enumerate(raw):
        at = f"{name}[{index}]"
        t = check_table(at, item, TYPE_SCHEMA)
        target = t.get("target_s")
        if target is not None and not (math.isfinite(target) and target > 0):
            raise SettingsError(f"{at}.target_s", "expected a positive number")
        if any(existing.code == t["code"] for existing in types):
            raise SettingsError(f"{at}.code", f"duplicate code {t['code']!r}")
        types.append(TransactionType(t["code"], t["name_zh"], t["name_en"],
                                     float(target) if target is not None else None))
        zh, en = (t.get("promise_zh", "").strip(), t.get("promise_en", "").strip())
        if bool(zh) != bool(en):
            missing = "promise_en" if zh else "promise_zh"
            raise SettingsError(f"{at}.{missing}",
                                "missing; the customer screen is bilingual: give promise_zh "
                                "and promise_en together")
        if zh and target is None:
            raise SettingsError(f"{at}.promise_zh", "an untimed type (no target_s) makes no "
                                "promise")
        if zh:
            promises[t["code"]] = Promise(zh, en)
    return tuple(types), tuple(promises.items())


def time_zone(value: Any, name: str = "time_zone") -> str:
    """An IANA zone name the counter and head office can both count days in."""
    if not isinstance(value, str) or isinstance(value, bool):
        raise SettingsError(name, f"expected {EXPECTED[str]}, got {value!r}")
    try:
        zone(value)
    except PeriodError as exc:
        raise SettingsError(name, str(exc)) from None
    return value


def follow_up_working_days(value: Any, name: str = "follow_up_working_days") -> int:
    """1 to MAX_FOLLOW_UP_WORKING_DAYS working days (好差评)."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 1 <= value <= MAX_FOLLOW_UP_WORKING_DAYS:
        raise SettingsError(name, f"expected 1 to {MAX_FOLLOW_UP_WORKING_DAYS} working days, "
                            f"got {value!r}")
    return value


def supervision_hotline(value: Any, name: str = "supervision_hotline") -> str:
    """The hall's supervision hotline (监督电话), printed on the supervision sign: a phone
    number of 3 to 24 characters (digits, spaces, "-", "+", brackets)."""
    if not isinstance(value, str) or not _HOTLINE.match(value.strip()):
        raise SettingsError(name, "expected a phone number such as \"12345\" or "
                            f"\"021-6123 4567\", got {value!r}")
    return value.strip()


@dataclass(frozen=True)
class HallSettings:
    """A hall's central settings: its types always, its zone and follow-up days when given
    (None: each counter keeps its own TOML's)."""

    types: tuple[TransactionType, ...]
    promises: tuple[tuple[str, Promise], ...] = ()
    time_zone: str | None = None
    follow_up_working_days: int | None = None
    supervision_hotline: str | None = None

    def as_document(self) -> dict[str, Any]:
        """The JSON form, spelled as the TOML spells it (what `parse` reads back)."""
        promised = dict(self.promises)
        types: list[dict[str, Any]] = []
        for t in self.types:
            item: dict[str, Any] = {"code": t.code, "name_zh": t.name_zh, "name_en": t.name_en}
            if t.target_s is not None:
                item["target_s"] = t.target_s
            if t.code in promised:
                item["promise_zh"], item["promise_en"] = promised[t.code].zh, promised[t.code].en
            types.append(item)
        out: dict[str, Any] = {"transaction_types": types}
        if self.time_zone is not None:
            out["time_zone"] = self.time_zone
        if self.follow_up_working_days is not None:
            out["follow_up_working_days"] = self.follow_up_working_days
        if self.supervision_hotline is not None:
            out["supervision_hotline"] = self.supervision_hotline
        return out


def parse(data: Any) -> HallSettings:
    """The settings of a document or a settings file's top level (SettingsError when one is
    wrong): `[[transaction_types]]` required, `time_zone`, `follow_up_working_days` and
    `supervision_hotline` optional."""
    if not isinstance(data, Mapping):
        raise SettingsError("settings", "expected a table")
    for key in data:
        if key not in SETTINGS_KEYS:
            raise SettingsError(str(key), f"unknown key; expected one of "
                                f"{', '.join(SETTINGS_KEYS)}")
    types, promises = transaction_types(data.get("transaction_types"))
    zone_name = time_zone(data["time_zone"]) if "time_zone" in data else None
    days = (follow_up_working_days(data["follow_up_working_days"])
            if "follow_up_working_days" in data else None)
    hotline = (supervision_hotline(data["supervision_hotline"])
               if "supervision_hotline" in data else None)
    return HallSettings(types, promises, zone_name, days, hotline)
