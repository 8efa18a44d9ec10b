"""The outbound half of the platform contract: what the plugin asks of a store platform.

One object per platform (``plugin.platforms.registry``), so the engine never asks which platform a
shop is on: it asks the shop's platform to make or kill a hold's discount code, to do its install
work, to list the orders that changed (for platforms that do not guarantee webhook delivery), or to
list the past orders of a period (the economics simulator's history).
The inbound half is webhooks.contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from plugin.config import Settings, load_settings
from plugin.core.crypto import Vault
from plugin.core.models import Event, Hold, Shop
from plugin.platforms import PlatformError
from plugin.reports.economics.history import PastLine


@dataclass(frozen=True)
class Access:
    """What a platform call needs: the settings (app credentials) and the vault (shop tokens)."""

    settings: Settings
    vault: Vault

    @classmethod
    def from_environment(cls) -> Access:
        """For jobs, which run outside a request: the same settings the web app reads."""
        settings = load_settings()
        return cls(settings, Vault(settings.secret_key))


@dataclass(frozen=True)
class Delivery:
    """An order reconciliation found: stored through the inbox as if the platform had sent it."""

    topic: str
    raw: bytes
    key: str  # identifies this version of the order (its id and update time): stored once


@dataclass(frozen=True)
class Changes:
    """One reconciliation pass: what changed, and where the next pass starts (opaque text)."""

    deliveries: list[Delivery] = field(default_factory=list)
    watermark: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What a platform read for a batch of a shop's pending events, before the batch's transaction
    (plugin.pipeline.fetching stores it): deliveries to store through the inbox as if the platform
    had sent them (an Ecwid order read by id), payloads completed from the API (a WooCommerce
    snapshot with its refunds' lines), and notices whose content is now stored (applied, with a note).
    """

    deliveries: list[Delivery] = field(default_factory=list)
    payloads: dict[int, dict] = field(default_factory=dict)  # event id -> its completed payload
    done: dict[int, str] = field(default_factory=dict)  # event id -> note (a notice read: applied)


class Platform:
    """The contract, with what a platform that has no API of ours does: the plugin's own discount
    codes (the store asks ``GET /api/v1/discount-codes/<code>``), no install work, and no
    reconciliation (its deliveries are signed and retried). Platforms override what they can do."""

    name = "custom"
    #: Whether the periodic reconciliation job calls ``orders_since`` for this platform's shops.
    reconciles = False
    #: Whether the store's own backend signs its shoppers' widget tokens (``widgets.identity``), so
    #: ``loyalty shops add`` hands it the shop's widget secret; a platform that names the shopper
    #: itself (Shopify's app proxy) keeps the secret in the plugin.
    store_signs_tokens = True
    #: Whether a batch's pending events need reading from the platform first (``prepare``).
    prepares = False
    #: Whether ``past_orders`` can list the shop's order history (for the economics simulator).
    lists_orders = False

    def install(self, shop: Shop, access: Access) -> None:
        """The API work after an install: subscribe webhooks, read the shop's currency..."""

    def uninstall(self, shop: Shop, access: Access) -> None:
        """Undo what install registered on the platform (best effort: the shop may be gone)."""

    def make_code(self, shop: Shop, hold: Hold, customer_id: str, access: Access) -> str | None:
        """Make the hold's single-use discount on the platform; its id there, or None when the
        plugin's own code is the discount (the store asks what it is worth)."""
        return None

    def kill_code(self, shop: Shop, hold: Hold, access: Access) -> None:
        """Make the hold's platform discount unusable (one already gone is fine); raises
        PlatformError when the platform cannot be reached, so the hold stays ``releasing``."""

    def orders_since(self, shop: Shop, watermark: str | None, access: Access) -> Changes:
        """The orders changed since ``watermark``, as deliveries of the platform's order topic."""
        return Changes(watermark=watermark)

    def prepare(self, shop: Shop, events: list[Event], access: Access) -> Prepared:
        """Before a batch's transaction (no lock is held while the platform answers): read what
        the shop's pending, mapped events need that their deliveries do not carry or cannot be
        trusted with (Ecwid signs only an event's id, so its order is read by id; WooCommerce
        lists a refund without its lines). Raises PlatformError when the platform cannot be
        reached: an event still unread when the batch reaches it fails as ``Unread`` and is
        retried later (plugin.pipeline.fetching)."""
        return Prepared()

    def past_orders(self, shop: Shop, first: date, last: date, access: Access) -> Iterator[list[PastLine]]:
        """The shop's paid orders placed from ``first`` to ``last`` (UTC days, both included) as
        order lines after discounts in the shop currency, a refund as a negative line where the
        listing shows it; a page of whole orders at a time, so each page is written as it comes."""
        raise PlatformError(f"a {self.name} shop cannot list its past orders here: import a CSV file")
