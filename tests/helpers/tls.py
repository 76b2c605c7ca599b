"""A self-signed certificate for the TLS tests: 127.0.0.1 and localhost, by the openssl line
docs/head_office.md gives."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def self_signed(folder: Path, name: str = "cert") -> tuple[Path, Path]:
    """(certificate, key) as PEM files in `folder`, valid for two days."""
    openssl = shutil.which("openssl")
    assert openssl, "the TLS tests need the openssl command (apt-get install openssl)"
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key
