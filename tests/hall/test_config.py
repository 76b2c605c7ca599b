"""`[hall_server]` in the counter's configuration: `[head_office]`'s keys and rules (one
parser for both), its own token, and no hall server when the table is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter_app.config import HallServer, load
from counter_app.sync.hall_client import hall_client, hall_config
from counter_app.sync.protocol import SyncError
from tests.counter_app.test_config import BASE, error_for, write


def test_a_hall_server_with_a_token_file_beside_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "hall.token").write_text("hall-secret\n", encoding="utf-8")
    config = load(write(tmp_path, BASE + '[hall_server]\nurl = "https://hall-pc:8700"\n'
                                        'token_file = "hall.token"\nstream_interval_s = 0.5\n'))
    assert config.hall_server == HallServer("https://hall-pc:8700", token_file="hall.token",
                                            stream_interval_s=0.5)
    # the nightly sync's head office is untouched; the stream's client has the hall's token
    assert config.head_office.url == "https://hq.example.com"
    assert hall_config(config).head_office is config.hall_server
    with hall_client(config) as client:
        assert client._http.headers["Authorization"] == "Bearer hall-secret"
        assert str(client._http.base_url) == "https://hall-pc:8700"


def test_no_hall_server_without_the_table(tmp_path: Path) -> None:
    config = load(write(tmp_path, BASE))
    assert config.hall_server is None
    with pytest.raises(SyncError, match=r"\[hall_server\]"):
        hall_client(config)


@pytest.mark.parametrize(("table", "key", "says"), [
    ('token = "t"\n', "hall_server.url", "missing"),
    ('url = "ftp://x"\ntoken = "t"\n', "hall_server.url", "http:// or https://"),
    ('url = "https://x"\n', "hall_server.token", "token or token_file"),
    ('url = "https://x"\ntoken = "t"\ntoken_file = "f"\n', "hall_server.token_file",
     "not both"),
    ('url = "http://127.0.0.1:8700"\ntoken = "t"\nreader_token = "r"\nreader_token_file = "f"\n',
     "hall_server.reader_token_file", "not both"),
    ('url = "https://x"\ntoken = "t"\nstream_interval_s = 0\n', "hall_server.stream_interval_s",
     "0.1 to 60"),
    ('url = "https://x"\ntoken = "t"\nanchor_interval_s = 0\n', "hall_server.anchor_interval_s",
     "1 to 3600"),
])
def test_a_bad_hall_server_table_names_the_key(tmp_path: Path, table: str, key: str,
                                               says: str) -> None:
    message = error_for(tmp_path, BASE + "[hall_server]\n" + table)
    assert f": {key}: " in message and says in message, message


def test_an_unreadable_hall_token_file_names_the_hall_server(tmp_path: Path) -> None:
    config = load(write(tmp_path, BASE + '[hall_server]\nurl = "https://hall-pc:8700"\n'
                                        'token_file = "missing.token"\n'))
    with pytest.raises(SyncError, match="hall server token file"):
        hall_client(config)
