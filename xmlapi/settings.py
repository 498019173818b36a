"""Every setting of the service, read from ``XMLAPI_*`` environment variables.

One table maps each variable to a field, a coercer and a default, so the README's
settings table and this module can be checked against each other by a test.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting has a value the service cannot run with; the message names it."""


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected 1/0, true/false, yes/no or on/off")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _proxy_count(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 5:
        raise ValueError("must be a whole number from 0 to 5")
    return value


def _percent(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError("expected a number such as 7 or 7.25") from None
    if not value.is_finite() or not 0 <= value < 100:
        raise ValueError("must be a percentage from 0 to less than 100")
    return value


def _database_url(raw: str) -> str:
    if not raw.startswith(("sqlite:", "postgresql")):
        raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
    return raw


def _rate_limit(raw: str) -> str:
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ValueError("expected a limit such as '600/minute'") from None
    return raw


def _storage_url(raw: str) -> str:
    if not raw.startswith(("memory://", "redis://", "rediss://")):
        raise ValueError("expected memory:// or redis://host:port")
    return raw


def _positive_seconds(raw: str) -> float:
    value = float(raw)
    if not 0 < value < 3600:
        raise ValueError("must be a number of seconds above 0 and below 3600")
    return value


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/").lower() for part in raw.split(",") if part.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")) or "/" in origin.split("//", 1)[1]:
            raise ValueError("expected scheme://host[:port] origins separated by commas")
    return origins


def _photo_store(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"file", "postgresql"}:
        raise ValueError("expected file or postgresql")
    return value


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"text", "json"}:
        raise ValueError("expected text or json")
    return value


def _token(raw: str) -> str:
    value = raw.strip()
    if value and len(value) < 16:
        raise ValueError("must be at least 16 characters (or empty: loopback only)")
    return value


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return level


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    tax_inclusive: bool = False
    default_tax_rate: Decimal = Decimal("7")
    max_body_bytes: int = 1024 * 1024
    max_photo_bytes: int = 25 * 1024 * 1024
    max_decode_bytes: int = 128 * 1024 * 1024
    decodes_per_worker: int = 2
    photo_store: str = "file"
    photo_cache_bytes: int = 1024 * 1024 * 1024
    session_idle_seconds: int = 30 * 60
    lock_seconds: int = 15 * 60
    cookie_secure: bool = False
    require_registered_apps: bool = False
    ratelimit_storage: str = "memory://"
    ratelimit_default: str = "1200/minute"
    ratelimit_failed_login: str = "10/minute"
    ratelimit_timeout_seconds: float = 0.2
    body_timeout_seconds: float = 10.0
    max_url_bytes: int = 32 * 1024
    max_header_bytes: int = 16 * 1024
    allowed_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_token: str = ""
    feed_retention_seconds: int = 7 * 24 * 3600
    feed: bool = True
    webhook_private_receivers: bool = False
    trusted_proxies: int = 0

    def __post_init__(self) -> None:
        if not self.database_url:
            url = f"sqlite:///{Path(self.data_dir).resolve() / 'xmlapi.db'}"
            object.__setattr__(self, "database_url", url)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class _Variable:
    env: str
    field: str
    coerce: Callable[[str], Any]
    meaning: str


