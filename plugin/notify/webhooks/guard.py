"""Where a webhook may be sent: https to public addresses only, checked when a subscription is
made and again before every attempt, so a DNS answer that changes later cannot aim the plugin at
loopback, the operator's private network, link-local metadata services or multicast.

The connection then goes to the very address that was checked (``pin``, ``PinnedAdapter``): the
URL's host name is kept for the Host header, TLS's SNI and the certificate check, so a DNS answer
that changes between the check and the connection cannot slip a private address in either.

``LOYALTY_WEBHOOKS_ALLOW_PRIVATE=1`` lifts both rules (plain http, any address) for development
and tests, where the receiving endpoint runs on the same machine.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter

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


def check(url: str) -> list[str]:
    """Refused unless the URL is acceptable and every address its host resolves to now is public;
    returns those addresses (none when the operator allows private ones: nothing to pin)."""
    host, port = target(url)
    if allow_private():
        return []
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise Refused(f"host {host} does not resolve") from None
    private = [a for a in addresses if not public(a)]
    if private or not addresses:
        raise Refused(f"host {host} resolves to a non-public address ({', '.join(private) or 'none'})")
    return addresses


def pin(url: str, address: str) -> tuple[str, str]:
    """The URL aimed at the checked address, and the Host header that keeps its own name."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), parts.netloc


class PinnedAdapter(HTTPAdapter):
    """HTTPS to a pinned address still sends the host's name (SNI) and verifies its certificate
    for that name, taken from the Host header ``pin`` set."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        name = urlsplit("//" + request.headers.get("Host", "")).hostname
        if name and host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs
