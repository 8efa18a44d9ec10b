"""Settings from the environment, checked once at start so a bad value names its variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite:///" + str(Path.cwd() / "loyalty.db")
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """A setting has a value the app cannot run with; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    shopify_api_key: str | None
    shopify_api_secret: str | None
    public_url: str
    max_body_bytes: int
    batch_size: int
    secret_is_generated: bool = False
    prepared_statements: bool = True  # PostgreSQL prepares the hot reads (off behind PgBouncer)
    insales_app_id: str | None = None  # the app's identifier: the Basic-auth login to every shop
    insales_secret: str | None = None  # the app's secret: each shop's password is MD5(token + it)
    smtp_url: str | None = None  # smtp://user:pass@host:587?starttls=1 or smtps://...: shoppers' e-mail
    mail_from: str | None = None  # the sender of shoppers' e-mail, unless a shop sets its own
    ecwid_client_id: str | None = None  # the Ecwid app's client id (OAuth)
    ecwid_client_secret: str | None = None  # the Ecwid app's client secret: OAuth and webhook signatures

    @property
    def uses_redis(self) -> bool:
        return self.redis_url is not None


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ConfigError(f"{name}: scheme must be one of {', '.join(schemes)}, got {value!r}")
    if parts.scheme.startswith("http") and not parts.netloc:
        raise ConfigError(f"{name}: {value!r} has no host")
    return value


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: must be a whole number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name}: must be positive, got {value!r}")
    return number


TRUE, FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})  # any case


def _flag(name: str, value: str) -> bool:
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ConfigError(f"{name}: must be 1 or 0 (on or off), got {value!r}")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and validate every LOYALTY_* / SHOPIFY_* / INSALES_* / ECWID_* variable; raise ConfigError on the
    first bad one."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    database_url = _url(
        "LOYALTY_DATABASE_URL",
        get("LOYALTY_DATABASE_URL") or DEFAULT_DATABASE_URL,
        ("sqlite", "postgres", "postgresql"),
    )
    redis_url = get("LOYALTY_REDIS_URL")
    if redis_url:
        _url("LOYALTY_REDIS_URL", redis_url, ("redis", "rediss", "unix"))
    api_key, api_secret = get("SHOPIFY_API_KEY"), get("SHOPIFY_API_SECRET")
    if bool(api_key) != bool(api_secret):
        missing = "SHOPIFY_API_SECRET" if api_key else "SHOPIFY_API_KEY"
        raise ConfigError(f"{missing}: SHOPIFY_API_KEY and SHOPIFY_API_SECRET are set together")
    insales_app_id, insales_secret = get("INSALES_APP_ID"), get("INSALES_SECRET")
    if bool(insales_app_id) != bool(insales_secret):
        missing = "INSALES_SECRET" if insales_app_id else "INSALES_APP_ID"
        raise ConfigError(f"{missing}: INSALES_APP_ID and INSALES_SECRET are set together")
    ecwid_client_id, ecwid_client_secret = get("ECWID_CLIENT_ID"), get("ECWID_CLIENT_SECRET")
    if bool(ecwid_client_id) != bool(ecwid_client_secret):
        missing = "ECWID_CLIENT_SECRET" if ecwid_client_id else "ECWID_CLIENT_ID"
        raise ConfigError(f"{missing}: ECWID_CLIENT_ID and ECWID_CLIENT_SECRET are set together")
    secret_key = get("LOYALTY_SECRET_KEY")
    generated = secret_key is None
    if secret_key is None:
        if database_url.startswith("postgres") or api_secret or insales_secret or ecwid_client_secret:
            # Real shops' tokens would be encrypted with a publicly known key.
            raise ConfigError(
                "LOYALTY_SECRET_KEY: required with PostgreSQL or a Shopify, InSales or Ecwid app secret"
            )
        secret_key = "insecure-development-key-set-LOYALTY_SECRET_KEY"
    elif len(secret_key) < 16:
        raise ConfigError("LOYALTY_SECRET_KEY: must be at least 16 characters")
    smtp_url = get("LOYALTY_SMTP_URL")
    if smtp_url:
        _url("LOYALTY_SMTP_URL", smtp_url, ("smtp", "smtps"))
        if not urlsplit(smtp_url).hostname:
            raise ConfigError(f"LOYALTY_SMTP_URL: {smtp_url!r} has no host")
    mail_from = get("LOYALTY_MAIL_FROM")
    if mail_from and "@" not in mail_from:
        raise ConfigError(f"LOYALTY_MAIL_FROM: must be an e-mail address, got {mail_from!r}")
    public_url = _url(
        "LOYALTY_PUBLIC_URL", get("LOYALTY_PUBLIC_URL") or "http://127.0.0.1:5000", ("http", "https")
    ).rstrip("/")
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secret_key,
        shopify_api_key=api_key,
        shopify_api_secret=api_secret,
        public_url=public_url,
        max_body_bytes=_positive_int(
            "LOYALTY_MAX_BODY_BYTES", get("LOYALTY_MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
        ),
        batch_size=_positive_int("LOYALTY_BATCH_SIZE", get("LOYALTY_BATCH_SIZE") or "200"),
        secret_is_generated=generated,
        prepared_statements=_flag("LOYALTY_PREPARED_STATEMENTS", get("LOYALTY_PREPARED_STATEMENTS") or "1"),
        insales_app_id=insales_app_id,
        insales_secret=insales_secret,
        smtp_url=smtp_url,
        mail_from=mail_from,
        ecwid_client_id=ecwid_client_id,
        ecwid_client_secret=ecwid_client_secret,
    )
