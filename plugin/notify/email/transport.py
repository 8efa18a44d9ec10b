"""Where e-mail goes out: the environment's mail server and sender (LOYALTY_SMTP_URL,
LOYALTY_MAIL_FROM), or a shop's own, and an SMTP connection to it with timeouts.

The app and the worker call ``configure`` with their settings at start; a process that did not
(a script) reads the environment on first use.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from plugin.config import TRUE, Settings, load_settings
from plugin.core.crypto import Vault
from plugin.core.models import NotifySettings, Shop

TIMEOUT = 15  # seconds for connecting and for each SMTP command: a stuck server holds no lease for long


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str  # "ssl" (smtps://), "starttls", or "plain"
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> Server:
        """``smtp://user:pass@host:587?starttls=1`` or ``smtps://user:pass@host``; a ValueError says
        what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("the scheme must be smtp or smtps")
        if not parts.hostname:
            raise ValueError("the address has no host")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.scheme == "smtps":
            security = "ssl"
        else:
            security = "starttls" if query.get("starttls", "").lower() in TRUE else "plain"
        default_port = {"ssl": 465, "starttls": 587, "plain": 25}[security]
        return cls(host=parts.hostname, port=parts.port or default_port, security=security,
                   user=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)

    def connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if self.user:
            smtp.login(self.user, self.password or "")
        return smtp


@dataclass(frozen=True)
class Environment:
    server: Server | None
    mail_from: str | None
    public_url: str  # where unsubscribe links point
    vault: Vault


_environment: Environment | None = None


def configure(settings: Settings) -> None:
    global _environment
    _environment = Environment(server=Server.parse(settings.smtp_url) if settings.smtp_url else None,
                               mail_from=settings.mail_from, public_url=settings.public_url,
                               vault=Vault(settings.secret_key))


def environment() -> Environment:
    if _environment is None:
        configure(load_settings())
    return _environment


def server_of(shop: Shop) -> Server | None:
    """The shop's own mail server when it set one (and it reads), else the environment's."""
    row = NotifySettings.get_or_none(NotifySettings.shop == shop.id)
    if row is not None and row.smtp_url:
        try:
            return Server.parse(environment().vault.decrypt(row.smtp_url))
        except ValueError:
            return None  # a server we cannot read sends nothing, rather than the shop's mail through ours
    return environment().server


def sender(shop: Shop, mail_from: str | None, server: Server) -> str:
    """The From header: the shop's sender, else the environment's, else noreply at the server's
    domain; with the shop's name shown when the address came without one."""
    address = mail_from or environment().mail_from or f"noreply@{server.host}"
    name, addr = parseaddr(address)
    return formataddr((name or shop.name or shop.domain, addr))
