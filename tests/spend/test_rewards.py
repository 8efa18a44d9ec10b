"""The rewards catalog: each kind of reward, and why one cannot apply before any point is held."""

from __future__ import annotations

import copy

from plugin import customers, ledger
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import Hold
from plugin.program import document, versions
from tests.helpers import EVERY_REWARD
from widgets import identity


def test_redeeming_a_reward_over_the_widget_holds_its_cost(app, client, shop):
    with session(), database.atomic():
        customer = customers.ensure(shop.id, "c1")
        ledger.grant(customer, 1000, kind=EntryKind.BONUS, source="s", rule={}, key="g")
        doc = copy.deepcopy(document.DEFAULT)
        doc["rewards"] = EVERY_REWARD
        versions.save(shop.id, doc, author="t")
    token = identity.issue_token(app.extensions["loyalty"].vault, shop, "c1", 3600)
    headers = {identity.SHOP_HEADER: shop.domain, "Authorization": f"Bearer {token}",
               "Idempotency-Key": "reward-0001"}
    cart = {"currency": "USD", "lines": [{"product_id": "42", "price": "800"}]}
    listed = client.post("/widget/v1/rewards", json={"cart": cart, "lang": "ru"}, headers=headers)
    assert listed.get_json()["rewards"][0]["title"] == "100 ₽"
    response = client.post("/widget/v1/rewards/mug/redeem", json={"cart": cart}, headers=headers)
    assert response.status_code == 201
    held = response.get_json()["redemption"]
    assert (held["points"], held["amount"], held["reward"]) == (300, "800.00", "mug")
    refused = client.post("/widget/v1/rewards/ship/redeem", json={"cart": cart},
                          headers={**headers, "Idempotency-Key": "reward-0002"})
    assert refused.status_code == 422 and "shipping" in refused.get_json()["message"]
    with session():
        assert Hold.select().count() == 1
        assert ledger.balances(customer) == {"regular": 700}
