"""The driver contract every platform implements for the conformance suite (shape fixed by the
issue #12 brief): the suite speaks in these terms, a driver sends what its platform sends."""

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
    """One per platform, built from THAT platform's recorded payloads; every method asserts 2xx."""

    platform: str  # "shopify" | "custom" | "insales"

    def install(self, client, app) -> Installed:  # registers/installs the shop (currency RUB)
        raise NotImplementedError

    def sign_up(self, client, customer_id: str, email: str) -> None:
        raise NotImplementedError

    def paid(self, client, order: Order) -> None:  # the platform's usual "this order is paid"
        raise NotImplementedError

    def created_then_paid(self, client, order: Order) -> None:  # created (unpaid) then paid
        raise NotImplementedError

    def refund(self, client, order: Order, refund_id: str, lines: dict[str, int]) -> None:  # line_id -> qty
        raise NotImplementedError

    def cancel(self, client, order: Order) -> None:
        raise NotImplementedError

    def uninstall(self, client) -> None:
        raise NotImplementedError
