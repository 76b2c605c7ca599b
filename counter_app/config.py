"""The counter's TOML configuration, read into frozen dataclasses with clear errors."""

from __future__ import annotations

import ipaddress
import logging
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from counter_app import rating_input
from counter_app.paths import resource_path
from counter_core import settings as hall_settings
from counter_core.periods import DEFAULT_TIME_ZONE
from counter_core.settings import Promise as Promise  # re-exported: the counter names it here
from counter_core.settings import SettingsError
from counter_core.transaction import TransactionType
from counter_core.workdays import DEFAULT_FOLLOW_UP_WORKING_DAYS

log = logging.getLogger(__name__)

LANGUAGES = ("zh_CN", "en")
#: `[voice] language`: the prompts in Chinese, in English, or in both (Chinese first)
VOICE_LANGUAGES = ("zh_CN", "en", "both")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(Exception):
    """A configuration problem, naming the file, the key and what was expected."""


@dataclass(frozen=True)
class HeadOffice:
    url: str | None = None
    token: str | None = None
    token_file: str | None = None
    #: the hall's read-only token for the manager view's hall figures (`counter-hq enroll
    #: --reader`); only the manager's PC holds it, a counter's own token reads its own status
    reader_token: str | None = None
    reader_token_file: str | None = None
    #: how often the counter reports its chain head (an anchor) while head office is reachable
    anchor_interval_s: float = 300.0
    #: plain http:// to a host off loopback is refused unless this is set, knowingly
    allow_plaintext: bool = False
    #: the CA certificate(s) (PEM) to verify head office's certificate against instead of the
    #: system store; resolved against the configuration file's folder
    ca_file: str | None = None
    #: the pinned SHA-256 of head office's certificate (DER), 64 lowercase hex digits
    cert_sha256: str | None = None
    #: head office's Ed25519 public key (base64 of its 32 raw bytes, `counter-hq signing-key
    #: create`): the roster and central settings it serves must verify with it
    signing_key: str | None = None


@dataclass(frozen=True)
class HallServer(HeadOffice):
    """`[hall_server]`: the hall's own counter-hq, which the counter streams its events to as
    it works; the same keys and rules as `[head_office]` (without the reader token)."""

    #: the longest the streamer waits between looks at the log (it is woken at each commit)
    stream_interval_s: float = 4.0


@dataclass(frozen=True)
class Voice:
    """`[voice]`: spoken prompts on the customer side (docs/voice.md); off unless enabled."""

    enabled: bool = False
    #: 0.0 (silent) to 1.0 (the engine's loudest)
    volume: float = 0.8
    #: "zh_CN", "en" or "both" (Chinese, then English)
    language: str = "both"

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages each prompt is said in, in order."""
        return ("zh_CN", "en") if self.language == "both" else (self.language,)


@dataclass(frozen=True)
class Config:
    hall_id: str
    hall_name: str
    counter_id: str
    language: str
    rating_window_s: float
    customer_screen: int | None
    types: tuple[TransactionType, ...]
    default_type: str
    void_grace_s: float = 15.0
    head_office: HeadOffice = field(default_factory=HeadOffice)
    #: None: no hall server (`[hall_server]` absent)
    hall_server: HallServer | None = None
    sync_window: str = "01:00-05:00"
    source: str = "<demo>"
    #: the hall's IANA time zone: every local day and month at the counter is counted in it
    time_zone: str = DEFAULT_TIME_ZONE
    #: what may rate (`[counter] rating_input`, `keypad_device`)
    rating_inputs: rating_input.RatingInputs = field(default_factory=rating_input.RatingInputs)
    #: (type code, its promise) pairs; a type without one shows no promise line
    promises: tuple[tuple[str, Promise], ...] = ()
    #: who keeps the staff accounts: "counter" (the staff commands), or "hall_server" /
    #: "head_office" (the counter's staff commands are then refused)
    roster_managed_by: str = "counter"
    #: `[review] follow_up_working_days`: a poor rating's follow-up is due within this many
    #: working days (好差评), counted on head office's working-day calendar
    follow_up_working_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS
    #: `[settings] managed_by`: "counter" (this TOML), or "head_office" (its signed central
    #: settings, cached, win over the TOML's types, targets, promises, zone, follow-up days),
    #: or "hall_server" (the same documents, relayed by the hall server: `serve --upstream`)
    settings_managed_by: str = "counter"
    #: `[counter] rating_extension_s`: what "need more time" adds to the rating window, once
    #: (0: the customer screen offers no "need more time")
    rating_extension_s: float = 30.0
    #: `[hall] supervision_hotline` (or head office's central settings): the number the
    #: supervision sign prints (监督电话); None: no hotline line
    supervision_hotline: str | None = None
    #: `[hall] name_en`: the hall's English name, beside `name` on the customer screen and
    #: instead of it in an English window
    hall_name_en: str | None = None
    voice: Voice = field(default_factory=Voice)

    @property
    def is_demo(self) -> bool:
        return self.source.endswith("(demo)")

    def hall_name_in(self, language: str) -> str:
        """The hall's name in `language`: `[hall] name_en` in English when it is given."""
        if self.hall_name_en and not language.startswith("zh"):
            return self.hall_name_en
        return self.hall_name

    @property
    def hall_names(self) -> str:
        """Both names, for a bilingual screen ("name · name_en"), or the one given."""
        if self.hall_name_en and self.hall_name_en != self.hall_name:
            return f"{self.hall_name} · {self.hall_name_en}"
        return self.hall_name

    def type_named(self, code: str) -> TransactionType | None:
        return next((t for t in self.types if t.code == code), None)

    def promise_for(self, kind: TransactionType | None) -> Promise | None:
        """The configured promise of a timed type; None for an untimed one or none given."""
        if kind is None or kind.target_s is None:
            return None
        return dict(self.promises).get(kind.code)


