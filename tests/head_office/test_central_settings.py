"""Central settings at head office, with a real `counter-hq serve` and the real command line:
`settings set` checks a file by the counter's own rules and stores the hall's next version;
`GET /api/v1/hall/settings` serves the latest, signed, with ETag / If-None-Match; another
hall's token never reads it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from counter_app import config as counter_config
from counter_core import signed
from head_office.access import enroll_reader
from head_office.web import audit
from tests.helpers.hq import REPO, HqServer, running_server

HALL, OTHER = "SH-0001", "BJ-0002"
SETTINGS = """\
time_zone = "Asia/Urumqi"
follow_up_working_days = 7

[[transaction_types]]
code = "payment"
name_zh = "缴费"
name_en = "Payment"
target_s = 240
promise_zh = "四分钟内办结"
promise_en = "Done within four minutes"

[[transaction_types]]
code = "enquiry"
name_zh = "咨询"
name_en = "Enquiry"
"""


def hq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "head_office.cli", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=60)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HqServer, str]]:
    folder = tmp_path_factory.mktemp("central")
    key_file = folder / "signing.pem"
    public = hq("signing-key", "create", str(key_file)).stdout.strip()
    with running_server(f"sqlite:///{folder / 'hq.sqlite'}",
                        "--signing-key", str(key_file)) as server:
        yield server, public


def settings_set(server: HqServer, hall: str, text: str, folder: Path
                 ) -> subprocess.CompletedProcess[str]:
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return hq("settings", "set", "--hall", hall, "--file", str(path), "--db", server.db_url)


def get(server: HqServer, token: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/hall/settings",
                     headers={"Authorization": f"Bearer {token}", **headers})


def test_set_then_get_signed_with_an_etag_and_a_304(keyed: tuple[HqServer, str],
                                                     tmp_path: Path) -> None:
    server, public = keyed
    token = server.enroll(HALL, "C01")
    done = settings_set(server, HALL, SETTINGS, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "settings version 1" in done.stdout
    answer = get(server, token)
    assert answer.status_code == 200
    body = signed.verify_document(answer.json(), signed.load_public_key(public))
    assert body["hall"] == HALL and body["version"] == 1
    assert body["settings"]["time_zone"] == "Asia/Urumqi"
    assert body["settings"]["follow_up_working_days"] == 7
    payment = body["settings"]["transaction_types"][0]
    assert (payment["code"], payment["target_s"], payment["promise_en"]) == (
        "payment", 240, "Done within four minutes")
    assert "target_s" not in body["settings"]["transaction_types"][1]
    etag = answer.headers["ETag"]
    assert get(server, token, **{"If-None-Match": etag}).status_code == 304

    # a new version: the old ETag gets the new document
    again = settings_set(server, HALL, SETTINGS.replace("240", "300"), tmp_path)
    assert again.returncode == 0 and "settings version 2" in again.stdout
    newer = get(server, token, **{"If-None-Match": etag})
    assert newer.status_code == 200 and newer.json()["version"] == 2
    assert newer.json()["settings"]["transaction_types"][0]["target_s"] == 300
    shown = hq("settings", "show", "--hall", HALL, "--db", server.db_url)
    assert shown.returncode == 0 and '"version": 2' in shown.stdout
    entries = list(audit.entries(server.store.engine, action=audit.ADMIN_CHANGE))
    assert any(e["target"] == f"settings {HALL}" and "version 2" in e["detail"]
               for e in entries)


def test_another_halls_token_reads_neither_this_halls_settings_nor_any(
        keyed: tuple[HqServer, str], tmp_path: Path) -> None:
    server, _ = keyed
    assert settings_set(server, HALL, SETTINGS, tmp_path).returncode == 0
    other = server.enroll(OTHER, "C01")
    none_yet = get(server, other)
    assert none_yet.status_code == 404 and OTHER in none_yet.json()["detail"]
    asked = httpx.get(f"{server.url}/api/v1/hall/settings", params={"hall": HALL},
                      headers={"Authorization": f"Bearer {other}"})
    assert asked.status_code == 403
    reader = enroll_reader(server.store, HALL)
    assert get(server, reader).status_code == 403
    assert get(server, "not-a-token").status_code == 401


@pytest.mark.parametrize(("text", "words"), [
    (SETTINGS.replace("target_s = 240\n", ""), "untimed type (no target_s) makes no promise"),
    (SETTINGS.replace('code = "enquiry"', 'code = "payment"'), "duplicate code 'payment'"),
    (SETTINGS.replace("Asia/Urumqi", "Mars/Olympus"), "time_zone"),
    (SETTINGS.replace("= 7", "= 0"), "expected 1 to 60 working days"),
    ("colour = 'red'\n" + SETTINGS, "unknown key"),
    ("time_zone = \n", "not valid TOML"),
])
def test_a_file_the_counter_would_refuse_is_refused_in_the_same_words(
        keyed: tuple[HqServer, str], tmp_path: Path, text: str, words: str) -> None:
    server, _ = keyed
    done = settings_set(server, "SH-0009", text, tmp_path)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert hq("settings", "show", "--hall", "SH-0009", "--db", server.db_url).returncode == 2


def test_the_rules_are_the_counters_own() -> None:
    """The same bad type in a counter's TOML is refused with the same sentence."""
    import tomllib

    types = tomllib.loads(SETTINGS.replace("target_s = 240\n", ""))["transaction_types"]
    data = {"hall": {"id": HALL, "name": "Hall"}, "counter": {"id": "C01"},
            "transaction_types": types}
    with pytest.raises(counter_config.ConfigError,
                       match=r"transaction_types\[0\]\.promise_zh: an untimed type"):
        counter_config.parse(data, "counter.toml")
