"""Configuration: the demo loads; every error names the file, the key and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter_app import config as config_module
from counter_app.config import ConfigError, load

BASE = """\
[hall]
id = "SH-0001"
name = "淮海路旗舰店"

[counter]
id = "03"
language = "en"
rating_window_s = 45
customer_screen = 1
default_type = "enquiry"
void_grace_s = 10

[[transaction_types]]
code = "payment"
name_zh = "交费"
name_en = "Payment"
target_s = 180

[[transaction_types]]
code = "enquiry"
name_zh = "咨询"
name_en = "Enquiry"

[head_office]
url = "https://hq.example.com"
token = "secret"

[sync]
window = "02:00-04:30"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "counter.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message  # every error names the file first
    return message


def test_demo_config_loads() -> None:
    config = load()
    assert config.is_demo
    assert config.hall_id and config.counter_id
    assert config.language == "zh_CN"
    assert config.rating_window_s == 30.0
    assert config.default_type == "payment"
    payment = config.type_named("payment")
    assert payment is not None and payment.target_s == 180.0
    assert any(t.target_s is None for t in config.types)  # the demo shows an untimed type
    assert config.type_named("nope") is None


def test_full_config_loads(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    config = load(path)
    assert not config.is_demo
    assert config.source == str(path)
    assert (config.hall_id, config.hall_name) == ("SH-0001", "淮海路旗舰店")
    assert config.counter_id == "03"
    assert (config.language, config.rating_window_s, config.customer_screen) == ("en", 45.0, 1)
    assert config.default_type == "enquiry" and config.void_grace_s == 10.0
    assert [(t.code, t.target_s) for t in config.types] == [("payment", 180.0), ("enquiry", None)]
    assert isinstance(config.types[0].target_s, float)
    assert config.head_office.url == "https://hq.example.com"
    assert config.head_office.token == "secret"
    assert config.sync_window == "02:00-04:30"


def test_minimal_config_defaults(tmp_path: Path) -> None:
    text = ('[hall]\nid = "H"\nname = "N"\n[counter]\nid = "1"\n'
            '[[transaction_types]]\ncode = "a"\nname_zh = "甲"\nname_en = "A"\n')
    config = load(write(tmp_path, text))
    assert config.language == "zh_CN"
    assert config.rating_window_s == 30.0 and config.void_grace_s == 15.0
    assert config.customer_screen is None
    assert config.default_type == "a"
    assert config.head_office.url is None
    assert config.sync_window == "01:00-05:00"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="file not found") as info:
        load(path)
    assert str(path) in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as info:
        load(tmp_path)  # a folder
    assert str(tmp_path) in str(info.value)


def test_invalid_toml(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace('id = "03"', 'id = "03'))
    assert "not valid TOML" in message and "line" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "counter.toml"
    path.write_bytes(BASE.encode("gb18030"))
    with pytest.raises(ConfigError, match="cannot read"):
        load(path)


def test_unknown_section(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE + '\n[printer]\nport = "lpt1"\n')
    assert "printer: unknown section" in message
    for section in config_module._SCHEMA:
        assert section in message  # says what is expected


@pytest.mark.parametrize(
    ("section_line", "key"),
    [("[hall]", "hall.colour"), ("[counter]", "counter.colour"),
     ("[head_office]", "head_office.colour"), ("[sync]", "sync.colour")],
)
def test_unknown_key(tmp_path: Path, section_line: str, key: str) -> None:
    message = error_for(tmp_path, BASE.replace(section_line, f'{section_line}\ncolour = "red"'))
    assert f"{key}: unknown key" in message
    section = key.split(".")[0]
    assert "expected one of" in message
    for known in config_module._SCHEMA[section]:
        assert known in message


def test_unknown_key_in_a_transaction_type(tmp_path: Path) -> None:
    text = BASE.replace('name_en = "Enquiry"', 'name_en = "Enquiry"\ntarget = 60')
    message = error_for(tmp_path, text)
    assert "transaction_types[1].target: unknown key" in message
    assert "target_s" in message


