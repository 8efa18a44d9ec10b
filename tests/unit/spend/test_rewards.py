"""The rewards catalog: each kind of reward, and why one cannot apply before any point is held."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.program import document
from plugin.spend.redemption import RedemptionError
from plugin.spend.rewards import catalog, discount_for
from tests.helpers import EVERY_REWARD


def program(**redemption) -> dict:
    doc = copy.deepcopy(document.DEFAULT)
    doc["rewards"] = EVERY_REWARD
    doc["redemption"] = redemption
    return document.load(doc)


def order(*lines, shipping="0") -> dict:
    return {"shipping": shipping, "lines": [
        {"line_id": str(n), "quantity": 1, "amount": amount, "product_id": pid}
        for n, (pid, amount) in enumerate(lines, 1)]}


def entries(prog, cart, points) -> dict:
    return {e["id"]: (e["amount"], e["why"]) for e in catalog(prog, cart, {"regular": points})}


def test_every_kind_gives_its_amount_on_a_cart_that_qualifies():
    got = entries(program(), order(("42", "800.00"), ("7", "2200.00"), shipping="300"), 1000)
    assert got == {"points-off": ("100.00", None), "500-off": ("500.00", None), "10pct": ("300.00", None),
                   "ship": ("300.00", None), "mug": ("800.00", None), "coupon": ("500.00", None)}


def test_a_reward_that_cannot_apply_says_why():
    got = entries(program(), order(("7", "400.00")), 450)
    assert got["500-off"][1] == "needs 500 points; you have 450"
    assert got["ship"][1] == "this cart has no shipping to pay"
    assert got["mug"][1] == "add the product to the cart first"
    capped = entries(program(), order(("7", "300.00")), 5000)
    assert capped["500-off"][1] == "points may pay at most 300 of this cart"
    assert capped["coupon"][1] is None  # a coupon is for a later order


def test_amount_off_takes_the_steps_the_shopper_chooses_and_a_coupon_lasts_its_days():
    prog = program()
    steps = discount_for(prog, "points-off", order(("7", "1000")), {"regular": 1000}, steps=3)
    assert (steps.points, steps.amount) == (300, 300)
    coupon = discount_for(prog, "coupon", order(("7", "10")), {"regular": 1000})
    assert coupon.valid_for == timedelta(days=180) and not coupon.for_this_cart
    with pytest.raises(RedemptionError, match="add the product"):
        discount_for(prog, "mug", order(("7", "1000")), {"regular": 1000})




def reasons_of(prog, cart, points, **kwargs) -> dict:
    return {e["id"]: (e["affordable"], e["available"], e["reason"], e["why"])
            for e in catalog(prog, cart, {"regular": points}, **kwargs)}


def test_each_reason_is_a_code_with_parameters_rendered_in_the_shoppers_language():
    prog = program()
    prog["rewards"][1]["min_order"] = Decimal("1000")
    got = reasons_of(prog, order(("7", "600.00")), 450, lang="ru", currency="RUB")
    assert got["500-off"] == (False, False, {"code": "points", "n": 500, "have": 450},
                              "нужно 500 баллов, у вас 450")
    assert got["points-off"][:3] == (True, True, None)
    more = reasons_of(prog, order(("7", "600.00")), 5000, lang="ru", currency="RUB")
    assert more["500-off"][2:] == ({"code": "min_order", "minimum": "1000"},
                                   "для заказов от 1\u00a0000\u00a0₽")
    assert more["ship"][2:] == ({"code": "no_shipping"}, "в этом заказе нет платной доставки")


@pytest.mark.parametrize(("have", "text"), [(0, "нужен 1 балл, у вас 0"), (1, None)])
def test_the_points_reason_takes_the_russian_plural_of_its_cost(have, text):
    prog = program()
    prog["rewards"] = [{**prog["rewards"][0], "points": 1}]
    [entry] = catalog(prog, order(("7", "10.00")), {"regular": have}, lang="ru")
    assert (entry["why"], entry["affordable"]) == (text, have >= 1)


def test_a_free_product_that_points_may_not_pay_for_says_it_is_excluded():
    prog = program()
    prog["redemption"]["exclude_sale_items"] = True
    sale = {"line_id": "1", "quantity": 1, "amount": "800.00", "product_id": "42", "on_sale": True}
    cart = {"shipping": "0", "lines": [sale, {"line_id": "2", "quantity": 1, "amount": "900.00"}]}
    mug = next(e for e in catalog(prog, cart, {"regular": 1000}) if e["id"] == "mug")
    assert (mug["available"], mug["reason"], mug["why"]) == (False, {"code": "excluded"},
                                                               "this product cannot be paid with points")
    with pytest.raises(RedemptionError, match="cannot be paid with points"):
        discount_for(prog, "mug", cart, {"regular": 1000})


def test_without_a_cart_only_a_coupon_applies_and_the_rest_wait_for_checkout():
    got = reasons_of(program(), None, 1000)
    assert {rid for rid, (_, available, _, _) in got.items() if available} == {"coupon"}
    assert got["ship"] == (True, False, {"code": "no_cart"}, "at checkout, with items in your cart")
    assert got["500-off"][2] == {"code": "no_cart"}  # affordable, but not without a cart
    poor = reasons_of(program(), None, 10)
    assert poor["ship"][2] == {"code": "points", "n": 200, "have": 10}  # what they lack comes first
    with pytest.raises(RedemptionError, match="at checkout"):
        discount_for(program(), "ship", None, {"regular": 1000})
    assert discount_for(program(), "coupon", None, {"regular": 1000}).amount == Decimal("500")


@given(points=st.integers(0, 2000), lang=st.sampled_from(["en", "ru"]),
       lines=st.lists(st.tuples(st.sampled_from(["42", "7"]), st.decimals(0, 3000, places=2)), max_size=3),
       shipping=st.decimals(0, 500, places=2), on_sale=st.booleans())
def test_a_reward_can_be_redeemed_exactly_when_the_catalog_says_it_can(points, lang, lines, shipping,
                                                                       on_sale):
    prog = program(exclude_sale_items=on_sale)
    cart = order(*((pid, str(amount)) for pid, amount in lines), shipping=str(shipping)) if lines else None
    for line in (cart or {"lines": []})["lines"]:
        line["on_sale"] = on_sale
    for entry in catalog(prog, cart, {"regular": points}, lang=lang):
        assert entry["available"] == (entry["reason"] is None) == (entry["why"] is None)
        assert entry["affordable"] == (points >= entry["points"])
        try:
            discount_for(prog, entry["id"], cart, {"regular": points})
        except RedemptionError:
            redeemable = False
        else:
            redeemable = True
        if entry["kind"] != "amount_off":  # steps of an amount are checked when held, against the cart
            assert redeemable == entry["available"], entry
