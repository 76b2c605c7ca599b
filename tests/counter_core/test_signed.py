"""counter_core.signed: Ed25519 over the canonical bytes (RFC 8785) of a document without its
signature; the key id is the first 16 hex digits of the raw public key's SHA-256."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter_core import signed

DOCUMENT = {
    "hall": "SH-0001",
    "version": 3,
    "settings": {"transaction_types": [{"code": "payment", "target_s": 180.0}]},
}


def test_a_signed_document_verifies_whatever_its_key_order_and_number_spelling() -> None:
    key = Ed25519PrivateKey.generate()
    document = signed.sign(DOCUMENT, key)
    assert document["key_id"] == hashlib.sha256(
        signed.raw_public_key(key.public_key())).hexdigest()[:16]
    # through JSON text with another key order, and 180.0 read back as 180
    text = json.dumps(dict(reversed(list(document.items()))))
    again = json.loads(text.replace("180.0", "180"))
    assert signed.verify_document(again, key.public_key()) == {
        k: v for k, v in document.items() if k != "signature"}


def test_a_tampered_field_fails() -> None:
    key = Ed25519PrivateKey.generate()
    document = signed.sign(DOCUMENT, key)
    tampered = copy.deepcopy(document)
    tampered["settings"]["transaction_types"][0]["target_s"] = 900
    with pytest.raises(signed.SignatureError, match="altered"):
        signed.verify_document(tampered, key.public_key())
    added = {**document, "extra": 1}
    with pytest.raises(signed.SignatureError, match="altered"):
        signed.verify_document(added, key.public_key())


def test_another_key_fails() -> None:
    document = signed.sign(DOCUMENT, Ed25519PrivateKey.generate())
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(signed.SignatureError, match="not by the configured key"):
        signed.verify_document(document, other)
    # a forger who copies the expected key id still fails on the signature
    forged = signed.sign(DOCUMENT, Ed25519PrivateKey.generate())
    forged["key_id"] = signed.key_id(other)
    with pytest.raises(signed.SignatureError, match="altered"):
        signed.verify_document(forged, other)


def test_an_unsigned_document_or_a_bad_signature_is_refused_in_words() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(signed.SignatureError, match="not signed"):
        signed.verify_document(DOCUMENT, key.public_key())
    with pytest.raises(signed.SignatureError, match="not a JSON object"):
        signed.verify_document([1, 2], key.public_key())
    bad = {**signed.sign(DOCUMENT, key), "signature": "not base64!"}
    with pytest.raises(signed.SignatureError, match="altered"):
        signed.verify_document(bad, key.public_key())


def test_the_public_key_text_round_trips_and_bad_text_is_refused() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    text = signed.public_key_text(public)
    assert signed.raw_public_key(signed.load_public_key(text)) == signed.raw_public_key(public)
    with pytest.raises(signed.SignatureError, match="base64"):
        signed.load_public_key("not base64 at all!")
    with pytest.raises(signed.SignatureError, match="16 bytes"):
        signed.load_public_key(base64.b64encode(b"x" * 16).decode())