def test_typo_in_a_key_is_caught(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace("rating_window_s", "rating_windows_s"))
    assert "counter.rating_windows_s: unknown key" in message


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        ('id = "03"', "id = 3", "counter.id", "expected a string, got 3"),
        ("rating_window_s = 45", 'rating_window_s = "45"', "counter.rating_window_s",
         "expected a number, got '45'"),
        ("rating_window_s = 45", "rating_window_s = true", "counter.rating_window_s",
         "expected a number, got True"),
        ("customer_screen = 1", "customer_screen = 1.5", "counter.customer_screen",
         "expected a whole number, got 1.5"),
        ("target_s = 180", 'target_s = "3 min"', "transaction_types[0].target_s",
         "expected a number"),
        ('name = "淮海路旗舰店"', "name = []", "hall.name", "expected a string"),
        ('url = "https://hq.example.com"', "url = 1", "head_office.url", "expected a string"),
        ('window = "02:00-04:30"', "window = 2", "sync.window", "expected a string"),
    ],
)
def test_wrong_type(tmp_path: Path, old: str, new: str, key: str, expected: str) -> None:
    assert old in BASE
    message = error_for(tmp_path, BASE.replace(old, new, 1))
    assert f"{key}: {expected}" in message


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('id = "SH-0001"\n', "hall.id", "a string"),
        ('name = "淮海路旗舰店"\n', "hall.name", "a string"),
        ('id = "03"\n', "counter.id", "a string"),
        ('code = "payment"\n', "transaction_types[0].code", "a string"),
        ('name_en = "Enquiry"\n', "transaction_types[1].name_en", "a string"),
    ],
    ids=["hall.id", "hall.name", "counter.id", "type.code", "type.name_en"],
)
def test_missing_required_key(tmp_path: Path, line: str, key: str, expected: str) -> None:
    assert line in BASE
    message = error_for(tmp_path, BASE.replace(line, "", 1))
    assert f"{key}: missing" in message
    assert expected in message, f"does not say what is expected: {message}"


@pytest.mark.parametrize("section", ["hall", "counter"])
def test_missing_required_table(tmp_path: Path, section: str) -> None:
    start = BASE.index(f"[{section}]")
    end = BASE.index("\n\n", start)
    message = error_for(tmp_path, BASE[:start] + BASE[end:])
    assert f"{section}: missing table" in message


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'hall = "SH-0001"\n' + BASE[BASE.index("[counter]"):])
    assert "hall: expected a table" in message


@pytest.mark.parametrize(
    "text",
    [BASE[:BASE.index("[[transaction_types]]")] + BASE[BASE.index("[head_office]"):],
     BASE.replace("[[transaction_types]]", "[transaction_types]", 1).replace(
         '[[transaction_types]]\ncode = "enquiry"\nname_zh = "咨询"\nname_en = "Enquiry"\n', "")],
    ids=["absent", "table-not-array"],
)
def test_transaction_types_required(tmp_path: Path, text: str) -> None:
    message = error_for(tmp_path, text)
    assert "transaction_types: expected at least one [[transaction_types]] table" in message


def test_bad_language(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace('language = "en"', 'language = "fr"'))
    assert "counter.language: expected one of zh_CN, en, got 'fr'" in message


def test_bad_default_type(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace('default_type = "enquiry"', 'default_type = "x"'))
    assert "counter.default_type" in message and "'x'" in message
    assert "not a transaction type code" in message


def test_duplicate_type_code(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace('code = "enquiry"', 'code = "payment"'))
    assert "transaction_types[1].code: duplicate code 'payment'" in message


@pytest.mark.parametrize("target", ["0", "-5"])
def test_non_positive_target(tmp_path: Path, target: str) -> None:
    message = error_for(tmp_path, BASE.replace("target_s = 180", f"target_s = {target}"))
    assert "transaction_types[0].target_s: expected a positive number" in message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [("rating_window_s = 45", "rating_window_s = 4", "counter.rating_window_s"),
     ("rating_window_s = 45", "rating_window_s = 601", "counter.rating_window_s"),
     ("void_grace_s = 10", "void_grace_s = -1", "counter.void_grace_s"),
     ("void_grace_s = 10", "void_grace_s = 121", "counter.void_grace_s"),
     ("customer_screen = 1", "customer_screen = -1", "counter.customer_screen")],
)
def test_out_of_range(tmp_path: Path, old: str, new: str, key: str) -> None:
    message = error_for(tmp_path, BASE.replace(old, new))
    assert f"{key}: expected" in message


