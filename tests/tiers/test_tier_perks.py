"""Tier benefits at checkout (the standing discount, free shipping, tier-only rewards) and their
Shopify form: a segment per tier tag, automatic discounts for it, and customers retagged as they move."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
import responses
from marshmallow import ValidationError

from plugin import customers, ledger, tiers
from plugin.core.db import database, session
from plugin.core.kinds import EntryKind
from plugin.core.models import CustomerTier, Shop, TierDiscount
from plugin.customers import shops
from plugin.platforms import shopify as shopify_api
from plugin.program import document, versions
from plugin.tiers import perks as tier_perks
from plugin.tiers import sync as tier_sync
from tests.helpers import SHOP_DOMAIN, shopper_headers

GRAPHQL = f"https://{SHOP_DOMAIN}{shopify_api.GRAPHQL_PATH}"
LADDER = [
    {"id": "novice", "title": {"en": "Novice", "ru": "Новичок"}, "threshold": "0"},
    {"id": "silver", "title": {"en": "Silver", "ru": "Серебро"}, "threshold": "3000",
     "discount_percent": "5", "free_shipping_threshold": "3000"},
    {"id": "gold", "title": {"en": "Gold", "ru": "Золото"}, "threshold": "5000",
     "discount_percent": "8", "free_shipping_threshold": "0"},
]
GIFT = {"id": "gold-gift", "kind": "fixed_amount", "amount": "50", "points": 100, "tiers": ["gold"],
        "title": {"en": "Gold gift"}}
CART = {"currency": "RUB", "shipping": "15.00",
        "lines": [{"sku": "A", "price": "500.00", "quantity": 2},
                  {"sku": "G", "price": "100.00", "gift_card": True}]}


def program(ladder=LADDER, rewards=(GIFT,)) -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    if ladder:
        doc["tiers"] = {"metric": "amount_spent", "tiers": ladder}
    doc["rewards"] = list(rewards)
    return doc


@pytest.fixture(autouse=True)
def roubles(shop):
    """The carts below are in roubles: so is the shop."""
    with session():
        shops.set_currency(shop, "RUB")


@pytest.fixture
def tiered(shop):
    with session():
        versions.save(shop.id, program(), author="test")
    return shop


def on_tier(shop, platform_id: str, tier_id: str, points: int = 0):
    with session(), database.atomic():
        customer = customers.ensure(shop.id, platform_id)
        if points:
            ledger.grant(customer, points, kind=EntryKind.BONUS, source="s", rule={}, key=f"g-{platform_id}")
        tiers.assign(customer, tier_id)
        return customer


def test_the_cart_benefits_of_a_tier_leave_gift_cards_out():
    gold, silver = (document.load(program())["tiers"]["tiers"][n] for n in (2, 1))
    order = {"shipping": "15.00", "lines": [{"amount": "1000.00"}, {"amount": "100", "gift_card": True}]}
    assert tier_perks.for_cart(gold, order) == {
        "tier": "gold", "title": {"en": "Gold", "ru": "Золото"}, "discount_percent": "8",
        "discount": "80.00", "free_shipping": True, "free_shipping_threshold": "0.00",
        "shipping_saved": "15.00", "to_free_shipping": None}
    silver_cart = tier_perks.for_cart(silver, order)
    assert (silver_cart["discount"], silver_cart["free_shipping"], silver_cart["to_free_shipping"]) == (
        "50.00", False, "2000.00")
    paid = tier_perks.discounted(order, gold)
    assert [line["amount"] for line in paid["lines"]] == ["920.00", "100"] and paid["shipping"] == "0"


def test_the_tiers_discount_is_the_sum_of_its_lines_as_the_order_pays_them():
    bronze = {**document.load(program())["tiers"]["tiers"][1], "discount_percent": Decimal(3)}
    order = {"lines": [{"amount": "199.00"}, {"amount": "58.00"}, {"amount": "15.50"}]}
    paid = sum(Decimal(line["amount"]) for line in tier_perks.discounted(order, bronze)["lines"])
    # 3% of each line rounded down (5.97 + 1.74 + 0.47), not 3% of 272.50 rounded down (8.17)
    assert tier_perks.for_cart(bronze, order)["discount"] == str(Decimal("272.50") - paid) == "8.18"


def test_the_quote_shows_the_tiers_price_and_earns_and_pays_on_it(app, client, tiered):
    on_tier(tiered, "207119551", "gold", points=300)
    body = client.post("/widget/v1/quote", json={"cart": CART},
                       headers=shopper_headers(app, tiered, "207119551")).get_json()
    assert body["tier_benefits"]["discount"] == "80.00" and body["tier_benefits"]["free_shipping"]
    # 5% of the merchandise after the 8% standing discount: 5% of 920 = 46 (the gift card earns nothing)
    assert body["earns"]["points"] == 46
    assert body["payable"]["amount"] == "920.00"


def test_a_tier_without_benefits_and_a_program_without_tiers_add_nothing(app, client, shop, tiered):
    on_tier(tiered, "1", "novice")
    headers = shopper_headers(app, tiered, "1")
    quoted = client.post("/widget/v1/quote", json={"cart": CART}, headers=headers).get_json()
    assert quoted["tier_benefits"] is None
    with session():
        versions.save(shop.id, program(ladder=None, rewards=()), author="test")
    body = client.post("/widget/v1/quote", json={"cart": CART}, headers=headers).get_json()
    assert body["tier_benefits"] is None and body["earns"]["points"] == 50


def test_a_tier_only_reward_is_shown_to_all_but_redeemed_only_by_its_tiers(app, client, tiered):
    on_tier(tiered, "2", "silver", points=500)
    on_tier(tiered, "3", "gold", points=500)

    def catalog(who):
        rewards = client.post("/widget/v1/rewards", json={"cart": CART},
                              headers=shopper_headers(app, tiered, who)).get_json()["rewards"]
        return next(r for r in rewards if r["id"] == "gold-gift")

    def redeem(who):
        headers = {**shopper_headers(app, tiered, who), "Idempotency-Key": f"gift-{who}-0001"}
        return client.post("/widget/v1/rewards/gold-gift/redeem", json={"cart": CART}, headers=headers)

    silver, gold = catalog("2"), catalog("3")
    assert (silver["available"], silver["why"], silver["tiers"]) == (False, "for Gold members", ["gold"])
    assert gold["available"] and gold["amount"] == "50.00"
    refused = redeem("2")
    assert refused.status_code == 422 and refused.get_json()["fields"] == {"reward": ["for Gold members"]}
    assert redeem("3").status_code == 201
    with session():
        balances = {c: ledger.balances(customers.find(tiered.id, c))["regular"] for c in ("2", "3")}
    assert balances == {"2": 500, "3": 400}


def test_a_reward_naming_an_unknown_tier_is_refused_by_path():
    with pytest.raises(ValidationError) as refused:
        document.load(program(rewards=[{**GIFT, "tiers": ["gold", "diamond"]}]))
    assert refused.value.messages == {"rewards": {0: {"tiers": ["unknown tier 'diamond'"]}}}


class FakeShopify:
    """Shopify's GraphQL for the tier sync: answers each mutation and records what it was asked."""

    def __init__(self, fail: str | None = None):
        self.asked: list[tuple] = []
        self.fail = fail
        self.ids = iter(range(1, 10**6))

    def __call__(self, request):
        body = json.loads(request.body)
        query, given = body["query"], body["variables"]
        errors = [{"field": None, "message": "nope"}] if self.fail and self.fail in query else []
        if "segmentCreate" in query:
            self.asked.append(("segment", given["query"]))
            data = {"segmentCreate": {"segment": None if errors else {"id": f"seg/{next(self.ids)}"},
                                      "userErrors": errors}}
        elif "segmentDelete" in query:
            self.asked.append(("unsegment", given["id"]))
            data = {"segmentDelete": {"deletedSegmentId": given["id"], "userErrors": []}}
        elif "Create(" in query:
            discount = given["discount"]
            value = (discount["customerGets"]["value"]["percentage"] if "customerGets" in discount
                     else discount["minimumRequirement"])
            self.asked.append(("discount", discount["context"]["customerSegments"]["add"][0], value))
            field = "discountAutomaticBasicCreate" if "customerGets" in discount else \
                "discountAutomaticFreeShippingCreate"
            data = {field: {"automaticDiscountNode": {"id": f"auto/{next(self.ids)}"}, "userErrors": []}}
        elif "discountAutomaticDelete" in query:
            self.asked.append(("undiscount", given["id"]))
            data = {"discountAutomaticDelete": {"deletedAutomaticDiscountId": given["id"], "userErrors": []}}
        else:
            moves = {given[f"id{n}"].rsplit("/", 1)[1]: (given.get(f"Add{n}"), given.get(f"Remove{n}"))
                     for n in range(100) if f"id{n}" in given}
            self.asked.append(("retag", moves))
            data = {key: {"userErrors": []} for key in given if key[:1] in "AR"}
        return 200, {}, json.dumps({"data": data})


