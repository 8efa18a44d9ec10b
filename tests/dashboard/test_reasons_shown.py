"""The owner reads every ledger reason, tier change and event note in the dashboard's language."""

from __future__ import annotations

import re

import pytest

from plugin import customers, ledger
from plugin.core import reasons
from plugin.core.db import session
from plugin.core.models import Event
from tests.conftest import fixture_json
from tests.dashboard.test_dashboard import ORDER_FIXTURE, sign_in


def ledger_lines(html: str) -> list[str]:
    table = html.split('<table class="ledger">')[1]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


@pytest.fixture
def bob_history(shop, post_webhook, drain):
    """Bob earned on order 450789469, then 10 points were held for a discount."""
    assert post_webhook("orders/paid", fixture_json(ORDER_FIXTURE)).status_code == 200
    drain()
    with session():
        bob = customers.find(shop.id, "207119551")
        ledger.spend(bob, "regular", 10, key="hold:x", kind="hold", reason=reasons.held())


@pytest.mark.parametrize(("lang", "earned", "held"), [
    ("en", "5% on 195.66; 5% on 195.67; 5% on 195.67", "held for a discount"),
    ("ru", "5% с суммы 195,66; 5% с суммы 195,67; 5% с суммы 195,67", "зарезервировано под скидку"),
])
def test_customer_page_shows_each_ledger_reason_in_the_chosen_language(app, client, shop, bob_history,
                                                                      lang, earned, held):
    sign_in(app, client, shop)
    html = client.get(f"/admin/customers/207119551?lang={lang}").get_data(as_text=True)
    lines = ledger_lines(html)
    assert any(line.endswith(earned) for line in lines), lines
    assert any(line.endswith(held) for line in lines), lines
    assert "earn.order" not in html and '{"code"' not in html


def test_events_page_shows_our_note_on_an_event_in_russian(app, client, shop):
    note = reasons.event_note("unknown_code", discount="LOY-1")
    with session():
        Event.create(shop=shop.id, platform="shopify", topic="orders/paid", delivery_id="d1", raw_body="{}",
                     status="failed", error=reasons.dumps(note))
    sign_in(app, client, shop)
    html = client.get("/admin/events?lang=ru").get_data(as_text=True)
    assert "код скидки LOY-1 похож на наш, но его не выдавало ни одно списание" in html
    english = client.get("/admin/events?lang=en").get_data(as_text=True)
    assert "discount code LOY-1 looks like ours but no redemption issued it" in english