@pytest.mark.parametrize(
    "window", ["1:00-5:00", "25:00-05:00", "01:60-05:00", "01:00", "01:00 - 05:00", ""]
)
def test_bad_sync_window(tmp_path: Path, window: str) -> None:
    message = error_for(tmp_path, BASE.replace('window = "02:00-04:30"', f'window = "{window}"'))
    assert f"sync.window: expected HH:MM-HH:MM, got {window!r}" in message


def test_sync_window_across_midnight_is_accepted(tmp_path: Path) -> None:
    config = load(write(tmp_path, BASE.replace("02:00-04:30", "23:30-05:00")))
    assert config.sync_window == "23:30-05:00"


def test_bad_head_office_url(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace("https://hq.example.com", "hq.example.com"))
    assert "head_office.url: expected an http:// or https:// URL" in message


def test_token_and_token_file_together(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace('token = "secret"',
                                               'token = "secret"\ntoken_file = "/etc/t"'))
    assert "head_office.token_file: give either token or token_file" in message


@pytest.mark.parametrize("target", ["inf", "nan", "+inf"])
def test_non_finite_target_is_refused(tmp_path: Path, target: str) -> None:
    """TOML allows inf and nan; a start with such a target could never be recorded."""
    message = error_for(tmp_path, BASE.replace("target_s = 180", f"target_s = {target}"))
    assert "transaction_types[0].target_s: expected a positive number" in message


@pytest.mark.parametrize(
    ("old", "new"),
    [("rating_window_s = 45", "rating_window_s = nan"),
     ("void_grace_s = 10", "void_grace_s = inf")],
)
def test_non_finite_windows_are_refused(tmp_path: Path, old: str, new: str) -> None:
    message = error_for(tmp_path, BASE.replace(old, new))
    assert "expected" in message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [('id = "SH-0001"', 'id = ""', "hall.id"), ('id = "03"', 'id = "  "', "counter.id"),
     ('code = "payment"', 'code = ""', "transaction_types[0].code")],
    ids=["hall.id", "counter.id", "type.code"],
)
def test_empty_identifiers_are_refused(tmp_path: Path, old: str, new: str, key: str) -> None:
    """Ids go into every event and into head office's keys: an empty one is never right."""
    message = error_for(tmp_path, BASE.replace(old, new, 1))
    assert key in message and "expected" in message


# ---- the hall's time zone -----------------------------------------------------------------------

def test_demo_config_names_the_hall_time_zone() -> None:
    assert load().time_zone == "Asia/Shanghai"


def test_time_zone_is_read_and_defaults(tmp_path: Path) -> None:
    text = BASE.replace('name = "淮海路旗舰店"\n',
                        'name = "淮海路旗舰店"\ntime_zone = "Europe/Berlin"\n')
    assert load(write(tmp_path, text)).time_zone == "Europe/Berlin"
    assert load(write(tmp_path, BASE)).time_zone == "Asia/Shanghai"  # the default


@pytest.mark.parametrize("zone", ["Mars/Olympus", "UTC+8", ""])
def test_unknown_time_zone_names_file_and_key(tmp_path: Path, zone: str) -> None:
    text = BASE.replace('name = "淮海路旗舰店"\n', f'name = "淮海路旗舰店"\ntime_zone = "{zone}"\n')
    message = error_for(tmp_path, text)
    assert "hall.time_zone: unknown time zone" in message and "IANA" in message


def test_time_zone_must_be_a_string(tmp_path: Path) -> None:
    text = BASE.replace('name = "淮海路旗舰店"\n', 'name = "淮海路旗舰店"\ntime_zone = 8\n')
    assert "hall.time_zone: expected a string" in error_for(tmp_path, text)


