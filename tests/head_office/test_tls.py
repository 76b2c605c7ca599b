"""TLS, server side: `counter-hq serve` refuses plain HTTP off loopback unless told
(`--allow-plaintext`), serves HTTPS with `--tls-cert`/`--tls-key`, and `counter-hq enroll`
prints the certificate's SHA-256 for the counter to pin."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from head_office.cli import is_loopback
from tests.helpers.hq import REPO, free_port
from tests.helpers.tls import self_signed

HALL = "SH-0600"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (the docs' openssl line)."""
    return self_signed(tmp_path_factory.mktemp("tls"))


def trusting(pem: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pem))


def der_sha256(pem: Path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.read_text())).hexdigest()


def hq(*args: str, env: dict[str, str] | None = None,
       timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "head_office.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=env)


@contextlib.contextmanager
def serving(db: str, *options: str, scheme: str = "https",
            verify: ssl.SSLContext | bool = False) -> Iterator[tuple[list[str], str]]:
    """The server's URL, and (once stopped) what it printed."""
    printed: list[str] = []
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "head_office.cli", "serve", "--db", db, "--port", str(port),
         "--log-level", "warning", *options],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[1]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v1/health", verify=verify, timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "counter-hq serve did not start"
            time.sleep(0.1)
        yield printed, url
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=20)
        printed.append(out)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "hq.example.com"])
def test_plain_http_off_loopback_is_refused(tmp_path: Path, host: str) -> None:
    done = hq("serve", "--db", f"sqlite:///{tmp_path / 'hq.sqlite'}", "--host", host,
              "--port", str(free_port()), timeout=30)
    assert done.returncode == 2, done
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("counter-hq: refusing to serve plain HTTP") and "--tls-cert" in line
    assert "--allow-plaintext" in line and "Traceback" not in done.stderr


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "hq.example.com", ""))


def test_allow_plaintext_serves_off_loopback_knowingly(tmp_path: Path) -> None:
    with serving(f"sqlite:///{tmp_path / 'hq.sqlite'}", "--host", "0.0.0.0",
                 "--allow-plaintext", scheme="http") as (_printed, url):
        assert httpx.get(f"{url}/api/v1/health").json()["ok"] is True


def test_serve_speaks_tls_with_the_given_certificate(tmp_path: Path,
                                                     cert: tuple[Path, Path]) -> None:
    db = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    with serving(db, "--host", "0.0.0.0", "--tls-cert", str(cert[0]), "--tls-key", str(cert[1]),
                 verify=trusting(cert[0])) as (printed, url):
        assert httpx.get(f"{url}/api/v1/health", verify=trusting(cert[0])).status_code == 200
        with pytest.raises(httpx.ConnectError):  # an unknown CA is not trusted
            httpx.get(f"{url}/api/v1/health")
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as raw, \
                trusting(cert[0]).wrap_socket(raw, server_hostname="localhost") as tls:
            presented = tls.getpeercert(binary_form=True)
        assert presented is not None
    assert f"TLS certificate SHA-256: {der_sha256(cert[0])}" in printed[0]
    assert hashlib.sha256(presented).hexdigest() == der_sha256(cert[0])


def test_enroll_prints_the_certificates_sha256_before_the_token(
    tmp_path: Path, cert: tuple[Path, Path]
) -> None:
    db = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    done = hq("enroll", "--db", db, "--hall", HALL, "--counter", "01", "--tls-cert", str(cert[0]))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any(line.endswith(f"SHA-256 (for the counter's configuration to pin): "
                             f"{der_sha256(cert[0])}") for line in lines[:-1]), lines
    assert len(lines[-1]) >= 40 and " " not in lines[-1]  # the token stays on the last line
    # the same from the environment, for the reader token too
    env = {**os.environ, "COUNTER_HQ_TLS_CERT": str(cert[0])}
    reader = hq("enroll", "--db", db, "--hall", HALL, "--reader", env=env)
    assert reader.returncode == 0, reader.stderr
    assert der_sha256(cert[0]) in reader.stdout
    plain = hq("enroll", "--db", db, "--hall", HALL, "--counter", "02")
    assert plain.returncode == 0 and "SHA-256" not in plain.stdout


def test_tls_mistakes_are_one_line(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    db = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    half = hq("serve", "--db", db, "--tls-cert", str(cert[0]), "--port", str(free_port()))
    assert half.returncode == 2 and "--tls-key" in half.stderr
    (tmp_path / "junk.pem").write_text("not a certificate")
    for args in (("serve", "--tls-cert", str(tmp_path / "junk.pem"), "--tls-key", str(cert[1]),
                  "--port", str(free_port())),
                 ("enroll", "--hall", HALL, "--counter", "01", "--tls-cert",
                  str(tmp_path / "missing.pem"))):
        done = hq(*args, "--db", db)
        assert done.returncode == 2, done
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("counter-hq: cannot read the TLS certificate")
