"""The program document over the API: validation that names fields, versions, preview."""

from __future__ import annotations

import copy

import pytest

from plugin.core.db import session
from plugin.core.models import ProgramVersion
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import admin_headers

BAD = [
    ({"earning": {"rate": {"kind": "percent"}}}, "earning.rate.percent"),
    ({"earning": {"rate": {"kind": "percent", "percent": "x"}}}, "earning.rate.percent"),
    ({"earning": {"rate": {"kind": "bands", "bands": [{"from": "1000", "to": "2000", "points": 100},
                                                      {"from": "1500", "points": 200}]}}},
     "earning.rate.bands.1.from"),
    ({"earning": {"point_type": "gold", "rate": {"kind": "percent", "percent": "5"}}}, "earning.point_type"),
    ({"earning": {"rate": {"kind": "percent", "percent": "5"}, "rounding": "sideways"}}, "earning.rounding"),
    ({"earning": {"rate": {"kind": "percent", "percent": "5"},
                  "category_rules": [{"category": "nope", "multiplier": "2"}]}},
     "earning.category_rules.0.category"),
    ({"point_types": {"regular": {"expiry": {"kind": "days"}}}}, "point_types.regular.expiry.days"),
    ({"reversal_policy": "whatever"}, "reversal_policy"),
    ({"campaigns": [{"name": "x", "starts_at": "2026-02-01T00:00:00", "ends_at": "2026-01-01T00:00:00",
                     "multiplier": "2"}]}, "campaigns.0.ends_at"),
    ({"surprise": True}, "surprise"),
]


def headers(app, shop, actor: str | None = None) -> dict:
    return admin_headers(app, shop, **({"X-Loyalty-Actor": actor} if actor else {}))


def document(**changes) -> dict:
    doc = copy.deepcopy(DEFAULT)
    for key, value in changes.items():
        merge = isinstance(value, dict) and key != "point_types"
        doc[key] = {**doc.get(key, {}), **value} if merge else value
    return doc


def test_a_new_shop_runs_the_default_program(app, client, shop):
    body = client.get("/api/v1/program", headers=headers(app, shop)).get_json()
    assert body["version"] is None
    assert body["program"]["earning"]["rate"]["percent"] == "5"
    assert body["program"]["signup"]["points"] == 100


@pytest.mark.parametrize(("change", "path"), BAD, ids=[path for _, path in BAD])
def test_a_bad_document_is_422_naming_the_field_and_saves_nothing(app, client, shop, change, path):
    response = client.put("/api/v1/program", json=document(**change), headers=headers(app, shop))
    assert response.status_code == 422
    assert path in response.get_json()["fields"], response.get_json()
    assert client.get("/api/v1/program/versions", headers=headers(app, shop)).get_json()["items"] == []


def test_each_change_is_a_new_version_and_old_ones_stay_readable(app, client, shop):
    first = document(earning={"rate": {"kind": "percent", "percent": "7"}})
    second = document(earning={"rate": {"kind": "per_amount", "points": 1, "per": "10"}})
    for doc, author in ((first, "anna@shop"), (second, "oleg@shop")):
        assert client.put("/api/v1/program", json=doc, headers=headers(app, shop, author)).status_code == 201
    versions = client.get("/api/v1/program/versions", headers=headers(app, shop)).get_json()["items"]
    assert [(v["version"], v["author"]) for v in versions] == [(2, "oleg@shop"), (1, "anna@shop")]
    old = client.get("/api/v1/program/versions/1", headers=headers(app, shop)).get_json()
    assert old["program"]["earning"]["rate"]["percent"] == "7"
    now = client.get("/api/v1/program", headers=headers(app, shop)).get_json()
    assert (now["version"], now["program"]["earning"]["rate"]["per"]) == (2, "10")
    assert client.get("/api/v1/program/versions/9", headers=headers(app, shop)).status_code == 404