# ---- byte-order mark, rating inputs, promises ---------------------------------------------------


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """Windows Notepad saves UTF-8 with a BOM; TOML alone would refuse the first line."""
    path = tmp_path / "counter.toml"
    path.write_bytes(BASE.encode("utf-8-sig"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    config = load(path)
    assert config.hall_id == "SH-0001" and config.hall_name == "淮海路旗舰店"


def test_rating_input_defaults_to_touch_and_keypad(tmp_path: Path) -> None:
    config = load(write(tmp_path, BASE))
    assert config.rating_inputs.sources == ("touch", "keypad")
    assert config.rating_inputs.keypad_device is None


def test_the_demo_allows_every_rating_input_for_a_one_pc_demo() -> None:
    assert load().rating_inputs.sources == ("touch", "keypad", "mouse", "keys")


def test_rating_input_and_keypad_device_are_read(tmp_path: Path) -> None:
    text = BASE.replace("void_grace_s = 10", 'void_grace_s = 10\nrating_input = ["keypad"]\n'
                        'keypad_device = "USB Rating Keypad"')
    inputs = load(write(tmp_path, text)).rating_inputs
    assert (inputs.sources, inputs.keypad_device) == (("keypad",), "USB Rating Keypad")


@pytest.mark.parametrize(("value", "says"), [
    ('["touch", "keyboard"]', "counter.rating_input: unknown rating input 'keyboard'"),
    ("[]", "counter.rating_input: expected at least one of"),
    ('"touch"', "counter.rating_input: expected a list"),
])
def test_bad_rating_input(tmp_path: Path, value: str, says: str) -> None:
    message = error_for(tmp_path, BASE.replace("void_grace_s = 10",
                                               f"void_grace_s = 10\nrating_input = {value}"))
    assert says in message


def test_empty_keypad_device(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace("void_grace_s = 10",
                                               'void_grace_s = 10\nkeypad_device = " "'))
    assert "counter.keypad_device: expected the keypad's device name" in message


def test_promises_per_type(tmp_path: Path) -> None:
    text = BASE.replace("target_s = 180", 'target_s = 180\npromise_zh = "交费三分钟办结"\n'
                        'promise_en = "Payments in 3 minutes"')
    config = load(write(tmp_path, text))
    payment, enquiry = config.types
    promise = config.promise_for(payment)
    assert promise is not None and (promise.zh, promise.en) == ("交费三分钟办结",
                                                                "Payments in 3 minutes")
    assert config.promise_for(enquiry) is None  # none configured, none made up


def test_no_promise_unless_configured(tmp_path: Path) -> None:
    config = load(write(tmp_path, BASE))
    assert all(config.promise_for(t) is None for t in config.types)


def test_a_promise_needs_both_languages(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace("target_s = 180",
                                               'target_s = 180\npromise_zh = "三分钟办结"'))
    assert "transaction_types[0].promise_en: missing" in message


def test_an_untimed_type_makes_no_promise(tmp_path: Path) -> None:
    text = BASE.replace('name_en = "Enquiry"', 'name_en = "Enquiry"\npromise_zh = "马上"\n'
                        'promise_en = "At once"')
    message = error_for(tmp_path, text)
    assert "transaction_types[1].promise_zh: an untimed type" in message


def test_the_demo_promises_per_timed_type() -> None:
    config = load()
    payment = config.type_named("payment")
    promise = config.promise_for(payment)
    assert promise is not None and promise.en == "Payments done in 3 minutes"
    assert config.promise_for(config.type_named("enquiry")) is None
def test_reader_token_and_reader_token_file_together(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace(
        'token = "secret"',
        'token = "secret"\nreader_token = "r"\nreader_token_file = "/etc/r"'))
    assert ("head_office.reader_token_file: give either reader_token or reader_token_file"
            in message)


def test_the_halls_reader_token_is_read(tmp_path: Path) -> None:
    config = load(write(tmp_path, BASE.replace(
        'token = "secret"', 'token = "secret"\nreader_token_file = "reader.token"')))
    assert config.head_office.reader_token_file == "reader.token"
    assert config.head_office.reader_token is None


# ---- TLS: allow_plaintext, ca_file, cert_sha256 ---------------------------------------------

PIN = "ab" * 32


def with_office(lines: str) -> str:
    return BASE.replace('token = "secret"', f'token = "secret"\n{lines}')


def test_tls_defaults(tmp_path: Path) -> None:
    office = load(write(tmp_path, BASE)).head_office
    assert (office.allow_plaintext, office.ca_file, office.cert_sha256) == (False, None, None)


COLONS = ":".join(PIN[i : i + 2] for i in range(0, 64, 2))


@pytest.mark.parametrize("pin", [PIN, PIN.upper(), COLONS, f"  {PIN.upper()}  "])
def test_a_pin_is_read_without_colons_in_lowercase(tmp_path: Path, pin: str) -> None:
    config = load(write(tmp_path, with_office(f'cert_sha256 = "{pin}"')))
    assert config.head_office.cert_sha256 == PIN


@pytest.mark.parametrize("pin", ["", "ab" * 31, "ab" * 33, "zz" * 32, "sha256:" + PIN])
def test_a_malformed_pin_is_a_clear_error(tmp_path: Path, pin: str) -> None:
    message = error_for(tmp_path, with_office(f'cert_sha256 = "{pin}"'))
    assert "head_office.cert_sha256: expected the server certificate's SHA-256" in message
    assert "counter-hq enroll --tls-cert" in message


def test_a_missing_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    message = error_for(tmp_path, with_office('ca_file = "hq-ca.pem"'))
    assert f"head_office.ca_file: file not found: {tmp_path / 'hq-ca.pem'}" in message


def test_a_ca_file_that_is_no_certificate_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "hq-ca.pem").write_text("not a certificate\n", encoding="utf-8")
    message = error_for(tmp_path, with_office('ca_file = "hq-ca.pem"'))
    assert "head_office.ca_file:" in message and "holds no PEM certificate" in message


def test_an_unreadable_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "folder.pem").mkdir()  # a folder: unreadable as a file, whoever runs the test
    message = error_for(tmp_path, with_office('ca_file = "folder.pem"'))
    assert "head_office.ca_file: cannot read" in message


