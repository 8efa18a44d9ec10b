"""The one scenario every platform passes unchanged (issue #12), run for every driver in DRIVERS on
both backends: each step sends what the platform sends through its driver, runs the jobs, and checks
balances and ledger entries through the admin API (the shop's API key) or the database.

A step is a small function, so a failure names it; later steps build on earlier ones (one shop,
one program history), and the app fixture's own audit runs at the end as well as the last step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from plugin.core.db import session
from plugin.core.kinds import EntryKind, EventKind
from plugin.core.models import Customer, Event, LedgerEntry, Shop
from plugin.core.status import EventStatus, HoldStatus
from plugin.customers import shops
from plugin.ledger import audit
from tests.conformance.drivers import DRIVERS
from tests.conformance.drivers.base import Driver, Installed, Line, Order
from widgets import identity

REDEEMED, LATE = 150, 50  # points held for the committed code, and for the cancelled one


def order(number: int, customer: str, *lines: tuple[str, int], codes: tuple[str, ...] = ()) -> Order:
    """An order of ``lines`` (price, quantity), its ids derived from ``number``."""
    return Order(f"{700000 + number}", customer, f"shopper{customer}@example.test",
                 tuple(Line(f"{number * 10 + n}", f"{900 + n}", Decimal(price), quantity)
                       for n, (price, quantity) in enumerate(lines, start=1)), codes)


@dataclass
class World:
    driver: Driver
    app: object
    client: object
    drain: Callable[[], None]
    shop: Installed | None = None
    held: dict = field(default_factory=dict)  # name -> the widget's redemption

    def run(self, send: Callable, *args) -> None:
        """Send one platform delivery through the driver, then run the jobs it queued."""
        send(self.client, *args)
        self.drain()

    def api(self, path: str):
        response = self.client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {self.shop.api_key}"})
        assert response.status_code == 200, (path, response.status_code, response.get_json())
        return response.get_json()

    def balance(self, customer: str) -> int:
        return self.api(f"/customers/{customer}")["balance"]["total"]

    def entries(self, customer: str) -> list[tuple[str, int, str]]:
        """The customer's ledger, oldest first: (kind, delta, idempotency key)."""
        items = self.api(f"/customers/{customer}/ledger?limit=100")["items"]
        return [(e["kind"], e["delta"], e["idempotency_key"]) for e in reversed(items)]

    def earned(self, placed: Order) -> int:
        """What the order's earn entry gave (read back, so a platform's own discount lines count)."""
        key = f"order:{placed.order_id}:earn"
        return sum(delta for kind, delta, k in self.entries(placed.customer_id) if k == key)

    def keyed(self, key: str) -> bool:
        """Whether the shop's ledger has an entry of this key (in the caller's session)."""
        return LedgerEntry.select().where((LedgerEntry.shop == self.shop.shop_id)
                                          & (LedgerEntry.idempotency_key == key)).exists()

    def program(self, percent: str) -> None:
        current = self.api("/program")["program"]
        current["earning"]["rate"] = {"kind": "percent", "percent": percent}
        response = self.client.put("/api/v1/program", json=current,
                                   headers={"Authorization": f"Bearer {self.shop.api_key}"})
        assert response.status_code == 201, response.get_json()

    def shopper(self, customer: str, key: str | None = None) -> dict:
        vault = self.app.extensions["loyalty"].vault
        with session():
            shop = Shop.get_by_id(self.shop.shop_id)
            token = identity.issue_token(vault, shop, customer, 3600)
        return {identity.SHOP_HEADER: shop.domain, "Authorization": f"Bearer {token}",
                **({"Idempotency-Key": key} if key else {})}

    def redeem(self, customer: str, points: int, key: str) -> dict:
        cart = {"currency": self.shop.currency, "lines": [{"line_id": "1", "product_id": "901",
                                                           "price": "3000.00", "quantity": 1}]}
        response = self.client.post("/widget/v1/redeem", json={"points": points, "cart": cart},
                                    headers=self.shopper(customer, key))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["redemption"]

    def redemption(self, customer: str, held: dict) -> dict:
        response = self.client.get(f"/widget/v1/redemptions/{held['id']}", headers=self.shopper(customer))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["redemption"]


