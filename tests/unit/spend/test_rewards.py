"""The rewards catalog: each kind of reward, and why one cannot apply before any point is held."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

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
    assert capped["500-off"][1] == "points may pay at most 300.00 of this cart"
    assert capped["coupon"][1] is None  # a coupon is for a later order


def test_amount_off_takes_the_steps_the_shopper_chooses_and_a_coupon_lasts_its_days():
    prog = program()
    steps = discount_for(prog, "points-off", order(("7", "1000")), {"regular": 1000}, steps=3)
    assert (steps.points, steps.amount) == (300, 300)
    coupon = discount_for(prog, "coupon", order(("7", "10")), {"regular": 1000})
    assert coupon.valid_for == timedelta(days=180) and not coupon.for_this_cart
    with pytest.raises(RedemptionError, match="add the product"):
        discount_for(prog, "mug", order(("7", "1000")), {"regular": 1000})