VARIABLES: tuple[_Variable, ...] = (
    _Variable(
        "XMLAPI_DATA_DIR",
        "data_dir",
        Path,
        "Where the SQLite database and the photo files live (default `./var`).",
    ),
    _Variable(
        "XMLAPI_DATABASE_URL",
        "database_url",
        _database_url,
        "SQLAlchemy URL (default `sqlite:///<data dir>/xmlapi.db`; "
        "`postgresql+psycopg://user@host/db` in production).",
    ),
    _Variable(
        "XMLAPI_TAX_INCLUSIVE",
        "tax_inclusive",
        _boolean,
        "`1`: `sell_price` is tax-inclusive and `sell` is derived (default `0`).",
    ),
    _Variable(
        "XMLAPI_DEFAULT_TAX_RATE",
        "default_tax_rate",
        _percent,
        "Default tax rate in percent, used under tax-inclusive pricing (default `7`).",
    ),
    _Variable(
        "XMLAPI_MAX_BODY_BYTES",
        "max_body_bytes",
        _positive_int,
        "Largest XML request body; larger ones get 413 (default 1 MiB).",
    ),
    _Variable(
        "XMLAPI_MAX_PHOTO_BYTES",
        "max_photo_bytes",
        _positive_int,
        "Largest photo upload; larger ones get 413 (default 25 MiB).",
    ),
    _Variable(
        "XMLAPI_MAX_DECODE_BYTES",
        "max_decode_bytes",
        _positive_int,
        "Most memory one photo may take decoded (width x height x bytes a pixel); "
        "larger ones get 413 before decoding (default 128 MiB).",
    ),
    _Variable(
        "XMLAPI_DECODES_PER_WORKER",
        "decodes_per_worker",
        _positive_int,
        "Photos one worker process decodes at once; more wait briefly, then get 503 (default 2).",
    ),
    _Variable(
        "XMLAPI_PHOTO_STORE",
        "photo_store",
        _photo_store,
        "Where photo bytes live: `file` (under the data dir, one host; default) or "
        "`postgresql` (in the database, any number of hosts; see Photo stores).",
    ),
    _Variable(
        "XMLAPI_PHOTO_CACHE_BYTES",
        "photo_cache_bytes",
        _positive_int,
        "With the `postgresql` photo store: the most this host's read cache "
        "(`<data dir>/photo-cache`) keeps; least recently used go first (default 1 GiB).",
    ),
    _Variable(
        "XMLAPI_SESSION_IDLE_SECONDS",
        "session_idle_seconds",
        _positive_int,
        "A session unused this long ends, and its locks with it (default 1800).",
    ),
    _Variable(
        "XMLAPI_LOCK_SECONDS",
        "lock_seconds",
        _positive_int,
        "A lock not renewed this long expires (default 900).",
    ),
    _Variable(
        "XMLAPI_COOKIE_SECURE",
        "cookie_secure",
        _boolean,
        "`1`: always mark the session cookie Secure (default: only over HTTPS).",
    ),
    _Variable(
        "XMLAPI_REQUIRE_REGISTERED_APPS",
        "require_registered_apps",
        _boolean,
        "`1`: only apps registered with `xmlapi register-app` are let in (default `0`).",
    ),
    _Variable(
        "XMLAPI_RATELIMIT_STORAGE",
        "ratelimit_storage",
        _storage_url,
        "Rate-limit counters: `memory://` (default) or `redis://host:port` for several workers.",
    ),
    _Variable(
        "XMLAPI_RATELIMIT_DEFAULT",
        "ratelimit_default",
        _rate_limit,
        "Requests allowed per user (default `1200/minute`).",
    ),
    _Variable(
        "XMLAPI_RATELIMIT_FAILED_LOGIN",
        "ratelimit_failed_login",
        _rate_limit,
        "Failed logins allowed per address (default `10/minute`).",
    ),
    _Variable(
        "XMLAPI_RATELIMIT_TIMEOUT_SECONDS",
        "ratelimit_timeout_seconds",
        _positive_seconds,
        "How long to wait for the rate-limit storage; past it, or when it fails, counting "
        "goes on in process memory for 10 s (default `0.2`).",
    ),
    _Variable(
        "XMLAPI_BODY_TIMEOUT_SECONDS",
        "body_timeout_seconds",
        _positive_seconds,
        "A request body must arrive within this many seconds, or 408 (default `10`).",
    ),
    _Variable(
        "XMLAPI_MAX_URL_BYTES",
        "max_url_bytes",
        _positive_int,
        "Longest request target (path and query); longer ones get 414 (default 32768).",
    ),
    _Variable(
        "XMLAPI_MAX_HEADER_BYTES",
        "max_header_bytes",
        _positive_int,
        "Largest request header field; a larger one gets 431 (default 16384).",
    ),
    _Variable(
        "XMLAPI_ALLOWED_ORIGINS",
        "allowed_origins",
        _origins,
        "Browser origins (`https://host[:port]`, comma-separated) allowed besides the "
        "service's own; a request with another `Origin` gets 403 (default none).",
    ),
    _Variable(
        "XMLAPI_LOG_LEVEL", "log_level", _log_level, "DEBUG, INFO (default), WARNING or ERROR."
    ),
    _Variable(
        "XMLAPI_LOG_FORMAT",
        "log_format",
        _log_format,
        "`text` (default) or `json`: one JSON object a line, with the request id.",
    ),
    _Variable(
        "XMLAPI_METRICS_TOKEN",
        "metrics_token",
        _token,
        "`GET /metrics` needs `Authorization: Bearer <this>` (16+ characters); "
        "unset: only from loopback addresses.",
    ),
    _Variable(
        "XMLAPI_FEED_RETENTION_SECONDS",
        "feed_retention_seconds",
        _positive_int,
        "Tombstones of the change feed (and webhook retries) are kept this long; an older "
        "cursor gets 410 and reads again from 0 (default 604800, a week).",
    ),
    _Variable(
        "XMLAPI_FEED",
        "feed",
        _boolean,
        "`0`: writes add no change-feed entries; only for benchmarking what the feed "
        "costs, never in production (default `1`).",
    ),
    _Variable(
        "XMLAPI_WEBHOOK_PRIVATE_RECEIVERS",
        "webhook_private_receivers",
        _boolean,
        "`1`: webhooks may deliver to loopback, private and link-local addresses (receivers "
        "on the retailer's own network). Default `0`: only public addresses, so a "
        "webhook cannot reach services inside the network the sender runs in.",
    ),
    _Variable(
        "XMLAPI_TRUSTED_PROXIES",
        "trusted_proxies",
        _proxy_count,
        "How many reverse proxies (nginx) stand in front of the service: the client's "
        "address is then taken from their X-Forwarded-For (for the failed-login limit "
        "and /metrics' loopback check). Default 0: the connection's own address.",
    ),
)


def from_environ(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default ``os.environ``).

    Raises SettingsError naming the first variable whose value is unusable.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable in VARIABLES:
        raw = environ.get(variable.env)
        if raw is None:
            continue
        try:
            values[variable.field] = variable.coerce(raw)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{variable.env}={raw!r}: {exc}") from None
    return Settings(**values)
