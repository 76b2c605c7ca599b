"""The `counter-hq` command line: serve, enroll, revoke, incident, user, report, staff,
settings, signing-key."""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import logging
import os
import ssl
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from counter_core import periods
from head_office.access import check_kind, enroll_desk, enroll_reader, revoke_reader
from head_office.closing import DEFAULT_GRACE_DAYS, MAX_GRACE_DAYS
from head_office.deps import MAX_CONCURRENT_UPLOADS
from head_office.middleware import BODY_TIMEOUT_S
from head_office.schema import COUNTER_KIND, DESK_KIND, KINDS, SchemaError
from head_office.store import DEFAULT_DB_URL, PENDING_REPORT_DAYS, Store
from head_office.web.sessions import WebSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from head_office.alerts import AlertConfig
    from head_office.leader import Leadership
    from head_office.upstream import Upstream
    from head_office.webhooks import Webhook

ENV_DB = "COUNTER_HQ_DB"
ENV_TIME_ZONE = "COUNTER_HQ_TIME_ZONE"
ENV_TLS_CERT = "COUNTER_HQ_TLS_CERT"
ENV_TLS_KEY = "COUNTER_HQ_TLS_KEY"
#: `serve --workers N`: the parsed options, as JSON, from which each worker rebuilds the app
ENV_SERVE_OPTIONS = "COUNTER_HQ_SERVE_OPTIONS"
REPORTS = ("stars", "overtime", "service-level", "chains", "incidents", "halls", "pending",
           "refusals")
#: `report pending`: reviews held pending, naming a transaction no chain has brought yet
PENDING_COLUMNS = ("hall", "counter", "seq", "kind", "txn", "received_at")


STAFF_ACTIONS = ("add", "pin", "role", "disable", "enable", "purge", "list", "verify")
STAFF_COLUMNS = ("number", "name", "role", "disabled")