# --- the customers and orders of the scenario ------------------------------------------------------
ANNA, BORIS, VERA, GLEB = "500001", "500002", "500003", "500004"
FIRST = order(1, ANNA, ("1000.00", 2), ("500.00", 1))  # 2500.00: 125 points at 5%
TWICE = order(2, BORIS, ("400.00", 1))  # 20 points
CREATED = order(3, BORIS, ("600.00", 1))  # 30 points
EARLY = order(4, VERA, ("500.00", 2))  # 50 points, half of it refunded before the order arrives
STOCK = order(5, GLEB, ("2000.00", 1))  # 100 points to spend
LATER = order(9, ANNA, ("800.00", 1))  # after the uninstall


def step_install(w: World) -> None:
    w.shop = w.driver.install(w.client, w.app)
    assert w.shop.currency == "RUB"
    assert w.api("/shop")["active"] is True
    w.program("5")


def step_sign_up_earns_the_programs_welcome_bonus(w: World) -> None:
    bonus = w.api("/program")["program"]["signup"]["points"]
    w.run(w.driver.sign_up, ANNA, FIRST.email)
    assert w.balance(ANNA) == bonus == 100
    assert w.entries(ANNA) == [(EntryKind.BONUS, 100, f"signup:{ANNA}")]


def step_a_paid_order_earns(w: World) -> None:
    w.run(w.driver.paid, FIRST)
    assert w.balance(ANNA) == 100 + 125
    assert w.entries(ANNA)[-1] == (EntryKind.EARN, 125, f"order:{FIRST.order_id}:earn")


def step_an_order_delivered_twice_or_created_then_paid_earns_once(w: World) -> None:
    w.run(w.driver.paid, TWICE)
    w.run(w.driver.paid, TWICE)
    w.run(w.driver.created_then_paid, CREATED)
    w.run(w.driver.paid, CREATED)
    assert w.balance(BORIS) == 20 + 30
    assert [key for kind, _, key in w.entries(BORIS)] == [
        f"order:{TWICE.order_id}:earn", f"order:{CREATED.order_id}:earn"]


def step_a_partial_refund_reverses_pro_rata_at_the_orders_rate(w: World) -> None:
    w.program("10")  # today's program pays double; the refund still reverses at the order's 5%
    line = FIRST.lines[0]
    w.run(w.driver.refund, FIRST, "810001", {line.line_id: 1})
    assert w.balance(ANNA) == 100 + 125 - 50  # 1000.00 of 2500.00 back: 50 of the 125 points
    assert w.entries(ANNA)[-1][:2] == (EntryKind.REVERSE, -50)  # keyed as the platform names refunds
    w.program("5")


def step_a_refund_before_its_order_waits_and_applies_once_the_order_arrives(w: World) -> None:
    if w.driver.snapshots:  # the refunded version is the first the plugin sees: it earns on what is left
        w.run(w.driver.refund, EARLY, "810004", {EARLY.lines[0].line_id: 1})
        w.run(w.driver.paid, EARLY)
        w.run(w.driver.refund, EARLY, "810004", {EARLY.lines[0].line_id: 1})
        assert w.balance(VERA) == 50 - 25
        assert w.entries(VERA) == [(EntryKind.EARN, 25, f"order:{EARLY.order_id}:earn")]
        return
    w.run(w.driver.refund, EARLY, "810004", {EARLY.lines[0].line_id: 1})
    with session():  # stored, and waiting: nothing of this order in the ledger yet
        latest = Event.select().where(Event.shop == w.shop.shop_id).order_by(Event.id.desc()).first()
        assert (latest.kind, latest.status) == (EventKind.ORDER_REFUNDED, EventStatus.WAITING)
        assert not LedgerEntry.select().where(LedgerEntry.shop == w.shop.shop_id).join(Customer).where(
            Customer.platform_id == VERA).exists()
    w.run(w.driver.paid, EARLY)
    assert w.balance(VERA) == 50 - 25
    assert [entry[:2] for entry in w.entries(VERA)] == [(EntryKind.EARN, 50), (EntryKind.REVERSE, -25)]
    assert w.entries(VERA)[0][2] == f"order:{EARLY.order_id}:earn"
    w.run(w.driver.refund, EARLY, "810004", {EARLY.lines[0].line_id: 1})  # and its retry changes nothing
    assert w.balance(VERA) == 25


