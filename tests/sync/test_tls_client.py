"""TLS, counter side: the counter verifies head office's certificate against `[head_office]
ca_file` or the system store, can pin its SHA-256 (`cert_sha256`, which then replaces CA
trust), and refuses plain http:// off loopback unless `allow_plaintext = true`.

Against a real `counter-hq serve --tls-cert/--tls-key` with an openssl self-signed certificate.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app import cli
from counter_app import config as config_module
from counter_app.config import Config, ConfigError, HeadOffice
from counter_app.sync.protocol import HeadOfficeClient, Untrusted
from counter_app.sync.tls import PinMismatch, tls_context
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader
from tests.head_office.test_tls import der_sha256
from tests.helpers.counter import CounterService
from tests.helpers.hq import REPO, HqServer, day_drafts
from tests.helpers.tls import self_signed
from tests.sync.test_e2e import write_config

HALL = "SH-0001"


def make_cert(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (the docs' openssl line)."""
    return self_signed(folder, name)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    return {"server": make_cert(folder, "server"), "other": make_cert(folder, "other")}


class TlsHqServer(HqServer):
    """HqServer speaking HTTPS; it is ready once its port takes connections."""

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> TlsHqServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "head_office.cli",
                "serve",
                "--db",
                self.db_url,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *self.options,
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"counter-hq serve exited: {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("counter-hq serve did not start within 30 s")


@pytest.fixture(scope="module")
def hq_tls(
    tmp_path_factory: pytest.TempPathFactory, certs: dict[str, tuple[Path, Path]]
) -> Iterator[TlsHqServer]:
    cert, key = certs["server"]
    db = f"sqlite:///{tmp_path_factory.mktemp('hq') / 'hq.sqlite'}"
    server = TlsHqServer(db, options=("--tls-cert", str(cert), "--tls-key", str(key))).start()
    try:
        yield server
    finally:
        server.close()


def counter_setup(server: HqServer, folder: Path, extra: str = "") -> tuple[Path, Config]:
    """A counter's configuration for `server` (with `extra` [head_office] lines) and a day's
    records in its data folder."""
    name = f"tls{time.monotonic_ns() % 10**9}"
    path = write_config(folder / "counter.toml", server.url, server.enroll(HALL, name))
    text = path.read_text(encoding="utf-8").replace('id = "03"', f'id = "{name}"')
    path.write_text(
        text.replace('token_file = "hq.token"\n', f'token_file = "hq.token"\n{extra}'),
        encoding="utf-8",
    )
    config = config_module.load(path)
    service = CounterService(config, folder / "data")
    service.store.append_timed(day_drafts(3))
    service.close()
    return path, config


def sync(config: Config, folder: Path) -> tuple[bool, str | None]:
    service = CounterService(config, folder / "data")
    try:
        with HeadOfficeClient.from_config(config, timeout=10) as client:
            status = Uploader(LocalLog(service.db), client, retry=RetryPolicy(attempts=1)).run()
    finally:
        service.close()
    return status.ok, status.error


def test_sync_succeeds_with_the_ca_file(
    hq_tls: TlsHqServer, tmp_path: Path, certs: dict[str, tuple[Path, Path]]
) -> None:
    shutil.copy(certs["server"][0], tmp_path / "hq-ca.pem")
    _path, config = counter_setup(hq_tls, tmp_path, 'ca_file = "hq-ca.pem"\n')
    assert config.head_office.ca_file == str((tmp_path / "hq-ca.pem").resolve())
    assert sync(config, tmp_path) == (True, None)


def test_without_the_ca_file_the_system_store_does_not_trust_it(
    hq_tls: TlsHqServer, tmp_path: Path
) -> None:
    _path, config = counter_setup(hq_tls, tmp_path)
    ok, error = sync(config, tmp_path)
    assert not ok and error is not None
    assert error.startswith("the server's certificate is not trusted")
    assert "ca_file" in error and "cert_sha256" in error


