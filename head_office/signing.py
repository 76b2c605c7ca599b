"""Head office's signing key (Ed25519): created once, kept as a PEM file readable by its owner
only, and used by `serve --signing-key FILE` to sign the roster and the central settings it
serves (counter_core.signed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter_core import signed


class SigningKeyError(ValueError):
    """The key file cannot be created or read, in words."""


def create(path: Path) -> Ed25519PrivateKey:
    """A new key written to `path` (PEM, PKCS#8, mode 0600); never overwrites a file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningKeyError(
            f"{path} exists: a new key would leave every counter holding the old public key "
            "unable to verify; remove the file first if you mean to replace the key"
        ) from None
    except OSError as exc:
        raise SigningKeyError(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(path, 0o600)  # whatever the umask
    return key


def load(path: Path) -> Ed25519PrivateKey:
    """The private key of a PEM file `create` wrote."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"signing key file not found: {path}") from None
    except OSError as exc:
        raise SigningKeyError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"{path} is not an unencrypted PEM private key (`counter-hq signing-key create` "
            "writes one)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def public_text(key: Ed25519PrivateKey) -> str:
    return signed.public_key_text(key.public_key())


def maybe_sign(document: dict[str, Any], key: Ed25519PrivateKey | None) -> dict[str, Any]:
    """The document signed with `key`, or as it is without one (a server with no key)."""
    return document if key is None else signed.sign(document, key)
