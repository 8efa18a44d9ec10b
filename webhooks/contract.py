"""The inbound half of the platform contract: what one platform's package under webhooks/ declares.

A platform names its topics (each a tolerant ``read`` for the request path and a full ``map`` for
the worker), the topics a shop should send, and where it should send each one. Its receiver (a
Flask blueprint in ``<platform>/receiver.py``) verifies a delivery, names its shop and hands the
raw bytes to ``webhooks.receiving.accept``. The outbound half (API client, install, discount
codes, reconciliation) is plugin.platforms.contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from plugin.core.crypto import Vault
from plugin.core.models import Shop
from webhooks.mapped import Mapped

#: The purpose ``Vault.derive`` names a shop's secret webhook path segment with (``Address.path_secret``).
PATH_SECRET = "webhook-path"


@dataclass(frozen=True)
class Topic:
    """``read``: any JSON -> the keys (raises Unreadable); ``map``: the body -> the payload
    (raises ValidationError naming fields). Calling a topic maps."""

    read: Callable[[Any], Mapped]
    map: Callable[[dict], Mapped]

    def __call__(self, body: dict) -> Mapped:
        return self.map(body)


@dataclass(frozen=True)
class Address:
    """Where a shop sends one topic, and how (shown by ``loyalty shops add`` and the install flow)."""

    shop_id: int
    domain: str
    base_url: str  # the app's public URL, no trailing slash
    path_secret: str  # a per-shop secret, for platforms that cannot sign (InSales)

    @classmethod
    def of(cls, shop: Shop, base_url: str, vault: Vault) -> Address:
        """The shop's address facts, the same for ``loyalty shops add``, an install and a receiver."""
        return cls(shop.id, shop.domain, base_url.rstrip("/"), vault.derive(PATH_SECRET, shop.id))


@dataclass(frozen=True)
class Inbound:
    """One platform's inbound side: its topics, the ones a shop subscribes, and their addresses."""

    platform: str
    path: str  # the receiver's URL rule, as manifest.json declares it
    topics: Mapping[str, Topic]  # everything the receiver stores (others are stored as ignored)
    subscribed: tuple[str, ...]  # what a shop is asked to send
    address: Callable[[Address, str], str]  # (shop's address facts, topic) -> the full URL
    compliance: tuple[str, ...] = ()  # declared in the platform's app settings, not subscribed
    #: How the store writes the shop's own webhook secret to sign with (``Vault.webhook_secret`` ->
    #: what ``loyalty shops add`` prints); None when the platform signs with no secret of the shop's.
    secret: Callable[[str], str] | None = None

    def addresses(self, where: Address) -> dict[str, str]:
        """Every subscribed topic -> the URL the shop sends it to."""
        return {topic: self.address(where, topic) for topic in self.subscribed}


def fixed_path(path: str) -> Callable[[Address, str], str]:
    """Every topic to one URL (the topic travels in a header or in the body)."""
    return lambda where, topic: where.base_url + path


def domain_path(prefix: str) -> Callable[[Address, str], str]:
    """Every topic to ``<prefix>/<shop domain>`` (the shop is named by its URL, the topic by its body)."""
    return lambda where, topic: f"{where.base_url}{prefix}/{where.domain}"
