"""PIN hashing: salted scrypt, constant-time check, format rule; and the domain's imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from counter_core import pins

REPO = Path(__file__).resolve().parents[2]


def test_hash_is_salted_scrypt_and_never_contains_the_pin() -> None:
    one, two = pins.hash_pin("123456"), pins.hash_pin("123456")
    assert one != two  # a fresh salt each time
    scheme, n, r, p, salt, digest = one.split("$")
    assert scheme == "scrypt"
    assert int(n) >= 2**14 and int(r) >= 8 and int(p) >= 1
    assert len(bytes.fromhex(salt)) >= 16
    assert len(bytes.fromhex(digest)) == 32
    assert "123456" not in one


def test_check_pin() -> None:
    stored = pins.hash_pin("1234")
    assert pins.check_pin("1234", stored)
    assert not pins.check_pin("1235", stored)
    assert not pins.check_pin("", stored)
    assert not pins.check_pin("12345", stored)


@pytest.mark.parametrize("stored", ["", "1234", "plain$1234", "md5$1$1$1$00$00", "scrypt$x"])
def test_malformed_stored_hash_never_matches(stored: str) -> None:
    assert not pins.check_pin("1234", stored)


@pytest.mark.parametrize(
    ("pin", "ok"),
    [("1234", True), ("000000000000", True), ("123", False), ("1234567890123", False),
     ("12a4", False), ("", False), (" 1234", False), ("１２３４", False),
     ("²³⁴⁵", False), ("١٢٣٤", False)],
)
def test_pin_format(pin: str, ok: bool) -> None:
    assert pins.valid_pin_format(pin) is ok


def test_lockout_rule_constants() -> None:
    assert pins.MAX_ATTEMPTS == 5
    assert pins.LOCKOUT_S == 300.0


def test_domain_imports_neither_qt_nor_sqlite() -> None:
    """The domain is plain Python: importing all of it pulls in no Qt and no SQL."""
    modules = [p.stem for p in (REPO / "counter_core").glob("*.py")]
    assert {"timer", "transaction", "chain", "projection", "ratings", "pins"} <= set(modules)
    script = (
        "import importlib, json, sys\n"
        f"for name in {sorted(modules)!r}:\n"
        "    importlib.import_module('counter_core.' + name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=True)
    loaded = set(json.loads(result.stdout))
    assert "counter_core.transaction" in loaded
    forbidden = {"PySide6", "shiboken6", "sqlite3", "_sqlite3", "sqlite_utils", "sqlalchemy",
                 "httpx", "counter_app", "head_office"}
    assert not {m.split(".")[0] for m in loaded} & forbidden


def test_throttle_grows_from_the_sixth_consecutive_failure_to_at_most_30_s() -> None:
    assert [pins.throttle_delay(n) for n in range(12)] == [
        0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30]
    assert pins.throttle_delay(10**9) == pins.THROTTLE_MAX_S


def test_check_no_pin_is_always_false() -> None:
    assert pins.check_no_pin("1234") is False
    assert pins.check_no_pin("") is False
