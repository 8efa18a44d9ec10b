"""The program editor in forms: the draft, the check endpoint, publishing, previews and diffs."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core.db import session
from plugin.core.models import ProgramDraft, ProgramVersion
from plugin.program import document, form, versions
from tests.helpers import csrf_of, post_form
from tests.unit.program.test_earning import CAR_SERVICE

EDITOR = "/admin/program/edit"


def car_service_fields() -> dict[str, str]:
    return form.to_fields(document.dump(document.load(CAR_SERVICE)))


def test_the_editor_shows_the_running_program_in_fields(signed_in):
    page = signed_in.get(EDITOR).get_data(as_text=True)
    assert 'name="earning.rate.percent" value="5"' in page and 'name="signup.points" value="100"' in page


def test_check_answers_each_error_on_its_field_in_the_pages_language(signed_in):
    fields = {**car_service_fields(), "earning.category_rules.0.rate.percent": "abc",
              "point_types.1.expiry.days": ""}
    token = csrf_of(signed_in.get(EDITOR + "?lang=ru").get_data(as_text=True))
    answer = signed_in.post("/admin/program/check", data={"csrf_token": token, **fields}).get_json()
    assert set(answer["errors"]) == {"earning.category_rules.0.rate.percent", "point_types.1.expiry.days"}
    assert answer["errors"]["earning.category_rules.0.rate.percent"] == ["Это не число."]


def test_check_keeps_the_draft_and_leaving_the_page_does_not_lose_it(signed_in, shop):
    token = csrf_of(signed_in.get(EDITOR).get_data(as_text=True))
    signed_in.post("/admin/program/check", data={"csrf_token": token, "base": "0", **car_service_fields()})
    with session():
        assert ProgramDraft.get(ProgramDraft.shop == shop.id).document["birthday"]["points"] == 2000
    page = signed_in.get(EDITOR).get_data(as_text=True)
    assert 'name="birthday.points" value="2000"' in page


def test_publish_makes_a_version_by_the_staff_member_and_drops_the_draft(signed_in, shop):
    response = post_form(signed_in, EDITOR, {"action": "publish", "base": "0", **car_service_fields()},
                         page=EDITOR)
    assert response.status_code == 303 and response.headers["Location"] == EDITOR + "?saved=1"
    with session():
        version = ProgramVersion.get(ProgramVersion.shop == shop.id)
        assert version.author == "Olga Petrova" and not ProgramDraft.select().count()
    assert version.document["earning"]["first_order_min_points"] == 1000


def test_publish_with_errors_is_422_and_publishes_nothing(signed_in):
    response = post_form(signed_in, EDITOR, {"action": "publish", "base": "0", **car_service_fields(),
                                             "categories.1.name": "works"}, page=EDITOR)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "is used twice" in page
    with session():
        assert not ProgramVersion.select().count()


def test_publishing_over_a_newer_version_asks_again(signed_in):
    post_form(signed_in, EDITOR, {"action": "publish", "base": "0", **car_service_fields()}, page=EDITOR)
    stale = post_form(signed_in, EDITOR, {"action": "publish", "base": "0", **car_service_fields(),
                                          "birthday.points": "3000"}, page=EDITOR)
    assert stale.status_code == 409 and 'name="base" value="1"' in stale.get_data(as_text=True)
    again = post_form(signed_in, EDITOR, {"action": "publish", "base": "1", **car_service_fields(),
                                          "birthday.points": "3000"}, page=EDITOR)
    assert again.headers["Location"] == EDITOR + "?saved=2"
    diff = signed_in.get("/admin/program/diff?a=1&b=2").get_data(as_text=True)
    assert '-    &#34;points&#34;: 2000' in diff or '"points": 2000' in diff.replace("&#34;", '"')


def test_the_preview_shows_what_a_sample_cart_earns_under_the_draft(signed_in):
    page = post_form(signed_in, EDITOR, {"action": "save", "base": "0", **car_service_fields()},
                     page=EDITOR).get_data(as_text=True)
    # one works line (4%) and one parts line (12%) of 1000 each, one other of no category
    assert 'data-label="Earns"><b>160</b>' in page and 'data-label="As a first order"><b>1,000</b>' in page


def test_tiers_turned_on_without_rows_start_from_the_default_ladder(signed_in):
    page = post_form(signed_in, EDITOR, {"action": "save", "base": "0", "earning.rate.kind": "percent",
                                         "earning.rate.percent": "5", "point_types.0.name": "regular",
                                         "tiers.enabled": "on"}, page=EDITOR).get_data(as_text=True)
    assert 'value="Бронзовый"' in page and 'name="tiers.tiers.1.threshold" value="1001"' in page


def test_json_applied_to_the_form_fills_it(signed_in):
    page = post_form(signed_in, EDITOR, {"action": "json", "base": "0", "json": json.dumps(CAR_SERVICE)},
                     page=EDITOR).get_data(as_text=True)
    assert 'name="categories.0.sku_prefixes" value="W-"' in page


def test_bad_json_is_shown_under_the_json_and_changes_nothing(signed_in, shop):
    response = post_form(signed_in, EDITOR, {"action": "json", "base": "0", "json": '{"a": }'}, page=EDITOR)
    assert response.status_code == 422
    with session():
        assert not ProgramDraft.select().count()


# what a browser can send: no lone surrogate; a NUL is every form's clear 400 (plugin.http.bodies)
TEXT = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
field_names = st.sampled_from(sorted({*car_service_fields(), "tiers.enabled", "tiers.tiers.0.threshold",
                                      "rewards.0.kind", "rewards.0.points", "campaigns.0.starts_at",
                                      "earning.rate.bands.0.from", "categories.7.name"}))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fields=st.dictionaries(field_names | st.text(TEXT, max_size=20), st.text(TEXT, max_size=20),
                              max_size=20))
def test_any_form_the_check_receives_is_answered_with_field_errors_never_a_500(signed_in, fields):
    token = csrf_of(signed_in.get(EDITOR).get_data(as_text=True))
    response = signed_in.post("/admin/program/check", data={"csrf_token": token, **fields})
    assert response.status_code == 200 and isinstance(response.get_json()["errors"], dict)
    saved = post_form(signed_in, EDITOR, {**fields, "action": "publish", "base": "0"}, page=EDITOR)
    assert saved.status_code in (303, 409, 422)


def test_another_shops_versions_cannot_be_compared(signed_in, other_shop):
    with session():
        for n in (1, 2):
            versions.save(other_shop.id, {**CAR_SERVICE, "birthday": {"points": n, "point_type": "premium"}},
                          author="other owner")
    assert signed_in.get("/admin/program/diff?a=1&b=2").status_code == 404


def test_the_page_has_a_field_for_every_value_the_form_maps(signed_in):
    """What plugin.program.form maps, the page must show: a value without its input would be lost
    on the next save."""
    rich = {**CAR_SERVICE,
            "earning": {**CAR_SERVICE["earning"], "exclude_categories": ["promo"], "exclude_sale_items": True,
                        "min_order": "100", "rate": {"kind": "bands", "bands": [
                            {"from": "0", "to": "1000", "points": 10}, {"from": "1000", "points": 50}]},
                        "category_rules": [{"category": "works", "rate": {"kind": "per_amount", "points": 1,
                                                                          "per": "10"}, "multiplier": "2"}]},
            "signup": {"points": 100}, "reviews": {"points": 50, "monthly_cap": 2},
            "referrals": {"referrer_points": 200, "friend_points": 100},
            "tiers": {"metric": "points_earned", "tiers": [
                {"id": "a", "title": {"en": "A", "ru": "А"}, "threshold": "0", "free_shipping_threshold": "5",
                 "entry_bonus": 5, "earn_multiplier": "1.5"},
                {"id": "b", "threshold": "0", "hidden": True}]},
            "rewards": [{"id": "r", "kind": "coupon", "title": {"en": "R"}, "points": 5, "amount": "5",
                         "valid_days": 5, "min_order": "1", "tiers": ["a"], "product_id": "p"}],
            "campaigns": [{"name": "c", "starts_at": "2027-01-01T00:00:00", "ends_at": "2027-01-02T00:00:00",
                           "bonus": 5, "multiplier": "2", "categories": ["works"], "customers": ["x"]}]}
    page = post_form(signed_in, EDITOR, {"action": "json", "base": "0", "json": json.dumps(rich)},
                     page=EDITOR).get_data(as_text=True)
    names = form.to_fields(document.dump(document.load(rich)))
    assert [name for name in names if f'name="{name}"' not in page] == []