class CliError(Exception):
    """A problem to print as one line on stderr, with exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="counter-hq", description="Counter App head office: receive, verify and report.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: Callable[[argparse.Namespace, Store], int],
                help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", default=os.environ.get(ENV_DB, DEFAULT_DB_URL), metavar="URL",
                       help=f"database URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB "
                            f"(default: ${ENV_DB} or {DEFAULT_DB_URL})")
        p.set_defaults(handler=handler)
        return p

    def time_zone_option(p: argparse.ArgumentParser, *aliases: str) -> None:
        p.add_argument("--time-zone", *aliases, dest="time_zone", metavar="ZONE",
                       default=os.environ.get(ENV_TIME_ZONE) or periods.DEFAULT_TIME_ZONE,
                       help="the halls' IANA time zone, in which every day and month is "
                            f"counted (default: ${ENV_TIME_ZONE} or "
                            f"{periods.DEFAULT_TIME_ZONE}; never the server's own zone)")

    def tls_cert_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--tls-cert", "--ssl-certfile", dest="tls_cert", metavar="FILE",
                       default=os.environ.get(ENV_TLS_CERT) or None,
                       help=f"the server's TLS certificate (PEM) (default: ${ENV_TLS_CERT})")

    serve = command("serve", _serve, "run the head office HTTP server")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; any other address "
                            "needs --tls-cert/--tls-key or --allow-plaintext)")
    serve.add_argument("--port", type=int, default=8700, help="port (default 8700)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="worker processes (default 1); more than 1 needs a PostgreSQL "
                            "--db, and the alert loop and webhooks run in one of them (see "
                            "docs/head_office.md)")
    tls_cert_option(serve)
    serve.add_argument("--tls-key", "--ssl-keyfile", dest="tls_key", metavar="FILE",
                       default=os.environ.get(ENV_TLS_KEY) or None,
                       help=f"TLS private key (PEM) (default: ${ENV_TLS_KEY})")
    serve.add_argument("--allow-plaintext", action="store_true",
                       help="listen without TLS on an address other than loopback (only "
                            "behind a TLS proxy on a trusted network)")
    serve.add_argument("--body-timeout", type=float, default=BODY_TIMEOUT_S, metavar="S",
                       help="a request body that makes no progress for S seconds is refused "
                            f"(408) (default {BODY_TIMEOUT_S:g})")
    serve.add_argument("--max-uploads", type=int, default=MAX_CONCURRENT_UPLOADS, metavar="N",
                       help="uploads processed at once; more get 429 and retry later "
                            f"(default {MAX_CONCURRENT_UPLOADS})")
    serve.add_argument("--log-level", default="info",
                       choices=("critical", "error", "warning", "info", "debug"))
    time_zone_option(serve)
    serve.add_argument("--alert-config", metavar="FILE",
                       help="the alerts' rules (TOML: thresholds, quiet rules, language, "
                            "delivery, [[webhook]] tables; see docs/alerts.md); without it "
                            "the defaults")
    serve.add_argument("--alert-webhook", action="append", default=[], metavar="URL",
                       help="POST every alert to URL (repeatable); after # the webhook's own "
                            "options: URL#kinds=overtime,poor_rating&format=wecom&secret=SEC "
                            "(kinds: overtime, poor_rating, not_reporting; default all)")
    serve.add_argument("--alert-format", choices=("generic", "wecom", "dingtalk"),
                       default="generic",
                       help="the body of every --alert-webhook that names no format=: a "
                            "generic JSON object (default), or a WeCom or DingTalk group "
                            "robot's text message")
    serve.add_argument("--alert-secret", metavar="SECRET",
                       help="the DingTalk robot's signing secret (SEC…) for every dingtalk "
                            "--alert-webhook that names no secret=")
    serve.add_argument("--session-idle-min", type=float, default=30.0, metavar="MIN",
                       help="a web session ends after MIN minutes without a request "
                            "(default 30; 12 hours is the limit in any case)")
    serve.add_argument("--audit-retention-days", type=int, default=200, metavar="DAYS",
                       help="audit entries older than DAYS are purged daily (default 200; "
                            "at least 183)")
    serve.add_argument("--close-grace-days", type=int, default=DEFAULT_GRACE_DAYS,
                       metavar="N",
                       help="an hq login may close a month on the web N days after it ends "
                            f"(default {DEFAULT_GRACE_DAYS}; 0 to {MAX_GRACE_DAYS}); closing "
                            "earlier is refused")
    serve.add_argument("--staff-retention-days", type=int, default=365, metavar="DAYS",
                       help="staff-level pages show a clerk disabled (departed) more than "
                            "DAYS ago as \"former staff #N\", without the name (default 365; "
                            "0: as soon as disabled); the figures and chains keep the number")
    serve.add_argument("--signing-key", metavar="FILE",
                       help="head office's Ed25519 private key (`counter-hq signing-key "
                            "create`): the roster and the central settings served are signed "
                            "with it, and counters holding its public key verify them")
    serve.add_argument("--pdf-font", metavar="PATH",
                       help="a TTF/TTC/OTF font with Chinese glyphs for the monthly report's "
                            "PDF (default: the first found of fonts-wqy-microhei's, Noto CJK's, "
                            "Windows' msyh.ttc); without one, the PDF answers no_pdf_font")
    serve.add_argument("--upstream", metavar="URL",
                       help="at a hall server: head office's URL, to relay its signed roster "
                            "and settings and its calendar for the hall (docs/hall.md); needs "
                            "--upstream-token-file and --upstream-key")
    serve.add_argument("--upstream-token-file", metavar="FILE",
                       help="the hall server's token at head office (`counter-hq enroll --hall "
                            "H --counter hall-server --kind desk` there)")
    serve.add_argument("--upstream-key", metavar="KEY",
                       help="head office's public signing key (base64, as `counter-hq "
                            "signing-key create` prints it): what is relayed must verify")
    serve.add_argument("--upstream-ca", metavar="FILE",
                       help="the CA (or self-signed) certificate head office's TLS certificate "
                            "is checked against (default: the system's)")
    serve.add_argument("--upstream-interval", type=float, default=300.0, metavar="S",
                       help="how often the hall server pulls from head office (default 300 s)")
    serve.add_argument("--trusted-proxy", action="append", default=[], metavar="IP",
                       help="a reverse proxy whose X-Forwarded-For (and X-Forwarded-Proto) "
                            "names the client; repeatable (default: none, the socket's "
                            "address counts)")

    for name, handler, text in (
        ("enroll", _enroll, "enrol a counter (or the hall's reader); prints its new token on "
                            "the last line"),
        ("revoke", _revoke, "stop a counter's (or the hall reader's) token from working"),
    ):
        p = command(name, handler, text)
        p.add_argument("--hall", required=True, metavar="ID")
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--counter", metavar="ID")
        who.add_argument("--reader", action="store_true",
                         help="the hall's read-only token for its figures (GET /api/v1/hall); "
                              "a counter's own token reads its own status only")
        if name == "enroll":
            p.add_argument("--kind", choices=KINDS, default=COUNTER_KIND,
                           help="with --counter: a service counter (default), or the hall's "
                                "desk (the duty manager's PC): a desk uploads its own chain "
                                "and reads its hall (figures, presence), and is never counted "
                                "as a counter")
            p.add_argument("--new-history", action="store_true",
                           help="the counter's database was replaced: keep the events held so "
                                "far under COUNTER~TIME and accept a chain starting again at 1")
            tls_cert_option(p)

    incident = command("incident", _incident,
                       "record an operator's account of an incident (see report incidents): "
                       "explained (an honest cause, such as a restored backup) or resolved")
    incident.add_argument("action", choices=("explain", "resolve", "reopen"))
    incident.add_argument("--id", type=int, required=True, metavar="N",
                          help="the incident's id (the id column of report incidents)")
    incident.add_argument("--reason", required=True, metavar="TEXT",
                          help="why: what happened, and what was checked")
    incident.add_argument("--by", required=True, metavar="NAME", help="who explains it")

    month = command("month", _month,
                    "close a month (freeze each hall's figures and star as published; late "
                    "uploads are shown beside them as a restatement) or list the closed ones")
    month.add_argument("action", choices=("close", "list"))
    month.add_argument("month", nargs="?", metavar="YYYY-MM", help="close: the month")
    month.add_argument("--hall", metavar="ID", help="close: only this hall (default: every "
                                                     "hall not closed yet)")
    month.add_argument("--by", default="cli", metavar="NAME",
                       help="close: who closes it (default cli)")
    month.add_argument("--grace-days", type=int, default=DEFAULT_GRACE_DAYS, metavar="N",
                       help=f"close: refused before N days after the month ends (default "
                            f"{DEFAULT_GRACE_DAYS}, as serve --close-grace-days)")
    time_zone_option(month)

    user = command("user", _user,
                   "web logins: add (role hq sees every hall; role hall sees its --hall ones, "
                   "several for a regional manager), list, disable, enable, password")
    user.add_argument("action", choices=("add", "list", "disable", "enable", "password"))
    user.add_argument("--login", metavar="LOGIN")
    user.add_argument("--role", choices=("hq", "hall"))
    user.add_argument("--hall", action="append", default=[], metavar="ID",
                      help="a hall the login sees (repeat for several)")
    user.add_argument("--password-stdin", action="store_true",
                      help="read the password from the first line of standard input")
    calendar = command("calendar", _calendar,
                       "set or show the working-day calendar (public holidays and make-up "
                       "working days, 调休) follow-up deadlines are counted on")
    calendar.add_argument("action", choices=("set", "show"))
    calendar.add_argument("--file", metavar="F",
                          help="set: a TOML calendar file ([calendar.YYYY] holidays = [...] "
                               "workdays = [...]); each year it names replaces that year")
    staff = command("staff", _staff,
                    "the hall's staff roster, which every counter of the hall with "
                    "[roster] managed_by = \"hall_server\" caches (each change is an entry of "
                    "the roster's own hash-chained log)")
    staff.add_argument("action", choices=STAFF_ACTIONS)
    staff.add_argument("--hall", required=True, metavar="ID")
    staff.add_argument("--number", "--staff", dest="number", metavar="N",
                       help="the staff number (all but list, verify)")
    staff.add_argument("--name", metavar="NAME", help="add: the name the counters show")
    staff.add_argument("--role", choices=("staff", "manager"),
                       help="add (default staff), role: the new role")
    staff.add_argument("--photo", metavar="TEXT", help="add: the photo (optional)")
    staff.add_argument("--pin-stdin", action="store_true",
                       help="add, pin, role --role manager: read the (new) PIN from the "
                            "first line of stdin (4 to 12 digits; a manager's at least 6); it "
                            "is never a command-line argument")

    central = command("settings", _settings,
                      "a hall's central settings (transaction types with their targets and "
                      "promises, time_zone, follow_up_working_days, supervision_hotline), "
                      "served signed to its "
                      "counters, which apply them over their own TOML")
    central.add_argument("action", choices=("set", "show"))
    central.add_argument("--hall", required=True, metavar="ID")
    central.add_argument("--file", metavar="F.toml",
                         help="set: top-level time_zone, follow_up_working_days and "
                              "supervision_hotline (optional) "
                              "and [[transaction_types]] tables (code, name_zh, name_en, "
                              "target_s, promise_zh, promise_en) as the counter's TOML spells "
                              "them; stored as the hall's next version")
    key = command("signing-key", _signing_key,
                  "create head office's signing key (Ed25519, a PEM file readable by its owner "
                  "only) and print its public key for counters' [head_office] signing_key")
    key.add_argument("action", choices=("create", "show"))
    key.add_argument("file", metavar="FILE", help="the private key's PEM file")

    report = command("report", _report, "write a report across halls as CSV or XLSX")
    report.add_argument("kind", choices=REPORTS)
    report.add_argument("--month", metavar="YYYY-MM",
                        help="the month (required except for chains, incidents, halls and "
                             "pending)")
    report.add_argument("--hall", metavar="ID", help="only this hall")
    report.add_argument("--by", choices=("hall", "counter", "staff"), default="hall",
                        help="service-level: one row per hall, counter or staff (default hall)")
    time_zone_option(report, "--timezone")  # --timezone: the older spelling
    report.add_argument("--older-than-days", dest="older_than_days", type=float,
                        default=None, metavar="DAYS",
                        help="pending: only references held longer than this (default 3)")
    report.add_argument("--follow-up-days", dest="follow_up_days", type=int, default=5,
                        metavar="N",
                        help="halls: a poor rating's follow-up is overdue after N working "
                             "days (default 5, the 好差评 rule)")
    report.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    report.add_argument("--output", default="-", metavar="FILE|-",
                        help="where to write (default: stdout; XLSX needs a file)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "time_zone", None) is not None:
        try:
            periods.zone(args.time_zone)
        except periods.PeriodError as exc:
            print(f"counter-hq: --time-zone: {exc}", file=sys.stderr)
            return 2
    if args.command == "signing-key":  # a key file only: no database
        try:
            return _signing_key(args, None)
        except CliError as exc:
            print(f"counter-hq: {exc}", file=sys.stderr)
            return 2
    missing = _missing_sqlite_file(args.db)
    if missing and args.command not in ("serve", "enroll"):
        # a typo in the path must not report from a new, empty database
        print(f"counter-hq: no head office database at {missing}", file=sys.stderr)
        return 2
    try:
        store = Store(args.db)
    except SchemaError as exc:
        print(f"counter-hq: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bad URL or an unreachable database: say which, briefly
        print(f"counter-hq: cannot open database {_safe(args.db)}: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args, store))
    except CliError as exc:
        print(f"counter-hq: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        store.close()


def _missing_sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or \
            parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any address


def certificate_sha256(path: str) -> str:
    """The SHA-256 of the (first) certificate in a PEM file, 64 lowercase hex digits, as a
    counter pins it."""
    try:
        pem = Path(path).read_text(encoding="ascii")
        der = ssl.PEM_cert_to_DER_cert(pem[:pem.index("-----END CERTIFICATE-----") + 25])
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the TLS certificate {path}: "
                       f"{exc if not isinstance(exc, ValueError) else 'not a PEM certificate'}"
                       ) from None
    return hashlib.sha256(der).hexdigest()


def _serve(args: argparse.Namespace, store: Store) -> int:
    import uvicorn

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.workers < 1:
        raise CliError(f"--workers must be 1 or more, got {args.workers}")
    if args.workers > 1 and not _is_postgresql(args.db):
        raise CliError(f"--workers {args.workers} needs a PostgreSQL --db: SQLite takes one "
                       "writer at a time, so serve it with one worker (--workers 1)")
    app = _app_of(args, store)  # every check once, here, before any worker starts
    if args.tls_cert:
        fingerprint = certificate_sha256(args.tls_cert)
        print(f"TLS certificate SHA-256: {fingerprint}", flush=True)
    print(f"counter-hq serving {_safe(args.db)} on "
          f"{'https' if args.tls_cert else 'http'}://{args.host}:{args.port} "
          f"for halls in {args.time_zone} (API docs at /docs)"
          + (f" with {args.workers} workers" if args.workers > 1 else ""), flush=True)
    options: dict[str, Any] = dict(
        host=args.host, port=args.port, log_level=args.log_level,
        ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key,
        timeout_graceful_shutdown=10,
        # the client address is the socket's; X-Forwarded-* count only from a
        # --trusted-proxy (head_office.web.sessions.client_ip)
        proxy_headers=False)
    if args.workers == 1:
        uvicorn.run(app, **options)
        return 0
    # each worker rebuilds the same app from the same options (worker_app)
    os.environ[ENV_SERVE_OPTIONS] = json.dumps(
        {k: v for k, v in vars(args).items() if k != "handler"})
    uvicorn.run("head_office.cli:worker_app",
                factory=True, workers=args.workers, **options)
    return 0


def _is_postgresql(url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).get_backend_name() == "postgresql"
    except Exception:
        return False


def _app_of(args: argparse.Namespace, store: Store,
            leadership: Leadership | None = None) -> FastAPI:
    """The application `serve`'s options describe (CliError when one is wrong)."""
    from head_office.api import create_app

    if bool(args.tls_cert) != bool(args.tls_key):
        raise CliError("give both --tls-cert and --tls-key, or neither")
    if not args.tls_cert and not is_loopback(args.host) and not args.allow_plaintext:
        raise CliError(f"refusing to serve plain HTTP on {args.host}: counters' tokens and "
                       "records would cross the network unencrypted; give --tls-cert and "
                       "--tls-key, listen on 127.0.0.1 behind a TLS proxy, or pass "
                       "--allow-plaintext")
    if args.body_timeout <= 0:
        raise CliError("--body-timeout must be a positive number of seconds")
    alert_config, webhooks = _alerts_of(args)
    if args.tls_cert:
        certificate_sha256(args.tls_cert)
    web = _web_settings(args)
    signing_key = None
    if getattr(args, "signing_key", None):
        from head_office import signing

        try:
            signing_key = signing.load(Path(args.signing_key))
        except signing.SigningKeyError as exc:
            raise CliError(f"--signing-key: {exc}") from None
    return create_app(store, max_uploads=max(1, args.max_uploads), time_zone=args.time_zone,
                      body_timeout_s=args.body_timeout, alert_config=alert_config,
                      webhooks=webhooks, web=web, leadership=leadership,
                      signing_key=signing_key, upstream=_upstream_of(args))


