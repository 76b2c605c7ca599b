"""Documents head office signs (the hall's roster, its central settings) and their check.

A signed document is a JSON object with two more fields: `key_id` (the first 16 hex digits of
the SHA-256 of the raw 32-byte Ed25519 public key) and `signature` (base64 of the Ed25519
signature). The signature covers counter_core.chain's canonical bytes (RFC 8785, JCS) of the
document without its `signature` field, `key_id` included, so the same bytes are signed and
checked on every machine whatever the order of the keys or the spelling of the numbers.

A counter holds the public key as base64 of its raw 32 bytes (`[head_office] signing_key`),
as `counter-hq signing-key create` prints it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from counter_core.chain import FORMAT_JCS, ChainFormatError, canonical_bytes

SIGNATURE, KEY_ID = "signature", "key_id"
PUBLIC_KEY_BYTES = 32


class SignatureError(ValueError):
    """A document that is not signed, or not by the expected key, or altered since; in words."""


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The key's id: the first 16 hex digits of the SHA-256 of its raw 32 bytes."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]


def public_key_text(key: Ed25519PublicKey) -> str:
    """The public key as counters' configuration spells it: base64 of the raw 32 bytes."""
    return base64.b64encode(raw_public_key(key)).decode("ascii")


def load_public_key(text: str) -> Ed25519PublicKey:
    """The public key of its base64 text (SignatureError, in words, when it is not one)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signing key is not base64 text") from None
    if len(raw) != PUBLIC_KEY_BYTES:
        raise SignatureError(
            f"the signing key is {len(raw)} bytes, not the {PUBLIC_KEY_BYTES} of an Ed25519 "
            "public key (as `counter-hq signing-key create` prints it)"
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def signed_bytes(document: Mapping[str, Any]) -> bytes:
    """What the signature covers: the canonical bytes (RFC 8785) without `signature`."""
    fields = {k: v for k, v in document.items() if k != SIGNATURE}
    try:
        return canonical_bytes(fields, FORMAT_JCS)
    except (ChainFormatError, ValueError, TypeError) as exc:
        raise SignatureError(f"the document cannot be canonicalised: {exc}") from None


def sign(document: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The document with `key_id` and `signature` (replacing any it had)."""
    out = {k: v for k, v in document.items() if k not in (SIGNATURE, KEY_ID)}
    out[KEY_ID] = key_id(key.public_key())
    out[SIGNATURE] = base64.b64encode(key.sign(signed_bytes(out))).decode("ascii")
    return out


def verify_document(document: Any, key: Ed25519PublicKey) -> dict[str, Any]:
    """The document without its `signature` when `key` signed exactly it; SignatureError
    (unsigned, another key, altered) otherwise."""
    if not isinstance(document, Mapping):
        raise SignatureError("the document is not a JSON object")
    signature = document.get(SIGNATURE)
    if not isinstance(signature, str) or not signature:
        raise SignatureError("the document is not signed")
    expected = key_id(key)
    if document.get(KEY_ID) != expected:
        raise SignatureError(
            f"the document is signed by key {str(document.get(KEY_ID))[:20]!r}, not by the "
            f"configured key {expected}"
        )
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, signed_bytes(document))
    except (binascii.Error, ValueError, InvalidSignature):
        raise SignatureError(
            "the signature does not match the document (altered since it was signed)"
        ) from None
    return {k: v for k, v in document.items() if k != SIGNATURE}
