"""Staff PINs: salted scrypt hashes, and the lockout rule for repeated wrong PINs."""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_ATTEMPTS = 5
#: A manager's PIN opens the manager view and the staff commands: at least this many digits.
MANAGER_MIN_DIGITS = 6
LOCKOUT_S = 300.0
#: Counter-wide: consecutive wrong sign-ins (any numbers) heard without delay; after that each
#: next attempt waits 1, 2, 4, … s, at most THROTTLE_MAX_S. A right PIN resets the count. It
#: slows guessing across numbers and never locks the counter.
THROTTLE_FREE = MAX_ATTEMPTS
THROTTLE_MAX_S = 30.0
# scrypt cost: ~50 ms on a counter PC, so guessing 10,000 PINs offline costs minutes, not µs
_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
        dklen=len(digest) // 2,
    )
    return hmac.compare_digest(candidate.hex(), digest)


def throttle_delay(failures: int) -> float:
    """Seconds to wait before the next sign-in after `failures` consecutive wrong ones."""
    if failures < THROTTLE_FREE:
        return 0.0
    return min(THROTTLE_MAX_S, 2.0 ** min(failures - THROTTLE_FREE, 16))


_dummy_hash: str | None = None


def check_no_pin(pin: str) -> bool:
    """As long as check_pin takes, and always False: the answer for an unknown staff number,
    so that its timing does not tell a stranger which numbers are real."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_pin(secrets.token_hex(8))
    check_pin(pin, _dummy_hash)
    return False


def valid_pin_format(pin: str) -> bool:
    return pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12


def pin_problem(pin: str, role: str) -> str | None:
    """None when `pin` may be the PIN of an account in `role`, else why not, in words."""
    if not valid_pin_format(pin):
        return "PIN must be 4 to 12 digits"
    if role == "manager" and len(pin) < MANAGER_MIN_DIGITS:
        return f"a manager's PIN must have at least {MANAGER_MIN_DIGITS} digits"
    return None


def needs_change(pin: str, role: str) -> bool:
    """Whether a PIN that signed in must be changed first (a manager's shorter PIN)."""
    return pin_problem(pin, role) is not None
