"""Head office's signing key: `counter-hq signing-key create` writes a 0600 PEM file and prints
the public key; `serve --signing-key` signs the roster it serves, and it verifies."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from counter_core import signed
from head_office import roster
from tests.helpers.hq import REPO, running_server


def hq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "head_office.cli", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=60)


def test_signing_key_create_writes_an_owner_only_file_and_prints_the_public_key(
        tmp_path: Path) -> None:
    path = tmp_path / "hq-signing.pem"
    done = hq("signing-key", "create", str(path))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    public = done.stdout.strip()
    signed.load_public_key(public)  # base64 of 32 raw bytes
    shown = hq("signing-key", "show", str(path))
    assert shown.returncode == 0 and shown.stdout.strip() == public
    again = hq("signing-key", "create", str(path))  # never overwrites a key counters trust
    assert again.returncode == 2 and "exists" in again.stderr
    assert "Traceback" not in again.stderr
    missing = hq("signing-key", "show", str(tmp_path / "nope.pem"))
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_serve_refuses_a_key_file_that_is_not_a_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("hello\n")
    done = hq("serve", "--db", f"sqlite:///{tmp_path / 'hq.sqlite'}", "--signing-key", str(bad))
    assert done.returncode == 2
    assert "--signing-key" in done.stderr and "Traceback" not in done.stderr


def test_the_served_roster_is_signed_and_verifies(tmp_path: Path) -> None:
    key_file = tmp_path / "hq-signing.pem"
    public = signed.load_public_key(hq("signing-key", "create", str(key_file)).stdout.strip())
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}",
                        "--signing-key", str(key_file)) as server:
        token = server.enroll("SH-0001", "C01")
        roster.add(server.store, "SH-0001", "1001", "Li Na", "staff", "2468", None)
        answer = httpx.get(f"{server.url}/api/v1/hall/roster",
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        document = answer.json()
        assert document["key_id"] == signed.key_id(public)
        body = signed.verify_document(document, public)
        assert [a["number"] for a in body["accounts"]] == ["1001"]
        document["accounts"][0]["role"] = "manager"
        try:
            signed.verify_document(document, public)
        except signed.SignatureError:
            pass
        else:
            raise AssertionError("a roster with a changed role verified")
        unchanged = httpx.get(f"{server.url}/api/v1/hall/roster",
                              headers={"Authorization": f"Bearer {token}",
                                       "If-None-Match": answer.headers["ETag"]})
        assert unchanged.status_code == 304
