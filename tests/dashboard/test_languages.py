"""The dashboard's languages and the public rules page."""

from __future__ import annotations

import re

import pytest

from plugin.core.db import session
from plugin.core.i18n import day, money, number, translate
from plugin.core.models import Shop
from plugin.program import versions
from tests.helpers import (
    SHOP_DOMAIN,
    save_program,
    sign_in,
)

# --- languages -------------------------------------------------------------------------------

def test_language_follows_accept_language_then_the_choice_is_remembered(app, client, shop):
    sign_in(app, client, shop)
    russian = client.get("/admin/overview", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    russian = russian.get_data(as_text=True)
    assert 'lang="ru"' in russian and "Обзор" in russian and "вы вошли как Olga Petrova" in russian
    client.get("/admin/overview?lang=en")
    english = client.get("/admin/overview", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'lang="en"' in english and "Overview" in english


@pytest.mark.parametrize(("lang", "n", "text"), [
    ("en", 1, "1 point"), ("en", 5, "5 points"), ("ru", 1, "1 балл"), ("ru", 3, "3 балла"),
    ("ru", 11, "11 баллов"), ("ru", 21, "21 балл"), ("ru", 1500, "1\u00a0500 баллов"),
    ("en", 1500, "1,500 points"),
])
def test_points_are_counted_in_each_languages_plural(lang, n, text):
    assert translate(lang, "points", n=n) == text


def test_numbers_money_and_dates_per_language():
    from datetime import date
    from decimal import Decimal

    assert (number(-1234567, "en"), number(-1234567, "ru")) == ("-1,234,567", "-1\u00a0234\u00a0567")
    assert number(Decimal("2.50"), "ru") == "2,5"
    assert money(Decimal("1234.5"), "RUB", "ru") == "1\u00a0234,50 RUB"
    assert day(date(2026, 3, 1), "en") == "Mar 1, 2026"
    assert day(date(2026, 3, 1), "ru") == "1 мар. 2026\u202fг."  # CLDR medium date
    assert day("2027-01-05", "ru") == "5 янв. 2027\u202fг."  # an ISO date, as tier progress gives it


# --- the public rules page -------------------------------------------------------------------

RICH = {
    "point_types": {"regular": {"label": {"en": "Points", "ru": "Баллы"}},
                    "premium": {"label": {"en": "Premium"}, "expiry": {"kind": "days", "days": 90},
                                "redemption_cap": {"percent": "50"}}},
    "categories": {"promo": {"tags": ["promo"]}},
    "earning": {"point_type": "regular", "rate": {"kind": "percent", "percent": "7"},
                "exclude_categories": ["promo"], "pending_days": 14},
    "signup": {"points": 200, "point_type": "regular"},
    "birthday": {"points": 300, "point_type": "premium"},
    "redemption": {"point_value": "0.5"},
    "rewards": [{"id": "ship", "kind": "free_shipping", "points": 400, "title": {"en": "Free delivery"}}],
    "tiers": {"metric": "amount_spent", "tiers": [
        {"id": "base", "threshold": "0", "title": {"en": "Base", "ru": "Базовый"}},
        {"id": "gold", "threshold": "30000", "title": {"en": "Gold", "ru": "Золото"},
         "earn_multiplier": "1.5"},
        {"id": "staff", "threshold": "0", "hidden": True, "title": {"en": "Staff only"}}]},
    "referrals": {"referrer_points": 500, "friend_points": 250},
    "campaigns": [{"name": "Spring x2", "starts_at": "2000-01-01T00:00:00", "ends_at": "2999-01-01T00:00:00",
                   "multiplier": "2"},
                  {"name": "Past sale", "starts_at": "2000-01-01T00:00:00", "ends_at": "2000-02-01T00:00:00",
                   "bonus": 10},
                  {"name": "VIP only", "starts_at": "2000-01-01T00:00:00", "ends_at": "2999-01-01T00:00:00",
                   "bonus": 5, "customers": ["1"]}],
}


def rules_text(client, lang: str | None = None, headers: dict | None = None) -> str:
    query = {"lang": lang} if lang else {}
    response = client.get(f"/rules/{SHOP_DOMAIN}", query_string=query, headers=headers)
    assert response.status_code == 200
    return re.sub(r"[ \t\n]+", " ", response.get_data(as_text=True))  # no-break spaces stay


def test_rules_page_states_the_programs_rules_in_english(client, shop):
    with session():
        versions.save(shop.id, RICH, author="test")
    html = rules_text(client, "en")
    for sentence in ["7 points for every 100.00 USD spent.", "Orders earn Points points.",
                     "No points for: “promo”.", "Points can be spent 14 days after the order",
                     "Premium: expire 90 days after they are earned. They can pay at most 50% of an order.",
                     "1 point = 0.50 USD off.", "Free delivery: free shipping for 400 points",
                     "Gold from 30,000.00 USD: ×1.5 points on orders", "200 points (Points) for joining.",
                     "300 points (Premium) on your birthday.",
                     "A friend you invite gets 250 points on their first",
                     "You get 500 points once their first order is 14 days old", "Spring x2: ×2 points"]:
        assert sentence in html, sentence
    assert "Staff only" not in html and "Past sale" not in html and "VIP only" not in html


def test_rules_page_in_russian(client, shop):
    with session():
        versions.save(shop.id, RICH, author="test")
    html = rules_text(client, "ru")
    assert 'lang="ru"' in html
    for sentence in ["7 баллов за каждые 100,00 USD покупок.", "За заказы начисляются баллы вида «Баллы».",
                     "Баллы не начисляются за: «promo».", "Premium: сгорают через 90 дней после начисления.",
                     "1 балл = скидка 0,50 USD.", "Золото — от 30\u00a0000,00 USD: баллы за заказы ×1,5",
                     "200 баллов («Баллы») за регистрацию.",
                     "Приглашённый друг получит 250 баллов за первый заказ."]:
        assert sentence in html, sentence
    assert "Сейчас действуют" in html and "Spring x2: баллы ×2" in html


def test_rules_page_language_follows_the_browser_without_a_choice(client, shop):
    assert "Как начисляются баллы" in rules_text(client, headers={"Accept-Language": "ru"})
    assert "Earning points" in rules_text(client, headers={"Accept-Language": "de, en;q=0.5"})


def test_rules_page_changes_when_the_program_changes(client, shop):
    assert "5 points for every 100.00 USD spent." in rules_text(client, "en")
    save_program(shop, earning={"rate": {"kind": "bands", "bands": [
        {"from": "0", "to": "1000", "points": 10}, {"from": "1000", "points": 100}]}})
    html = rules_text(client, "en")
    assert "5 points for every" not in html
    assert "orders from 0.00 USD to 1,000.00 USD: 10 points; orders from 1,000.00 USD: 100 points." in html


def test_rules_page_of_an_unknown_or_uninstalled_shop_is_404(client, shop):
    assert client.get("/rules/nobody.myshopify.com").status_code == 404
    with session():
        Shop.update(active=False).where(Shop.id == shop.id).execute()
    assert client.get(f"/rules/{SHOP_DOMAIN}").status_code == 404


def test_widget_account_links_to_the_rules_page(client, shop):
    data = client.get("/widget/v1/account", headers={"X-Loyalty-Shop": SHOP_DOMAIN}).get_json()
    assert data["program"]["rules_url"] == f"https://loyalty.example.test/rules/{SHOP_DOMAIN}"