# key → (type, required); a table of its own for each section keeps the errors uniform
_SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "hall": {"id": (str, True), "name": (str, True), "name_en": (str, False),
             "time_zone": (str, False), "supervision_hotline": (str, False)},
    "counter": {
        "id": (str, True),
        "language": (str, False),
        "rating_window_s": ((int, float), False),
        "rating_extension_s": ((int, float), False),
        "customer_screen": (int, False),
        "default_type": (str, False),
        "void_grace_s": ((int, float), False),
        "rating_input": (list, False),
        "keypad_device": (str, False),
    },
    # one set of rules with head office's central settings (counter_core.settings)
    "transaction_types": hall_settings.TYPE_SCHEMA,
    "head_office": {"url": (str, False), "token": (str, False), "token_file": (str, False),
                    "reader_token": (str, False), "reader_token_file": (str, False),
                    "anchor_interval_s": ((int, float), False),
                    "allow_plaintext": (bool, False), "ca_file": (str, False),
                    "cert_sha256": (str, False), "signing_key": (str, False)},
    "sync": {"window": (str, False)},
    "roster": {"managed_by": (str, False)},
    "settings": {"managed_by": (str, False)},
    "review": {"follow_up_working_days": (int, False)},
    "voice": {"enabled": (bool, False), "volume": ((int, float), False),
              "language": (str, False)},
}
#: `[hall_server]` takes `[head_office]`'s keys (the same rules: the `server` parser below),
#: with its url required and its stream interval; its reader token (the hall's, from
#: `counter-hq enroll --reader` at the hall server) lets a manager at this counter see the hall
_SCHEMA["hall_server"] = {
    **_SCHEMA["head_office"],
    "url": (str, True), "stream_interval_s": ((int, float), False),
}
ROSTER_MANAGERS = ("counter", "hall_server", "head_office")
SETTINGS_MANAGERS = ("counter", "hall_server", "head_office")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def demo_config_path() -> Path:
    return resource_path("demo_config.toml")