def _upstream_of(args: argparse.Namespace) -> Upstream | None:
    """`serve --upstream …` checked: head office's URL (HTTPS off loopback), the token, the
    key; None without --upstream."""
    url = getattr(args, "upstream", None)
    if not url:
        for option in ("upstream_token_file", "upstream_key", "upstream_ca"):
            if getattr(args, option, None):
                raise CliError(f"--{option.replace('_', '-')} needs --upstream URL")
        return None
    from counter_core.signed import SignatureError, load_public_key
    from head_office.upstream import Upstream

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(f"--upstream {url}: expected head office's http(s):// URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise CliError(f"--upstream {url}: refusing plain HTTP off this machine (the token and "
                       "the hall's accounts would cross the network unencrypted); use https://")
    if not args.upstream_token_file or not args.upstream_key:
        raise CliError("--upstream needs --upstream-token-file FILE and --upstream-key KEY")
    try:
        token = Path(args.upstream_token_file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"--upstream-token-file {args.upstream_token_file}: cannot read it "
                       f"({getattr(exc, 'strerror', None) or exc})") from None
    if not token:
        raise CliError(f"--upstream-token-file {args.upstream_token_file} is empty")
    try:
        key = load_public_key(args.upstream_key)
    except SignatureError as exc:
        raise CliError(f"--upstream-key: {exc}") from None
    if args.upstream_ca and not Path(args.upstream_ca).is_file():
        raise CliError(f"--upstream-ca {args.upstream_ca}: no such file")
    if not args.upstream_interval >= 1:
        raise CliError("--upstream-interval must be at least 1 second")
    return Upstream(url, token, key, ca_file=args.upstream_ca,
                    interval_s=float(args.upstream_interval))


def worker_app() -> FastAPI:
    """One worker's application under `serve --workers N` (uvicorn's factory): the same app as
    the parsed options in $COUNTER_HQ_SERVE_OPTIONS describe, with the leader's lock."""
    from head_office.leader import Leadership

    raw = os.environ.get(ENV_SERVE_OPTIONS)
    if not raw:
        raise RuntimeError(f"{ENV_SERVE_OPTIONS} is not set: start workers with "
                           "`counter-hq serve --workers N`")
    args = argparse.Namespace(**json.loads(raw))
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(args.db)  # open for the worker's life
    return _app_of(args, store, Leadership(args.db))


def _web_settings(args: argparse.Namespace) -> WebSettings:
    from head_office.web import audit

    if not args.session_idle_min > 0:
        raise CliError("--session-idle-min must be a positive number of minutes")
    if args.audit_retention_days < audit.MIN_RETENTION_DAYS:
        raise CliError(f"--audit-retention-days {args.audit_retention_days}: the audit trail "
                       f"is kept at least {audit.MIN_RETENTION_DAYS} days (six months)")
    if args.staff_retention_days < 0:
        raise CliError(f"--staff-retention-days {args.staff_retention_days}: give 0 or more "
                       "days")
    proxies: list[str] = []
    for proxy in args.trusted_proxy:
        try:
            proxies.append(str(ipaddress.ip_address(proxy.strip())))
        except ValueError:
            raise CliError(f"--trusted-proxy {proxy}: not an IP address") from None
    grace = getattr(args, "close_grace_days", DEFAULT_GRACE_DAYS)
    if not 0 <= grace <= MAX_GRACE_DAYS:
        raise CliError(f"--close-grace-days must be 0 to {MAX_GRACE_DAYS}, got {grace}")
    from head_office.web import report

    given = getattr(args, "pdf_font", None)
    if given and not Path(given).is_file():
        raise CliError(f"--pdf-font {given}: no such file")
    return WebSettings(idle_s=args.session_idle_min * 60,
                       audit_retention_days=args.audit_retention_days,
                       staff_retention_days=args.staff_retention_days,
                       trusted_proxies=tuple(proxies), close_grace_days=grace,
                       pdf_font=report.find_font(given))


def _read_password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise CliError("give the password on standard input with --password-stdin (never "
                       "on the command line)")
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _user(args: argparse.Namespace, store: Store) -> int:
    from head_office.web import audit, users

    if args.action == "list":
        print("login\trole\thalls\tstate\tcreated_at\tchanged_at")
        for u in users.all_users(store.engine):
            halls = "*" if u.role == "hq" else ",".join(u.halls)
            state = f"disabled {u.disabled_at}" if u.disabled_at else "enabled"
            print(f"{u.login}\t{u.role}\t{halls}\t{state}\t{u.created_at}\t{u.changed_at}")
        return 0
    if not args.login:
        raise CliError(f"user {args.action} needs --login LOGIN")
    if args.action != "add" and (args.role or args.hall):
        raise CliError(f"user {args.action} takes no --role or --hall")

    def note(detail: str) -> None:
        audit.record(store.engine, "cli", audit.ADMIN_CHANGE, f"user {args.login}",
                     ip="local", detail=detail)

    try:
        if args.action == "add":
            if not args.role:
                raise CliError("user add needs --role hq or --role hall")
            made = users.add(store.engine, args.login, args.role, args.hall,
                             _read_password(args))
            note(f"added, role {made.role}" + (f", halls {','.join(made.halls)}"
                                               if made.halls else ""))
            print(f"login {made.login} added: role {made.role}, sees "
                  f"{'every hall' if made.role == 'hq' else 'halls ' + ', '.join(made.halls)}")
        elif args.action in ("disable", "enable"):
            if not users.set_disabled(store.engine, args.login, args.action == "disable"):
                raise CliError(f"no login {args.login}: see `counter-hq user list`")
            note(f"{args.action}d")
            print(f"login {args.login} {args.action}d"
                  + ("; its sessions ended" if args.action == "disable" else ""))
        else:
            if users.get(store.engine, args.login) is None:
                raise CliError(f"no login {args.login}: see `counter-hq user list`")
            users.set_password(store.engine, args.login, _read_password(args))
            note("password set; its sessions ended")
            print(f"login {args.login}: password changed; its sessions ended")
    except users.UserError as exc:
        raise CliError(str(exc)) from None
    return 0


def _alerts_of(args: argparse.Namespace) -> tuple[AlertConfig, list[Webhook]]:
    """The alert configuration and webhooks of `serve`'s options (CliError when wrong)."""
    from head_office.alerts import AlertConfig, AlertConfigError, load_config
    from head_office.webhooks import parse_webhook, webhooks_from_config

    try:
        config = load_config(args.alert_config) if args.alert_config else AlertConfig()
        webhooks = webhooks_from_config(config.webhooks)
        for spec in args.alert_webhook:
            webhooks.append(parse_webhook(spec, default_format=args.alert_format,
                                          default_secret=args.alert_secret))
    except AlertConfigError as exc:
        raise CliError(f"alerts: {exc}") from None
    labels = [hook.label for hook in webhooks]
    if len(set(labels)) != len(labels):
        raise CliError("alerts: the same webhook URL is given twice")
    return config, webhooks


def _enroll(args: argparse.Namespace, store: Store) -> int:
    fingerprint = certificate_sha256(args.tls_cert) if args.tls_cert else None
    if args.reader:
        if args.new_history:
            raise CliError("--new-history is for a counter, not the hall's reader")
        if args.kind != COUNTER_KIND:
            raise CliError("--kind is for a counter or desk (--counter ID), not the hall's "
                           "reader")
        token = enroll_reader(store, args.hall)
        print(f"hall {args.hall}: reader token issued; any older one no longer works. It reads "
              "the hall's figures (GET /api/v1/hall) and uploads nothing.")
    elif args.kind == DESK_KIND:
        try:
            token = enroll_desk(store, args.hall, args.counter, new_history=args.new_history)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        print(f"hall {args.hall} desk {args.counter} enrolled; any older token no longer "
              "works. It uploads its own chain and reads the hall (GET /api/v1/hall, "
              "/api/v1/hall/presence); it is never counted as a counter.")
    else:
        try:
            check_kind(store, args.hall, args.counter, COUNTER_KIND)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        token = store.enroll(args.hall, args.counter, new_history=args.new_history)
        print(f"hall {args.hall} counter {args.counter} enrolled; any older token no longer "
              "works.")
        if args.new_history:
            print("The events held so far are kept under the id "
                  f"{args.counter}~<time> (see `counter-hq report chains`); the new chain is "
                  "linked to it, and its open ends-before-anchor incidents are explained by "
                  "the new history.")
    if fingerprint:
        print(f"Server certificate SHA-256 (for the counter's configuration to pin): "
              f"{fingerprint}")
    print("Put this token in the counter's configuration ([head_office] token or token_file):")
    print(token)
    return 0


def _revoke(args: argparse.Namespace, store: Store) -> int:
    if args.reader:
        if not revoke_reader(store, args.hall):
            raise CliError(f"hall {args.hall} has no reader token")
        print(f"hall {args.hall}: reader token revoked")
        return 0
    if not store.revoke(args.hall, args.counter):
        raise CliError(f"hall {args.hall} counter {args.counter} is not enrolled")
    print(f"hall {args.hall} counter {args.counter}: token revoked")
    return 0


def _incident(args: argparse.Namespace, store: Store) -> int:
    from head_office import anchors
    from head_office.errors import StoreUnavailable
    from head_office.store import database_errors
    from head_office.web import audit

    reason, by = args.reason.strip(), args.by.strip()
    if not reason or not by:
        raise CliError("give a --reason and a --by that are not empty")
    status = anchors.ACCOUNT_ACTIONS[args.action]
    try:
        with database_errors():
            done = anchors.set_status(store.engine, args.id, status, reason, by)
            if done:  # as the web's form is: an administrative change in the audit trail
                audit.record(store.engine, "cli", audit.ADMIN_CHANGE, f"incident {args.id}",
                             ip="local", detail=f"{status} by {by}: {reason}")
    except StoreUnavailable as exc:
        raise CliError(exc.message) from None
    if not done:
        raise CliError(f"no incident {args.id}: see `counter-hq report incidents` (the id "
                       "column)")
    print(f"incident {args.id}: {status} by {by}: {reason}")
    return 0


def _month(args: argparse.Namespace, store: Store) -> int:
    from head_office import closing, reports
    from head_office.errors import StoreUnavailable
    from head_office.web import audit

    try:
        if args.action == "list":
            reports.write(closing.list_rows(store), closing.LIST_COLUMNS, "csv", sys.stdout)
            return 0
        if not args.month:
            raise CliError("month close needs the month: counter-hq month close YYYY-MM")
        made = closing.close_month(store, args.month, tz=args.time_zone,
                                   grace_days=args.grace_days, by=args.by, hall=args.hall)
        for c in made:
            audit.record(store.engine, "cli", audit.ADMIN_CHANGE,
                         f"month {c.month} hall {c.hall}", ip="local",
                         detail=f"closed by {c.closed_by}; star {c.star or '-'}")
    except closing.CloseRefused as exc:
        raise CliError(exc.message) from None
    except StoreUnavailable as exc:
        raise CliError(exc.message) from None
    for c in made:
        print(f"{c.month} closed for hall {c.hall} by {c.closed_by} at {c.closed_at} "
              f"(as of {c.as_of or 'no upload'}; star {c.star or 'none'})")
    return 0


def _calendar(args: argparse.Namespace, store: Store) -> int:
    from counter_core.workdays import CalendarError, WorkCalendar
    from head_office.calendar import read_calendar, set_calendar
    from head_office.errors import StoreUnavailable

    try:
        if args.action == "show":
            found = read_calendar(store)
            if found is None:
                raise CliError("no working-day calendar was set: counter-hq calendar set "
                               "--file F")
            print(found.to_toml(), end="")
            return 0
        if not args.file:
            raise CliError("calendar set needs --file F (a TOML calendar file)")
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {args.file}: {exc}") from None
        try:
            cal = WorkCalendar.from_toml(text)
        except CalendarError as exc:
            raise CliError(f"{args.file}: {exc}") from None
        years = set_calendar(store, cal)
    except StoreUnavailable as exc:
        raise CliError(exc.message) from None
    print(f"calendar set for {', '.join(str(y) for y in years)}: "
          f"{len(cal.holidays)} holidays, {len(cal.workdays)} make-up working days")
    return 0


def _report(args: argparse.Namespace, store: Store) -> int:
    from head_office import reports

    if args.kind not in ("chains", "incidents", "halls", "pending", "refusals") \
            and not args.month:
        raise CliError(f"report {args.kind} needs --month YYYY-MM")
    if args.format == "xlsx" and args.output == "-":
        raise CliError("XLSX needs a file: give --output FILE.xlsx")
    try:
        period = reports.month_period(args.month, args.time_zone) if args.month else None
    except (ValueError, KeyError) as exc:
        raise CliError(str(exc)) from None
    columns: Sequence[str]
    if args.kind == "chains":
        rows, columns = reports.chains(store, hall=args.hall), reports.CHAIN_COLUMNS
    elif args.kind == "halls":
        if not 1 <= args.follow_up_days <= 60:
            raise CliError(f"--follow-up-days must be 1 to 60, got {args.follow_up_days}")
        rows = reports.halls(store, hall=args.hall, tz=args.time_zone,
                             follow_up_days=args.follow_up_days)
        columns = reports.HALL_COLUMNS
    elif args.kind == "incidents":
        rows, columns = reports.incidents(store, hall=args.hall), reports.INCIDENT_COLUMNS
    elif args.kind == "refusals":
        from head_office.access import AUTH_REFUSAL_COLUMNS, auth_refusal_rows

        rows, columns = auth_refusal_rows(store), AUTH_REFUSAL_COLUMNS
    elif args.kind == "pending":
        days = PENDING_REPORT_DAYS if args.older_than_days is None else args.older_than_days
        if not days >= 0:
            raise CliError(f"--older-than-days must be 0 or more, got {days}")
        rows = store.pending_refs(hall=args.hall, older_than_days=days)
        columns = PENDING_COLUMNS
    else:
        assert period is not None
        if args.kind == "stars":
            from head_office import closing

            # a closed month: its published ranking, and any restated one apart
            rows = closing.published_stars(store, period, hall=args.hall)
            columns = reports.STAR_COLUMNS
            if any("basis" in r for r in rows):
                columns = (*columns, *closing.STAR_BASIS_COLUMNS)
        elif args.kind == "overtime":
            rows = reports.overtime(store, period, hall=args.hall)
            columns = reports.OVERTIME_COLUMNS
        else:
            rows = reports.service_level(store, period, by=args.by, hall=args.hall)
            columns = reports.SERVICE_LEVEL_COLUMNS
    target = sys.stdout if args.output == "-" else Path(args.output)
    count = reports.write(rows, columns, args.format, target)
    if args.output != "-":
        print(f"{count} rows written to {args.output}", file=sys.stderr)
    return 0


def _staff(args: argparse.Namespace, store: Store) -> int:
    from head_office import roster
    from head_office.errors import StoreUnavailable

    action, hall = args.action, args.hall.strip()
    if action not in ("list", "verify") and not args.number:
        raise CliError(f"staff {action} needs --number N")
    if (action in ("add", "pin") or (action == "role" and args.role == "manager")) \
            and not args.pin_stdin:
        raise CliError(f"staff {action} reads the PIN from stdin: give --pin-stdin (a PIN "
                       "is never a command-line argument, which other users could read)")
    try:
        if action == "list":
            found = roster.roster(store, hall)
            rows = [{k: a[k] for k in STAFF_COLUMNS} for a in found.accounts]
            from head_office import reports

            reports.write(rows, STAFF_COLUMNS, "csv", sys.stdout)
            print(f"hall {hall}: {len(rows)} accounts, roster version {found.version.seq}",
                  file=sys.stderr)
            return 0
        if action == "verify":
            problem = roster.verify(store, hall)
            at = roster.current_version(store, hall)
            if problem is not None:
                print(f"hall {hall}: the roster does not verify: {problem}")
                return 1
            print(f"hall {hall}: the roster log verifies ({at.seq} entries) and the accounts "
                  "agree with it")
            return 0
        if action == "add":
            version = roster.add(store, hall, args.number, args.name or "",
                                 args.role or "staff", _read_pin(), args.photo)
        elif action == "pin":
            version = roster.set_pin(store, hall, args.number, _read_pin())
        elif action == "role":
            if not args.role:
                raise CliError("staff role needs --role staff|manager")
            version = roster.set_role(store, hall, args.number, args.role,
                                      _read_pin() if args.pin_stdin else None)
        elif action == "purge":
            return _purge_staff(store, hall, args.number)
        else:
            version = roster.set_disabled(store, hall, args.number, action == "disable")
    except roster.RosterError as exc:
        raise CliError(str(exc)) from None
    except StoreUnavailable as exc:
        raise CliError(exc.message) from None
    print(f"hall {hall} staff {args.number.strip()}: {action} recorded (roster version "
          f"{version.seq}); the hall's counters take it at their next pull (within 5 min)")
    return 0


def _purge_staff(store: Store, hall: str, number: str) -> int:
    """`staff purge`: the departed clerk's name and photo go; the chains are not touched."""
    from head_office import roster
    from head_office.web import audit

    roster.purge(store, hall, number, "cli")
    audit.record(store.engine, "cli", audit.ADMIN_CHANGE, f"staff {hall}/{number.strip()}",
                 ip="local", detail="name and photo purged (former staff)")
    print(f"hall {hall} staff {number.strip()}: name and photo purged; the pages show "
          "\"former staff\" and the chains and figures are unchanged")
    return 0


def _settings(args: argparse.Namespace, store: Store) -> int:
    from head_office import settings
    from head_office.errors import StoreUnavailable
    from head_office.web import audit

    hall = args.hall.strip()
    if not hall:
        raise CliError("--hall: expected the hall's id")
    try:
        if args.action == "show":
            found = settings.latest(store, hall)
            if found is None:
                raise CliError(f"hall {hall} has no central settings yet (settings set)")
            print(json.dumps(found.document(), ensure_ascii=False, indent=2))
            return 0
        if not args.file:
            raise CliError("settings set needs --file F.toml")
        try:
            parsed = settings.read_file(Path(args.file))
        except settings.SettingsFileError as exc:
            raise CliError(str(exc)) from None
        try:
            stored = settings.put(store, hall, parsed, "cli")
        except settings.SettingsFileError as exc:
            raise CliError(str(exc)) from None
        audit.record(store.engine, "cli", audit.ADMIN_CHANGE, f"settings {hall}", ip="local",
                     detail=f"version {stored.version} from {args.file}")
    except StoreUnavailable as exc:
        raise CliError(exc.message) from None
    print(f"hall {hall}: settings version {stored.version} stored "
          f"({len(parsed.types)} transaction types); the hall's counters take it at their "
          "next pull (within 5 min) and apply it at their next sign-in")
    return 0


def _signing_key(args: argparse.Namespace, _store: Store | None) -> int:
    from head_office import signing

    path = Path(args.file)
    try:
        key = signing.create(path) if args.action == "create" else signing.load(path)
    except signing.SigningKeyError as exc:
        raise CliError(str(exc)) from None
    if args.action == "create":
        print(f"signing key written to {path} (mode 0600: keep it on head office's machine "
              "only); serve with --signing-key and give counters the public key below as "
              "[head_office] signing_key", file=sys.stderr)
    print(signing.public_text(key))
    return 0


def _read_pin() -> str:
    line = sys.stdin.readline()
    pin = line.strip()
    if not pin:
        raise CliError("no PIN on stdin: pipe it in, e.g. `printf '%s\\n' \"$PIN\" | counter-hq "
                       "staff add …`")
    return pin


if __name__ == "__main__":
    sys.exit(main())