def test_sync_succeeds_with_a_matching_pin_and_no_ca(
    hq_tls: TlsHqServer, tmp_path: Path, certs: dict[str, tuple[Path, Path]]
) -> None:
    pin = der_sha256(certs["server"][0]).upper()
    colons = ":".join(pin[i : i + 2] for i in range(0, 64, 2))  # as openssl -fingerprint shows
    _path, config = counter_setup(hq_tls, tmp_path, f'cert_sha256 = "{colons}"\n')
    assert config.head_office.cert_sha256 == der_sha256(certs["server"][0])
    assert sync(config, tmp_path) == (True, None)


def test_a_matching_pin_with_the_ca_file_also_succeeds(
    hq_tls: TlsHqServer, tmp_path: Path, certs: dict[str, tuple[Path, Path]]
) -> None:
    extra = f'ca_file = "{certs["server"][0]}"\ncert_sha256 = "{der_sha256(certs["server"][0])}"\n'
    _path, config = counter_setup(hq_tls, tmp_path, extra)
    assert sync(config, tmp_path) == (True, None)


@pytest.mark.parametrize("with_ca", [False, True])
def test_a_wrong_pin_is_refused_before_anything_is_sent(
    hq_tls: TlsHqServer, tmp_path: Path, certs: dict[str, tuple[Path, Path]], with_ca: bool
) -> None:
    wrong = der_sha256(certs["other"][0])
    extra = f'cert_sha256 = "{wrong}"\n'
    if with_ca:  # the CA vouches for the server, the pin still decides
        extra += f'ca_file = "{certs["server"][0]}"\n'
    _path, config = counter_setup(hq_tls, tmp_path, extra)
    ok, error = sync(config, tmp_path)
    assert not ok and error is not None
    assert error.startswith("the server's certificate does not match the pinned fingerprint")
    assert der_sha256(certs["server"][0]) in error  # what it presented, to compare
    who = hq_tls.store.counter(HALL, config.counter_id)
    assert who is not None and who.hw_seq == 0
    with (
        HeadOfficeClient.from_config(config, timeout=10) as client,
        pytest.raises(Untrusted, match="pinned fingerprint"),
    ):
        client.status()


def test_with_a_ca_file_the_ca_must_vouch_even_when_the_pin_matches(
    hq_tls: TlsHqServer, tmp_path: Path, certs: dict[str, tuple[Path, Path]]
) -> None:
    """With a ca_file the CA must vouch too: another CA, a right pin, is still refused."""
    extra = f'ca_file = "{certs["other"][0]}"\ncert_sha256 = "{der_sha256(certs["server"][0])}"\n'
    _path, config = counter_setup(hq_tls, tmp_path, extra)
    ok, error = sync(config, tmp_path)
    assert not ok and error is not None and error.startswith("the server's certificate is not")


