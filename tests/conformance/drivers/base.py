"""The driver contract of the conformance suite: one driver per platform, built from that platform's
recorded payloads, sends what the platform sends (signed as it signs, to the address ``loyalty shops
add`` or the install flow gives) for each step of the one scenario in test_conformance.py.

The shapes are fixed by issue #12's brief: a new platform writes ``drivers/<platform>.py`` with a
subclass of ``Driver`` and adds it to ``DRIVERS``.
Ids are the scenario's (digits only, so every platform can carry them); money is a Decimal in the
shop's currency (RUB); an order's ``codes`` are the plugin's redemption codes, carried as the
platform carries a discount code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Line:
    line_id: str
    product_id: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    email: str
    lines: tuple[Line, ...]
    codes: tuple[str, ...] = ()


@dataclass
class Installed:
    shop_id: int
    domain: str
    api_key: str
    currency: str


class Driver:
    """One platform as the scenario sees it. Every method sends exactly what the platform sends and
    asserts each response is 2xx; the scenario runs the jobs and checks the balances itself."""

    platform: str  # "shopify" | "custom" | "insales"
    #: The platform sends whole orders (``order.snapshot``), no refund or cancel events: a refund
    #: that overtakes its order is the order's first paid version, which earns on what is left.
    snapshots: bool = False

    def install(self, client, app) -> Installed:
        """Register or install the shop (currency RUB), as the platform's store owner would."""
        raise NotImplementedError

    def sign_up(self, client, customer_id: str, email: str) -> None:
        raise NotImplementedError

    def paid(self, client, order: Order) -> None:
        """The platform's usual "this order is paid"."""
        raise NotImplementedError

    def created_then_paid(self, client, order: Order) -> None:
        """The order created (unpaid), then paid."""
        raise NotImplementedError

    def refund(self, client, order: Order, refund_id: str, lines: dict[str, int]) -> None:
        """A refund of ``lines`` (line id -> quantity returned) of ``order``."""
        raise NotImplementedError

    def cancel(self, client, order: Order) -> None:
        raise NotImplementedError

    def uninstall(self, client) -> None:
        raise NotImplementedError


def accepted(response) -> None:
    """A delivery the platform would count as delivered (2xx), else the answer in the message."""
    assert 200 <= response.status_code < 300, (response.status_code, response.get_data(as_text=True))
