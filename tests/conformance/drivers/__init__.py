"""Every platform's conformance driver (a ``Driver`` subclass, tests/conformance/drivers/base.py),
one line each; test_conformance.py runs its one scenario for every class listed here."""

from __future__ import annotations

from tests.conformance.drivers.base import Driver
from tests.conformance.drivers.custom import CustomDriver
from tests.conformance.drivers.ecwid import EcwidDriver
from tests.conformance.drivers.insales import InSalesDriver
from tests.conformance.drivers.shopify import ShopifyDriver
from tests.conformance.drivers.woocommerce import WooCommerceDriver

DRIVERS: list[type[Driver]] = [
    ShopifyDriver,
    CustomDriver,
    InSalesDriver,
    EcwidDriver,
    WooCommerceDriver,
]