def load(path: Path | None = None) -> Config:
    """Read `path`, or the embedded demo configuration when None."""
    source = path or demo_config_path()
    try:
        # utf-8-sig: Windows Notepad saves UTF-8 with a byte-order mark, which TOML refuses
        data = tomllib.loads(source.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return parse(data, str(source) if path else f"{source} (demo)")
    except ConfigError as exc:
        # the counter's log keeps why it did not start (a plain http:// off loopback, …)
        log.error("configuration refused: %s", exc)
        raise


def parse(data: dict[str, Any], source: str) -> Config:
    def fail(key: str, what: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {what}")

    for section in data:
        if section not in _SCHEMA:
            raise fail(section, f"unknown section; expected one of {', '.join(_SCHEMA)}")

    def table(name: str, value: Any, required: bool = True) -> dict[str, Any]:
        try:
            return hall_settings.check_table(name, value, _SCHEMA[name], required)
        except SettingsError as exc:
            raise fail(exc.key, exc.what) from None

    hall = table("hall", data.get("hall"))
    counter = table("counter", data.get("counter"))
    try:
        types, promises = hall_settings.transaction_types(data.get("transaction_types"))
    except SettingsError as exc:
        raise fail(exc.key, exc.what) from None

    language = counter.get("language", "zh_CN")
    if language not in LANGUAGES:
        raise fail("counter.language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
    window = float(counter.get("rating_window_s", 30))
    if not 5 <= window <= 600:
        raise fail("counter.rating_window_s", f"expected 5 to 600 seconds, got {window:g}")
    extension = float(counter.get("rating_extension_s", 30))
    if not 0 <= extension <= 300:
        raise fail("counter.rating_extension_s",
                   f"expected 0 (no \"need more time\") to 300 seconds, got {extension:g}")
    grace = float(counter.get("void_grace_s", 15))
    if not 0 <= grace <= 120:
        raise fail("counter.void_grace_s", f"expected 0 to 120 seconds, got {grace:g}")
    default_type = counter.get("default_type", types[0].code)
    if default_type not in {t.code for t in types}:
        raise fail("counter.default_type", f"{default_type!r} is not a transaction type code")
    screen = counter.get("customer_screen")
    if screen is not None and screen < 0:
        raise fail("counter.customer_screen", "expected a screen index of 0 or more")

    try:
        sources = rating_input.parse(counter.get("rating_input", list(rating_input.DEFAULT)))
    except rating_input.RatingInputError as exc:
        raise fail("counter.rating_input", str(exc)) from None
    device = counter.get("keypad_device")
    if device is not None and not device.strip():
        raise fail("counter.keypad_device", "expected the keypad's device name, got ''")
    inputs = rating_input.RatingInputs(sources, device.strip() if device else None)

    def server(name: str, raw: Any) -> dict[str, Any]:
        """A server section (`[head_office]`, `[hall_server]`): its keys checked by one set of
        rules (TLS included), as the HeadOffice fields they become."""
        section = table(name, raw, required=False)
        url = section.get("url")
        if url is not None and not re.match(r"^https?://", url):
            raise fail(f"{name}.url", f"expected an http:// or https:// URL, got {url!r}")
        allow_plaintext = bool(section.get("allow_plaintext", False))
        if url is not None and url.lower().startswith("http://") and not allow_plaintext:
            host = urlsplit(url).hostname or ""
            if not is_loopback(host):
                raise fail(f"{name}.url",
                           f"refusing plain HTTP to {host or url!r}: the counter's records and "
                           "its token would cross the network unencrypted; use an https:// URL, "
                           f"or set allow_plaintext = true in [{name}] if you mean it")
        ca_file = section.get("ca_file")
        if ca_file is not None:
            ca_file = _ca_file(ca_file, source, fail)
        pin = section.get("cert_sha256")
        if pin is not None:
            pin = pin.strip().replace(":", "").lower()
            if not _HEX64.match(pin):
                raise fail(f"{name}.cert_sha256",
                           "expected the server certificate's SHA-256 as 64 hex digits (colons "
                           "allowed), as `counter-hq enroll --tls-cert` prints it, got "
                           f"{section['cert_sha256']!r}")
        if section.get("token") and section.get("token_file"):
            raise fail(f"{name}.token_file", "give either token or token_file, not both")
        if section.get("reader_token") and section.get("reader_token_file"):
            raise fail(f"{name}.reader_token_file",
                       "give either reader_token or reader_token_file, not both")
        signing_key = section.get("signing_key")
        if signing_key is not None:
            # only a counter that holds a key loads the cryptography (a start stays light)
            from counter_core.signed import SignatureError, load_public_key

            try:
                load_public_key(signing_key)
            except SignatureError as exc:
                raise fail(f"{name}.signing_key", str(exc)) from None
            signing_key = signing_key.strip()
        anchor_interval = float(section.get("anchor_interval_s", 300))
        if not 1 <= anchor_interval <= 3600:
            raise fail(f"{name}.anchor_interval_s",
                       f"expected 1 to 3600 seconds, got {anchor_interval:g}")
        return {"url": url, "token": section.get("token"),
                "token_file": section.get("token_file"),
                "reader_token": section.get("reader_token"),
                "reader_token_file": section.get("reader_token_file"),
                "anchor_interval_s": anchor_interval, "allow_plaintext": allow_plaintext,
                "ca_file": ca_file, "cert_sha256": pin, "signing_key": signing_key}
    office = HeadOffice(**server("head_office", data.get("head_office")))
    hall_server: HallServer | None = None
    if data.get("hall_server") is not None:
        fields = server("hall_server", data["hall_server"])
        if not fields["token"] and not fields["token_file"]:
            raise fail("hall_server.token", "missing; give token or token_file (from "
                       "`counter-hq enroll` at the hall server)")
        stream_interval = float(data["hall_server"].get("stream_interval_s", 4))
        if not 0.1 <= stream_interval <= 60:
            raise fail("hall_server.stream_interval_s",
                       f"expected 0.1 to 60 seconds, got {stream_interval:g}")
        hall_server = HallServer(**fields, stream_interval_s=stream_interval)
    sync = table("sync", data.get("sync"), required=False)
    sync_window = sync.get("window", "01:00-05:00")
    if not _WINDOW.match(sync_window):
        raise fail("sync.window", f"expected HH:MM-HH:MM, got {sync_window!r}")

    try:
        time_zone = hall_settings.time_zone(hall.get("time_zone", DEFAULT_TIME_ZONE),
                                            "hall.time_zone")
    except SettingsError as exc:
        raise fail(exc.key, exc.what) from None

    roster = table("roster", data.get("roster"), required=False)
    managed_by = roster.get("managed_by", "counter")
    if managed_by not in ROSTER_MANAGERS:
        raise fail("roster.managed_by",
                   f"expected one of {', '.join(ROSTER_MANAGERS)}, got {managed_by!r}")
    if managed_by == "hall_server" and (hall_server is None or not hall_server.url):
        raise fail("roster.managed_by",
                   "\"hall_server\" needs the hall server: add [hall_server] with its url and "
                   "token (the counter caches the hall's roster from it)")

    def signed_by_head_office(key: str, what: str) -> None:
        if not office.url or not (office.token or office.token_file) or not office.signing_key:
            raise fail(key, f"\"head_office\" needs head office: add [head_office] with its "
                       f"url, token and signing_key (the counter verifies and caches {what})")
    if managed_by == "head_office":
        signed_by_head_office("roster.managed_by", "the hall's roster")
    central = table("settings", data.get("settings"), required=False)
    settings_by = central.get("managed_by", "counter")
    if settings_by not in SETTINGS_MANAGERS:
        raise fail("settings.managed_by",
                   f"expected one of {', '.join(SETTINGS_MANAGERS)}, got {settings_by!r}")
    if settings_by == "head_office":
        signed_by_head_office("settings.managed_by", "the hall's central settings")
    if settings_by == "hall_server" and (hall_server is None or not hall_server.url
                                         or not hall_server.signing_key):
        raise fail("settings.managed_by",
                   "\"hall_server\" needs the hall server: add [hall_server] with its url, "
                   "token and signing_key (head office's public key: the hall server relays "
                   "head office's signed settings, which the counter verifies and caches)")

    review = table("review", data.get("review"), required=False)
    try:
        follow_up_days = hall_settings.follow_up_working_days(
            review.get("follow_up_working_days", DEFAULT_FOLLOW_UP_WORKING_DAYS),
            "review.follow_up_working_days")
    except SettingsError as exc:
        raise fail(exc.key, exc.what) from None

    hotline = None
    if "supervision_hotline" in hall:
        try:
            hotline = hall_settings.supervision_hotline(hall["supervision_hotline"],
                                                        "hall.supervision_hotline")
        except SettingsError as exc:
            raise fail(exc.key, exc.what) from None
    spoken = table("voice", data.get("voice"), required=False)
    volume = float(spoken.get("volume", 0.8))
    if not 0 <= volume <= 1:
        raise fail("voice.volume", f"expected 0.0 to 1.0, got {volume:g}")
    voice_language = spoken.get("language", "both")
    if voice_language not in VOICE_LANGUAGES:
        raise fail("voice.language",
                   f"expected one of {', '.join(VOICE_LANGUAGES)}, got {voice_language!r}")
    voice = Voice(enabled=bool(spoken.get("enabled", False)), volume=volume,
                  language=voice_language)

    return Config(
        rating_extension_s=extension, supervision_hotline=hotline, voice=voice,
        roster_managed_by=managed_by, follow_up_working_days=follow_up_days,
        settings_managed_by=settings_by,
        hall_id=hall["id"], hall_name=hall["name"], hall_name_en=hall.get("name_en") or None,
        counter_id=counter["id"], language=language,
        rating_window_s=window, customer_screen=screen, types=types,
        default_type=default_type, void_grace_s=grace,
        head_office=office, hall_server=hall_server,
        sync_window=sync_window, source=source, time_zone=time_zone,
        rating_inputs=inputs, promises=promises,
    )


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: traffic that never leaves the computer."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ca_file(name: str, source: str, fail: Callable[[str, str], ConfigError]) -> str:
    """The CA file's absolute path (relative to the configuration's folder), checked to hold
    at least one PEM certificate."""
    if not name.strip():
        raise fail("head_office.ca_file", "expected the path of a CA certificate file, got ''")
    path = Path(name).expanduser()
    if not path.is_absolute() and not source.endswith("(demo)"):
        path = Path(source).parent / path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail("head_office.ca_file", f"file not found: {path}") from None
    except OSError as exc:
        raise fail("head_office.ca_file", f"cannot read {path}: {exc.strerror or exc}") from None
    import ssl  # only where a CA file is configured: not on every start's path

    try:
        if b"-----BEGIN CERTIFICATE-----" not in data:
            raise ValueError("no certificate")
        ssl.create_default_context(cadata=data.decode("ascii"))
    except (UnicodeDecodeError, ssl.SSLError, ValueError):
        raise fail("head_office.ca_file",
                   f"{path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
                   ) from None
    return str(path.resolve())
