"""The widget's history says why in the shopper's language, with the reason's code and parameters."""

from __future__ import annotations

import pytest

from tests.conftest import SHOP_DOMAIN
from tests.widgets.test_widget_account import BOB, NOW, ORDER, at
from widgets import identity

EARNED = {"en": "5% on 195.66; 5% on 195.67; 5% on 195.67",
          "ru": "5% с суммы 195,66; 5% с суммы 195,67; 5% с суммы 195,67"}


def recent(app, client, shop, query: str = "", **headers: str) -> list[dict]:
    token = identity.issue_token(app.extensions["loyalty"].vault, shop, BOB, ttl=3600)
    response = client.get(f"/widget/v1/account{query}", headers={
        "Authorization": f"Bearer {token}", "X-Loyalty-Shop": SHOP_DOMAIN, **headers})
    assert response.status_code == 200
    return response.get_json()["recent"]


@pytest.fixture
def bob_earned(shop, post_webhook, drain):
    at(NOW)
    assert post_webhook("orders/paid", ORDER).status_code == 200
    drain()


@pytest.mark.parametrize(("query", "headers", "lang"), [
    ("?lang=ru", {}, "ru"),
    ("?lang=en", {"Accept-Language": "ru"}, "en"),
    ("", {"Accept-Language": "ru-RU,ru;q=0.9"}, "ru"),
    ("", {}, "en"),
])
def test_history_reason_follows_the_widgets_language(app, client, shop, bob_earned, query, headers, lang):
    [entry] = recent(app, client, shop, query, **headers)
    assert entry["reason"] == EARNED[lang]
    assert entry["reason_code"] == "earn.order"
    lines = [{"code": "earn.percent", "percent": "5", "amount": a} for a in ("195.66", "195.67", "195.67")]
    assert entry["reason_params"] == {"notes": [], "lines": lines}