def test_the_ca_file_is_found_beside_the_configuration(tmp_path: Path) -> None:
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    assert openssl, "this test needs the openssl command"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=hq-ca", "-keyout", str(tmp_path / "k.pem"),
                    "-out", str(tmp_path / "ca.pem")], check=True, capture_output=True)
    relative = load(write(tmp_path, with_office('ca_file = "ca.pem"')))
    assert relative.head_office.ca_file == str((tmp_path / "ca.pem").resolve())
    absolute = load(write(tmp_path, with_office(f'ca_file = "{tmp_path / "ca.pem"}"')))
    assert absolute.head_office.ca_file == relative.head_office.ca_file


def test_allow_plaintext_must_be_true_or_false(tmp_path: Path) -> None:
    message = error_for(tmp_path, with_office('allow_plaintext = "yes"'))
    assert "head_office.allow_plaintext: expected true or false, got 'yes'" in message


@pytest.mark.parametrize("url", ["http://hq.example.com", "http://10.0.0.5", "http://[fe80::1]",
                                 "http://0.0.0.0:8700", "http://localhost.example.com"])
def test_plain_http_off_loopback_needs_allow_plaintext(tmp_path: Path, url: str) -> None:
    text = BASE.replace("https://hq.example.com", url)
    message = error_for(tmp_path, text)
    assert "head_office.url: refusing plain HTTP" in message and "allow_plaintext" in message
    assert load(write(tmp_path, text.replace('token = "secret"',
                                             'token = "secret"\nallow_plaintext = true'))
                ).head_office.allow_plaintext


def test_is_loopback() -> None:
    assert all(config_module.is_loopback(h)
               for h in ("127.0.0.1", "127.255.0.9", "::1", "[::1]", "localhost", "LOCALHOST"))
    assert not any(config_module.is_loopback(h)
                   for h in ("0.0.0.0", "::", "10.0.0.5", "hq.example.com", "128.0.0.1", ""))
