"""The InSales conformance driver on its own (the suite runs it with the others): each step moves
the balance as a clean delivery would."""

from __future__ import annotations

from decimal import Decimal

from peewee import fn

from plugin.core.db import session
from plugin.core.models import Customer, LedgerEntry, Shop
from tests.conformance.drivers.base import Line, Order
from tests.conformance.drivers.insales import InSalesDriver

ORDER = Order("5001", "7001", "olga@example.com",
              (Line("61", "71", Decimal("1000.00"), 3), Line("62", "72", Decimal("500.00"), 2)))


def balance(customer_id: str) -> int:
    with session():
        return LedgerEntry.select(fn.COALESCE(fn.SUM(LedgerEntry.delta), 0)).join(Customer).where(
            Customer.platform_id == customer_id).scalar()


def test_insales_driver_scenario(app, client, drain):
    driver = InSalesDriver()
    installed = driver.install(client, app)
    assert (installed.currency, installed.domain) == ("RUB", "conformance.myinsales.ru")
    driver.sign_up(client, "7001", "olga@example.com")
    drain()
    assert balance("7001") == 100
    driver.paid(client, ORDER)
    driver.paid(client, ORDER)
    drain()
    assert balance("7001") == 100 + 200  # 5% of 4000.00
    driver.refund(client, ORDER, "r1", {"61": 1, "62": 2})
    drain()
    assert balance("7001") == 100 + 100
    other = Order("5002", "7001", "olga@example.com", (Line("63", "73", Decimal("2000.00"), 1),))
    driver.created_then_paid(client, other)
    driver.paid(client, other)
    drain()
    assert balance("7001") == 100 + 100 + 100
    driver.cancel(client, ORDER)
    drain()
    assert balance("7001") == 100 + 100
    early = Order("5003", "7001", "olga@example.com", (Line("64", "74", Decimal("1000.00"), 2),))
    driver.refund(client, early, "r2", {"64": 1})  # the refund overtakes its order
    driver.paid(client, early)
    drain()
    assert balance("7001") == 100 + 100 + 50
    driver.uninstall(client)
    drain()
    with session():
        assert not Shop.get_by_id(installed.shop_id).active