def step_a_cancellation_reverses_what_the_order_still_holds(w: World) -> None:
    w.run(w.driver.cancel, FIRST)
    assert w.balance(ANNA) == 100  # the welcome bonus is all that is left
    assert w.entries(ANNA)[-1] == (EntryKind.REVERSE, -75, f"cancel:{FIRST.order_id}")
    w.run(w.driver.cancel, FIRST)
    assert w.balance(ANNA) == 100


def step_a_code_used_by_the_paid_order_commits_its_redemption(w: World) -> None:
    w.run(w.driver.paid, STOCK)
    assert w.balance(GLEB) == 100
    w.run(w.driver.sign_up, GLEB, STOCK.email)
    assert w.balance(GLEB) == 200
    held = w.held["used"] = w.redeem(GLEB, REDEEMED, "conformance-used-1")
    assert w.balance(GLEB) == 200 - REDEEMED
    spent = order(6, GLEB, ("1200.00", 1), codes=(held["code"],))
    w.run(w.driver.paid, spent)
    assert w.redemption(GLEB, held)["status"] == HoldStatus.COMMITTED
    assert w.balance(GLEB) == 200 - REDEEMED + w.earned(spent)
    assert EntryKind.LATE_COMMIT not in [kind for kind, _, _ in w.entries(GLEB)]


def step_a_cancelled_code_used_anyway_is_charged(w: World) -> None:
    before = w.balance(GLEB)
    held = w.redeem(GLEB, LATE, "conformance-late-1")
    response = w.client.post(f"/widget/v1/redemptions/{held['id']}/cancel",
                             headers=w.shopper(GLEB, "conformance-late-cancel"))
    assert response.get_json()["redemption"]["status"] == HoldStatus.RELEASED
    assert w.balance(GLEB) == before
    spent = order(7, GLEB, ("900.00", 1), codes=(held["code"],))
    w.run(w.driver.paid, spent)
    late = [delta for kind, delta, _ in w.entries(GLEB) if kind == EntryKind.LATE_COMMIT]
    assert late == [-LATE]
    assert w.balance(GLEB) == before - LATE + w.earned(spent)


def step_uninstall_deactivates_the_shop_and_later_deliveries_are_ignored(w: World) -> None:
    w.run(w.driver.uninstall)
    shops.forget_cached()  # the receivers' few seconds of cached shop rows, passed
    with session():
        assert Shop.get_by_id(w.shop.shop_id).active is False
    answer = w.client.get("/api/v1/shop", headers={"Authorization": f"Bearer {w.shop.api_key}"})
    assert answer.status_code == 401
    w.run(w.driver.paid, LATER)
    with session():
        later = Event.select().where(Event.shop == w.shop.shop_id).order_by(Event.id.desc()).first()
        paid = EventKind.ORDER_SNAPSHOT if w.driver.snapshots else EventKind.ORDER_PAID
        assert (later.kind, later.status) == (paid, EventStatus.IGNORED)
        assert not w.keyed(f"order:{LATER.order_id}:earn")


def step_the_audit_is_clean(w: World) -> None:
    with session():
        assert audit.check(w.shop.shop_id) == []


STEPS = [step_install, step_sign_up_earns_the_programs_welcome_bonus, step_a_paid_order_earns,
         step_an_order_delivered_twice_or_created_then_paid_earns_once,
         step_a_partial_refund_reverses_pro_rata_at_the_orders_rate,
         step_a_refund_before_its_order_waits_and_applies_once_the_order_arrives,
         step_a_cancellation_reverses_what_the_order_still_holds,
         step_a_code_used_by_the_paid_order_commits_its_redemption,
         step_a_cancelled_code_used_anyway_is_charged,
         step_uninstall_deactivates_the_shop_and_later_deliveries_are_ignored,
         step_the_audit_is_clean]


@pytest.mark.parametrize("driver_class", DRIVERS, ids=lambda d: d.platform)
def test_the_platform_passes_the_scenario(driver_class, app, client, drain):
    world = World(driver_class(), app, client, drain)
    for step in STEPS:
        try:
            step(world)
        except AssertionError as exc:
            raise AssertionError(f"{world.driver.platform}: {step.__name__}: {exc}") from exc
