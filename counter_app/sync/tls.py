"""The TLS context of every connection to head office: verification never off, an optional
certificate pin. Imported with the first client, so `ssl` is not loaded at start."""

from __future__ import annotations

import hashlib
import ssl

from counter_app.config import HeadOffice
from counter_app.sync.errors import Untrusted


class PinMismatch(ssl.SSLError):
    """Raised inside the TLS handshake: the peer's certificate is not the pinned one."""

    def __init__(self, presented: str) -> None:
        super().__init__(f"certificate SHA-256 {presented} is not the pinned one")
        self.presented = presented


def tls_context(office: HeadOffice) -> ssl.SSLContext:
    """The one TLS context every connection to head office uses; verification is never off.

    - `ca_file` given: the certificate must chain to it (and name the host);
    - no `ca_file`: the system's trust store (ssl.create_default_context), not certifi;
    - `cert_sha256` given: after the handshake the SHA-256 of the server's certificate (DER)
      must equal it, or the connection is closed before any request (or token) is sent.
      With a pin and no `ca_file`, the pin replaces CA trust: a self-signed certificate that
      matches it is accepted, as one that does not is refused; with both, both must hold.
    """
    try:
        context = ssl.create_default_context(cafile=office.ca_file)
    except (OSError, ssl.SSLError) as exc:  # the file changed since the configuration loaded
        raise Untrusted(f"cannot read the CA file {office.ca_file} ([head_office] ca_file): "
                        f"{exc}") from None
    if office.cert_sha256:
        if not office.ca_file:
            # the pin is the trust: the exact certificate, so no CA chain or name to check
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # both ways a connection is wrapped: a socket, and a memory BIO (TLS through an
        # https:// proxy), so no path skips the pin
        context.sslsocket_class = _pinned_socket(office.cert_sha256)
        context.sslobject_class = _pinned_object(office.cert_sha256)
    return context


def _check_pin(der: bytes | None, pin: str) -> None:
    presented = hashlib.sha256(der).hexdigest() if der else "(none)"
    if presented != pin:
        raise PinMismatch(presented)


def _pinned_socket(pin: str) -> type[ssl.SSLSocket]:
    class PinnedSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            _check_pin(self.getpeercert(binary_form=True), pin)

    return PinnedSocket


def _pinned_object(pin: str) -> type[ssl.SSLObject]:
    class PinnedObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()  # raises SSLWantReadError until the handshake is done
            _check_pin(self.getpeercert(binary_form=True), pin)

    return PinnedObject


def tls_failure(exc: BaseException) -> Untrusted | None:
    """The clear error for a refused certificate somewhere in `exc`'s causes, if any."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, PinMismatch):
            return Untrusted(
                "the server's certificate does not match the pinned fingerprint "
                f"([head_office] cert_sha256): it presented {seen.presented}. Nothing was "
                "sent. If head office has a new certificate, pin the SHA-256 that "
                "`counter-hq enroll --tls-cert` prints for it")
        if isinstance(seen, ssl.SSLCertVerificationError):
            return Untrusted(
                f"the server's certificate is not trusted ({seen.verify_message}): set "
                "[head_office] ca_file to your CA's certificate, or cert_sha256 to the "
                "fingerprint `counter-hq enroll --tls-cert` prints. Nothing was sent")
        seen = seen.__cause__ or seen.__context__
    return None