@pytest.fixture
def installed(app, tiered, job_env):
    with session():
        Shop.update(access_token=app.extensions["loyalty"].vault.encrypt("shpat_test")).where(
            Shop.id == tiered.id).execute()
        return Shop.get_by_id(tiered.id)


def sync(fake: FakeShopify) -> int:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, GRAPHQL, callback=fake)
        return tier_sync.sync_all()


def test_shopify_gets_a_segment_and_automatic_discounts_per_tier_and_tags_follow_moves(installed):
    on_tier(installed, "11", "gold")
    on_tier(installed, "12", "novice")
    first = FakeShopify()
    assert sync(first) == 2
    assert first.asked == [
        ("segment", "customer_tags CONTAINS 'loyalty-tier-silver'"),
        ("discount", "seg/1", 0.05),
        ("discount", "seg/1", {"subtotal": {"greaterThanOrEqualToSubtotal": "3000.00"}}),
        ("segment", "customer_tags CONTAINS 'loyalty-tier-gold'"),
        ("discount", "seg/4", 0.08),
        ("discount", "seg/4", None),  # free shipping from 0: no minimum
        ("retag", {"11": (["loyalty-tier-gold"], None), "12": (["loyalty-tier-novice"], None)}),
    ]
    again = FakeShopify()
    assert sync(again) == 0 and again.asked == []

    on_tier(installed, "11", "silver")
    with session():
        changed = program(ladder=[LADDER[0], LADDER[1], {**LADDER[2], "discount_percent": "10"}])
        versions.save(installed.id, changed, author="test")
    moved = FakeShopify()
    assert sync(moved) == 1
    assert moved.asked == [("undiscount", "auto/5"), ("discount", "seg/4", 0.1),
                           ("retag", {"11": (["loyalty-tier-silver"], ["loyalty-tier-gold"])})]