def test_counter_app_sync_prints_the_clear_message(
    hq_tls: TlsHqServer,
    tmp_path: Path,
    certs: dict[str, tuple[Path, Path]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, _config = counter_setup(
        hq_tls, tmp_path, f'cert_sha256 = "{der_sha256(certs["other"][0])}"\n'
    )
    common = ["--config", str(path), "--data-dir", str(tmp_path / "data"), "--now"]
    assert cli.main(["sync", *common, "--attempts", "1"]) == 1
    err = capsys.readouterr().err
    assert "sync FAILED: the server's certificate does not match the pinned fingerprint" in err
    assert "Traceback" not in err
    # fixed with the right pin, the same command syncs
    text = path.read_text(encoding="utf-8").replace(
        der_sha256(certs["other"][0]), der_sha256(certs["server"][0])
    )
    path.write_text(text, encoding="utf-8")
    assert cli.main(["sync", *common]) == 0
    assert "OK:" in capsys.readouterr().out


def test_counter_app_sync_with_a_missing_ca_file_is_a_config_error(
    hq_tls: TlsHqServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _config = counter_setup(hq_tls, tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'token_file = "hq.token"\n', 'token_file = "hq.token"\nca_file = "gone.pem"\n'
        ),
        encoding="utf-8",
    )
    assert (
        cli.main(["sync", "--config", str(path), "--data-dir", str(tmp_path / "data"), "--now"])
        == 2
    )
    err = capsys.readouterr().err
    assert "head_office.ca_file: file not found" in err and "gone.pem" in err
    assert "Traceback" not in err


# ---- plain http:// ------------------------------------------------------------------------


def write(tmp_path: Path, head_office: str) -> Path:
    path = tmp_path / "counter.toml"
    path.write_text(
        '[hall]\nid = "H"\nname = "N"\n[counter]\nid = "1"\n'
        '[[transaction_types]]\ncode = "a"\nname_zh = "甲"\nname_en = "A"\n'
        f'[head_office]\ntoken = "t"\n{head_office}',
        encoding="utf-8",
    )
    return path


def test_plain_http_off_loopback_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config_module.load(write(tmp_path, 'url = "http://10.0.0.5:8700"\n'))
    message = str(caught.value)
    assert message.startswith(
        f"{tmp_path / 'counter.toml'}: head_office.url: refusing plain HTTP to '10.0.0.5'"
    )
    assert "https://" in message and "allow_plaintext = true" in message


def test_plain_http_off_loopback_is_accepted_with_allow_plaintext(tmp_path: Path) -> None:
    config = config_module.load(
        write(tmp_path, 'url = "http://10.0.0.5:8700"\nallow_plaintext = true\n')
    )
    assert config.head_office.allow_plaintext and config.head_office.url == "http://10.0.0.5:8700"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8700",
        "http://127.3.2.1",
        "http://[::1]:8700",
        "http://localhost:8700",
        "http://LocalHost.",
    ],
)
def test_plain_http_on_loopback_is_accepted(tmp_path: Path, url: str) -> None:
    assert config_module.load(write(tmp_path, f'url = "{url}"\n')).head_office.url == url


def test_plain_http_sync_on_loopback_works(hq_sqlite: HqServer, tmp_path: Path) -> None:
    _path, config = counter_setup(hq_sqlite, tmp_path)
    assert config.head_office.url is not None and config.head_office.url.startswith("http://")
    assert sync(config, tmp_path) == (True, None)


def test_the_embedded_demo_config_stays_valid() -> None:
    demo = config_module.load()
    assert not demo.head_office.allow_plaintext
    assert demo.head_office.ca_file is None and demo.head_office.cert_sha256 is None


def bio_handshake(context: ssl.SSLContext, port: int) -> None:
    """A TLS handshake over memory BIOs (how a connection through an https:// proxy is
    wrapped), to counter-hq."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
        while True:
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                if pending := outgoing.read():
                    sock.sendall(pending)
                incoming.write(sock.recv(65536))


def test_the_pin_holds_through_a_proxy_too(
    hq_tls: TlsHqServer, certs: dict[str, tuple[Path, Path]]
) -> None:
    right = tls_context(HeadOffice(cert_sha256=der_sha256(certs["server"][0])))
    bio_handshake(right, hq_tls.port)
    wrong = tls_context(HeadOffice(cert_sha256=der_sha256(certs["other"][0])))
    with pytest.raises(PinMismatch):
        bio_handshake(wrong, hq_tls.port)


def test_the_hall_figures_use_the_same_tls_settings(
    hq_tls: TlsHqServer, tmp_path: Path, certs: dict[str, tuple[Path, Path]]
) -> None:
    """The manager view's hall panel reads through the same client: a wrong pin refuses it with
    the same message (shown in the panel), a right one reads the hall."""
    from dataclasses import replace

    from head_office.access import enroll_reader

    reader = enroll_reader(hq_tls.store, HALL)
    _path, config = counter_setup(
        hq_tls, tmp_path, f'cert_sha256 = "{der_sha256(certs["other"][0])}"\n'
    )
    wrong = replace(config, head_office=replace(config.head_office, reader_token=reader))
    with (
        HeadOfficeClient.from_config(wrong, timeout=10) as client,
        pytest.raises(Untrusted, match="does not match the pinned fingerprint"),
    ):
        client.hall()
    right = replace(
        wrong, head_office=replace(wrong.head_office, cert_sha256=der_sha256(certs["server"][0]))
    )
    with HeadOfficeClient.from_config(right, timeout=10) as client:
        assert isinstance(client.hall(), dict)