def test_a_key_for_another_shop_sees_only_its_own_program(app, client, shop):
    from plugin.core.db import session
    from plugin.customers import shops

    with session():
        other, _ = shops.register("shopify", "other.myshopify.com")
    client.put("/api/v1/program", json=document(earning={"rate": {"kind": "percent", "percent": "9"}}),
               headers=headers(app, shop))
    theirs = client.get("/api/v1/program", headers=headers(app, other)).get_json()
    assert theirs["version"] is None and theirs["program"]["earning"]["rate"]["percent"] == "5"


def test_preview_breaks_points_down_per_line(app, client, shop):
    doc = document(categories={"parts": {"sku_prefixes": ["P-"]}},
                   earning={"rate": {"kind": "percent", "percent": "5"},
                            "category_rules": [{"category": "parts",
                                                "rate": {"kind": "percent", "percent": "12"}}]})
    client.put("/api/v1/program", json=doc, headers=headers(app, shop))
    cart = {"lines": [{"sku": "P-1", "price": "1000.00"}, {"sku": "X-1", "price": "300.00", "quantity": 2},
                      {"sku": "G", "price": "500", "gift_card": True}]}
    body = client.post("/api/v1/program/preview", json=cart, headers=headers(app, shop)).get_json()
    assert body["points"] == 150  # 12% of 1000 + 5% of 600
    assert [(line["points"], line["excluded"]) for line in body["lines"]] == [
        ("120.00", None), ("30.00", None), ("0", "gift card")]
    assert body["version"] == 1


def test_preview_rejects_a_bad_cart_naming_the_field(app, client, shop):
    response = client.post("/api/v1/program/preview", json={"lines": [{"price": "-1"}]},
                           headers=headers(app, shop))
    assert response.status_code == 422
    assert "lines.0.price" in response.get_json()["fields"]


def test_changing_tier_rules_starts_a_reevaluation_and_other_changes_do_not(app, client, shop):
    tiers = {"metric": "orders", "window": "lifetime",
             "tiers": [{"id": "novice", "threshold": 0, "title": {"en": "Novice"}},
                       {"id": "gold", "threshold": 3, "title": {"en": "Gold"}}]}
    with_tiers = client.put("/api/v1/program", json=document(tiers=tiers), headers=headers(app, shop))
    assert with_tiers.get_json()["tier_reevaluation"] is not None
    progress = client.get("/api/v1/tiers/reevaluate", headers=headers(app, shop)).get_json()
    assert progress["run"]["id"] == with_tiers.get_json()["tier_reevaluation"]
    same_tiers = client.put("/api/v1/program", json=document(tiers=tiers, reversal_policy="negative"),
                            headers=headers(app, shop))
    assert same_tiers.get_json()["tier_reevaluation"] is None


def test_a_version_number_used_again_after_a_shop_wipe_is_not_served_from_the_cache(shop):
    first, second = copy.deepcopy(DEFAULT), copy.deepcopy(DEFAULT)
    second["signup"] = {"points": 7, "point_type": "regular"}
    with session():
        versions.save(shop.id, first, author="test")
        assert versions.current(shop.id)[1]["signup"]["points"] == 100
        ProgramVersion.delete().where(ProgramVersion.shop == shop.id).execute()  # as shop/redact does
        versions.save(shop.id, second, author="test")
        assert versions.current(shop.id)[0] == 1
        assert versions.current(shop.id)[1]["signup"]["points"] == 7


def test_the_default_tier_ladder_is_served_and_a_program_may_take_it_as_it_is(app, client, shop):
    ladder = client.get("/api/v1/program/tiers/default", headers=headers(app, shop)).get_json()
    assert [(t["title"]["ru"], t["threshold"], t["hidden"]) for t in ladder["tiers"]] == [
        ("Новичок", "0", False), ("Бронзовый", "1001", False), ("Серебряный", "5001", False),
        ("Золотой", "10001", False), ("Платиновый", "0", True)]
    assert ladder["metric"] == "points_earned"
    response = client.put("/api/v1/program", json=document(tiers=ladder), headers=headers(app, shop))
    assert response.status_code == 201 and response.get_json()["program"]["tiers"] == ladder
