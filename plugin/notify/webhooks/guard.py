"""Where a webhook may be sent: https to public addresses only, checked when a subscription is
made and again before every attempt, so a DNS answer that changes later cannot aim the plugin at
loopback, the operator's private network, link-local metadata services or multicast.

``LOYALTY_WEBHOOKS_ALLOW_PRIVATE=1`` lifts both rules (plain http, any address) for development
and tests, where the receiving endpoint runs on the same machine.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

ALLOW_PRIVATE = "LOYALTY_WEBHOOKS_ALLOW_PRIVATE"


class Refused(ValueError):
    """A URL the plugin will not send to; the message says why, for the owner and the log."""


def allow_private() -> bool:
    return os.environ.get(ALLOW_PRIVATE, "").strip() == "1"


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to now (tests replace this to make DNS change its mind)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def public(address: str) -> bool:
    """Routable on the public internet: not loopback, private, shared, link-local, multicast or reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def target(url: str) -> tuple[str, int]:
    """The host and port a URL points at, when its form is acceptable; Refused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a valid URL: {exc}") from None
    allowed = ("https", "http") if allow_private() else ("https",)
    if parts.scheme not in allowed:
        raise Refused("must be an https:// URL")
    if not parts.hostname:
        raise Refused("has no host")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not carry a user name or password")
    if parts.fragment:
        raise Refused("must not have a #fragment")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check(url: str) -> None:
    """Refused unless the URL is acceptable and every address its host resolves to now is public."""
    host, port = target(url)
    if allow_private():
        return
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise Refused(f"host {host} does not resolve") from None
    private = [a for a in addresses if not public(a)]
    if private or not addresses:
        raise Refused(f"host {host} resolves to a non-public address ({', '.join(private) or 'none'})")