def test_dropping_the_tiers_removes_what_was_made_and_a_refusal_is_retried(installed):
    refused = FakeShopify(fail="segmentCreate")
    assert sync(refused) == 0
    with session():
        assert TierDiscount.select().where(TierDiscount.segment_id.is_null(False)).count() == 0
    made = FakeShopify()
    sync(made)
    assert [a[0] for a in made.asked].count("segment") == 2
    with session():
        versions.save(installed.id, program(ladder=None, rewards=()), author="test")
    dropped = FakeShopify()
    sync(dropped)
    assert sorted(a[0] for a in dropped.asked) == ["undiscount"] * 4 + ["unsegment"] * 2
    with session():
        assert TierDiscount.select().count() == 0


def test_a_stale_tag_on_the_store_is_replaced_by_the_held_tier(installed):
    customer = on_tier(installed, "21", "gold")
    with session():
        row = CustomerTier.get(CustomerTier.customer == customer.id)
        CustomerTier.update(synced_tier="silver").where(CustomerTier.id == row.id).execute()
    fake = FakeShopify()
    assert sync(fake) == 1
    assert fake.asked[-1] == ("retag", {"21": (["loyalty-tier-gold"], ["loyalty-tier-silver"])})
    with session():
        assert CustomerTier.get_by_id(row.id).synced_tier == "gold"
