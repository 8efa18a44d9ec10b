"""The owner's dashboard (/admin) and the public rules page, through the Flask test client."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import session
from plugin.core.i18n import day, money, number, translate
from plugin.core.kinds import EventKind
from plugin.core.models import ActivationCode, Event, LedgerEntry, ProgramVersion, Shop, TierRun
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.dashboard import customers_page
from plugin.pipeline import apply
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import (
    SHOP_DOMAIN,
    csrf_of,
    fixture_json,
    grant,
    post_form,
    session_token,
    shopify_query,
    sign_in,
)

SIGNUP = "shopify/rest2025-07_customer_created__POST_customers.json"  # customer 1073339458, +100
SIGNUP_CUSTOMER = "1073339458"
ORDER_FIXTURE = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"
OTHER_DOMAIN = "other.example.com"
TEMPLATES = customers_page.__file__.rsplit("/", 1)[0] + "/templates/dashboard"


@pytest.fixture
def other_shop(app):
    with session():
        return shops.register("custom", OTHER_DOMAIN)[0]


def save_program(shop, author: str = "test", **changes) -> None:
    doc = copy.deepcopy(DEFAULT)
    doc["earning"].update(changes.pop("earning", {}))
    doc.update(changes)
    with session():
        versions.save(shop.id, doc, author=author)


# --- signing in ------------------------------------------------------------------------------

def test_pages_redirect_to_sign_in_without_a_session(client, shop):
    response = client.get("/admin/customers")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sign-in"


def test_api_key_form_signs_in_and_names_the_staff_member(app, client, shop):
    response = sign_in(app, client, shop, name="  Olga   Petrova ")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/overview"
    page = client.get("/admin/overview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "signed in as Olga Petrova" in html and SHOP_DOMAIN in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "private, no-store"


def test_session_cookie_is_cross_site_partitioned_and_secure_over_https(app, client, shop):
    cookie = sign_in(app, client, shop).headers["Set-Cookie"]
    for attribute in ("Secure", "SameSite=None", "Partitioned", "HttpOnly"):
        assert attribute in cookie


@pytest.mark.parametrize("key", ["", "lk_1_" + "A" * 43, "not-a-key"])
def test_a_wrong_api_key_is_401_with_the_form_again(client, shop, key):
    token = csrf_of(client.get("/admin/sign-in").get_data(as_text=True))
    response = client.post("/admin/sign-in", data={"csrf_token": token, "api_key": key, "name": "Olga"})
    assert response.status_code == 401
    assert "This API key does not belong to an active shop." in response.get_data(as_text=True)
    assert client.get("/admin/overview").status_code == 302


def test_sign_in_without_a_name_is_422(app, client, shop):
    response = sign_in(app, client, shop, name="   ")
    assert response.status_code == 422 and "Please give your name" in response.get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_403_and_changes_nothing(app, client, shop):
    key = app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)
    client.get("/admin/sign-in")
    response = client.post("/admin/sign-in", data={"api_key": key, "name": "Olga"})
    assert response.status_code == 403
    assert client.get("/admin/overview").status_code == 302
    sign_in(app, client, shop)
    response = client.post("/admin/codes", data={"csrf_token": "forged", "count": "5", "points": "10"})
    assert response.status_code == 403
    with session():
        assert not ActivationCode.select().exists()


def test_sign_out_ends_the_session(app, client, shop):
    sign_in(app, client, shop)
    response = post_form(client, "/admin/sign-out", {})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sign-in"
    assert client.get("/admin/overview").status_code == 302


def test_a_cookie_copied_before_sign_out_no_longer_signs_in(app, client, shop):
    sign_in(app, client, shop)
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    assert copied.get("/admin/overview").status_code == 200
    post_form(client, "/admin/sign-out", {})
    response = copied.get("/admin/overview")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sign-in"


def test_a_copied_cookie_posting_after_sign_out_is_401_and_changes_nothing(app, client, shop):
    sign_in(app, client, shop)
    token = csrf_of(client.get("/admin/codes").get_data(as_text=True))
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    post_form(client, "/admin/sign-out", {})
    response = copied.post("/admin/codes", data={"csrf_token": token, "count": "5", "points": "10"})
    assert response.status_code == 401
    with session():
        assert not ActivationCode.select().exists()


def test_signing_in_again_ends_the_sessions_cookie_had_before(app, client, shop):
    sign_in(app, client, shop)
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    sign_in(app, client, shop, name="Ivan")
    assert client.get("/admin/overview").status_code == 200
    assert copied.get("/admin/overview").status_code == 302


def test_a_session_ends_after_twelve_hours(app, client, shop):
    sign_in(app, client, shop)
    clock.set_source(lambda: datetime.now(UTC) + timedelta(hours=12, seconds=1))
    assert client.get("/admin/overview").status_code == 302


def test_reinstalling_a_shop_does_not_revive_the_sessions_of_before(app, client, shop):
    sign_in(app, client, shop)
    with session():
        Shop.update(active=False).where(Shop.id == shop.id).execute()
    assert client.get("/admin/overview").status_code == 302
    clock.set_source(lambda: datetime.now(UTC) + timedelta(seconds=1))
    with session():
        shops.register("shopify", SHOP_DOMAIN, own_webhook_secret=False)
    assert client.get("/admin/overview").status_code == 302


def test_a_rotated_api_key_ends_its_sessions(app, client, shop):
    sign_in(app, client, shop)
    with session():
        Shop.update(key_version=Shop.key_version + 1).where(Shop.id == shop.id).execute()
    assert client.get("/admin/overview").status_code == 302


# --- Shopify admin loads ---------------------------------------------------------------------

def test_shopify_admin_load_with_a_signed_query_opens_a_session_framed_by_that_admin(client, shop):
    response = client.get("/admin", query_string=shopify_query())
    assert response.status_code == 302 and response.headers["Location"] == "/admin/overview"
    page = client.get("/admin/overview")
    assert page.status_code == 200 and "signed in as Shopify staff" in page.get_data(as_text=True)
    policy = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors https://{SHOP_DOMAIN} https://admin.shopify.com;" in policy


def test_shopify_session_token_alone_opens_a_session_naming_the_user(client, shop):
    response = client.get("/admin", query_string={"shop": SHOP_DOMAIN, "id_token": session_token()})
    assert response.status_code == 302
    assert "signed in as Shopify staff 42" in client.get("/admin/overview").get_data(as_text=True)


def test_signed_query_with_its_session_token_opens_a_session(client, shop):
    query = shopify_query(id_token=session_token())
    assert client.get("/admin", query_string=query).status_code == 302


@pytest.mark.parametrize("query", [
    pytest.param(lambda: {**shopify_query(), "shop": "evil.myshopify.com"}, id="tampered-shop"),
    pytest.param(lambda: shopify_query(secret="other-app"), id="other-app-secret"),
    pytest.param(lambda: shopify_query(timestamp=str(int(time.time()) - 3 * 86400)), id="stale"),
    pytest.param(lambda: {"id_token": session_token(secret="other-app")}, id="forged-token"),
    pytest.param(lambda: {"id_token": session_token(exp=int(time.time()) - 120)}, id="expired-token"),
    pytest.param(lambda: {"id_token": session_token(nbf=int(time.time()) + 120)}, id="future-token"),
    pytest.param(lambda: {"id_token": session_token(aud="another-app")}, id="other-audience"),
    pytest.param(lambda: {"id_token": "a.b"}, id="not-a-jwt"),
    pytest.param(lambda: shopify_query(id_token=session_token(domain="evil.myshopify.com")),
                 id="token-of-another-shop"),
])
def test_a_bad_shopify_load_is_401_and_opens_no_session(client, shop, query):
    response = client.get("/admin", query_string=query())
    assert response.status_code == 401 and "text/html" in response.content_type
    assert client.get("/admin/overview").status_code == 302


def test_shopify_load_of_a_shop_that_is_not_installed_offers_the_install(client, shop):
    response = client.get("/admin", query_string=shopify_query(domain="newcomer.myshopify.com"))
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "/install?shop=newcomer.myshopify.com" in html
    assert 'target="_top"' in html
    assert client.get("/admin/overview").status_code == 302


# --- one shop per session --------------------------------------------------------------------

def test_a_session_of_one_shop_never_sees_or_changes_another_shops_data(app, client, shop, other_shop):
    grant(shop, "1001", 10, "a1", profile={"email": "anna@a.example"})
    grant(other_shop, "1001", 999, "b1", profile={"email": "boris@b.example"})
    grant(other_shop, "2002", 5, "b2", profile={"email": "bella@b.example"})
    with session():
        failed = Event.create(shop=other_shop.id, platform="custom", topic="customers/create",
                              kind=EventKind.CUSTOMER_CREATED, delivery_id="d1", raw_body="{}",
                              status=EventStatus.FAILED, error="boom")
        batch = ActivationCode.create(shop=other_shop.id, batch="b-batch", code="ABCDEFGHJKMN", points=5,
                                      point_type="regular")
    sign_in(app, client, shop)
    mine = client.get("/admin/customers/1001").get_data(as_text=True)
    assert "anna@a.example" in mine and "boris@b.example" not in mine and "999" not in mine
    assert client.get("/admin/customers/2002").status_code == 404
    assert "bella@b.example" not in client.get("/admin/customers?q=bella").get_data(as_text=True)
    assert client.get(f"/admin/codes/{batch.batch}.csv").status_code == 404
    assert post_form(client, f"/admin/events/{failed.id}/retry", {}).status_code == 404
    assert "b-batch" not in client.get("/admin/codes").get_data(as_text=True)
    with session():
        assert Event.get_by_id(failed.id).status == EventStatus.FAILED


# --- customers -------------------------------------------------------------------------------

@pytest.fixture
def three_customers(shop):
    grant(shop, "501", 10, "c1", profile={"email": "anna.ivanova@example.ru", "first_name": "Anna",
                                          "last_name": "Ivanova"})
    grant(shop, "502", 20, "c2", profile={"email": "bob.norman@example.com", "first_name": "Bob",
                                          "last_name": "Norman"})
    grant(shop, "503", 30, "c3", profile={"email": "anna.smith@example.com", "first_name": "Anna",
                                          "last_name": "Smith"})


def listed(client, **query) -> list[str]:
    html = client.get("/admin/customers", query_string=query).get_data(as_text=True)
    return re.findall(r'href="/admin/customers/(\d+)"', html)


@pytest.mark.parametrize(("q", "found"), [
    ("", ["503", "502", "501"]), ("anna", ["503", "501"]), ("NORMAN", ["502"]), ("example.ru", ["501"]),
    ("502", ["502"]), ("50", []), ("anna smith", ["503"]), ("nobody", []),
])
def test_customer_search_by_email_name_and_platform_id(app, client, shop, three_customers, q, found):
    sign_in(app, client, shop)
    assert listed(client, q=q) == found


def test_customer_list_pages_by_cursor(app, client, shop, three_customers, monkeypatch):
    monkeypatch.setattr(customers_page, "PAGE_SIZE", 2)
    sign_in(app, client, shop)
    html = client.get("/admin/customers").get_data(as_text=True)
    next_page = re.search(r'href="(/admin/customers\?before=\d+)"', html).group(1)
    assert listed(client) == ["503", "502"]
    second = client.get(next_page).get_data(as_text=True)
    assert re.findall(r'href="/admin/customers/(\d+)"', second) == ["501"]


def test_a_bad_cursor_is_400(app, client, shop):
    sign_in(app, client, shop)
    assert client.get("/admin/customers?before=abc").status_code == 400


def test_customer_page_explains_each_ledger_line_with_rule_actor_and_reason(app, client, shop, post_webhook,
                                                                           drain):
    assert post_webhook("orders/paid", fixture_json(ORDER_FIXTURE)).status_code == 200
    drain()
    grant(shop, "207119551", 50, "goodwill:1", actor="Olga Petrova", reason="late delivery")
    sign_in(app, client, shop)
    response = client.get("/admin/customers/207119551")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "bob.norman@mail.example.com" in html
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("Ledger</h2>")[1], re.DOTALL)
    lines = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert any("+50" not in line and "50" in line and "Olga Petrova" in line and "late delivery" in line
               for line in lines)
    earn = next(line for line in lines if "earned" in line)
    assert "29" in earn and "5% · " in earn and "automatic" in earn and "orders/paid" in earn
    assert "default program" in earn
    assert "79" in html  # the balance: 29 + 50


def test_customer_page_of_an_unknown_customer_is_404(app, client, shop):
    sign_in(app, client, shop)
    assert client.get("/admin/customers/nobody").status_code == 404


# --- the program editor ----------------------------------------------------------------------

def editor_document(**earning) -> str:
    doc = copy.deepcopy(DEFAULT)
    doc["earning"].update(earning)
    return json.dumps(doc)


def test_program_editor_lists_field_errors_by_path_and_saves_nothing(app, client, shop):
    sign_in(app, client, shop)
    document = editor_document(rate={"kind": "percent"}, rounding="sideways")
    response = post_form(client, "/admin/program", {"action": "save", "base": "0", "document": document},
                         page="/admin/program")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<code>earning.rate.percent</code>" in html and "<code>earning.rounding</code>" in html
    assert "2 problems to fix" in html and 'aria-invalid="true"' in html
    with session():
        assert not ProgramVersion.select().exists()


def test_program_editor_reports_malformed_json_by_line(app, client, shop):
    sign_in(app, client, shop)
    response = post_form(client, "/admin/program", {"action": "review", "base": "0",
                                                    "document": '{\n  "a": }'}, page="/admin/program")
    assert response.status_code == 422 and "line 2, column 8" in response.get_data(as_text=True)


def test_program_editor_shows_the_diff_then_saves_with_the_staff_member_as_author(app, client, shop):
    sign_in(app, client, shop)
    document = editor_document(rate={"kind": "percent", "percent": "7"})
    review = post_form(client, "/admin/program", {"action": "review", "base": "0", "document": document},
                       page="/admin/program")
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    assert re.search(r'class="del">-\s+&#34;percent&#34;: &#34;5&#34;', html)
    assert re.search(r'class="add">\+\s+&#34;percent&#34;: &#34;7&#34;', html)
    with session():
        assert not ProgramVersion.select().exists()  # a review stores nothing
    saved = post_form(client, "/admin/program", {"action": "save", "base": "0", "document": document},
                      page="/admin/program")
    assert saved.status_code == 303 and saved.headers["Location"] == "/admin/program?saved=1"
    with session():
        row = ProgramVersion.get(ProgramVersion.shop == shop.id)
        assert row.author == "Olga Petrova"
        assert versions.current(shop.id)[1]["earning"]["rate"]["percent"] == 7
    assert "Version 1 saved and running." in client.get(saved.headers["Location"]).get_data(as_text=True)


def test_saving_against_a_program_changed_meanwhile_shows_the_new_diff_instead(app, client, shop):
    sign_in(app, client, shop)
    save_program(shop, author="someone else", earning={"rate": {"kind": "percent", "percent": "6"}})
    document = editor_document(rate={"kind": "percent", "percent": "7"})
    response = post_form(client, "/admin/program", {"action": "save", "base": "0", "document": document},
                         page="/admin/program")
    assert response.status_code == 200 and "changed by someone else" in response.get_data(as_text=True)
    with session():
        assert ProgramVersion.select().count() == 1


def test_saving_new_tier_rules_starts_a_tier_reevaluation(app, client, shop, drain):
    sign_in(app, client, shop)
    doc = json.loads(editor_document())
    doc["tiers"] = {"metric": "points_earned", "tiers": [{"id": "base", "threshold": "0"},
                                                         {"id": "gold", "threshold": "1000"}]}
    response = post_form(client, "/admin/program", {"action": "save", "base": "0",
                                                    "document": json.dumps(doc)}, page="/admin/program")
    assert response.status_code == 303 and "tier_run=" in response.headers["Location"]
    drain()
    with session():
        assert TierRun.select().where(TierRun.shop == shop.id).count() == 1


def test_an_unchanged_program_is_not_saved_again(app, client, shop):
    sign_in(app, client, shop)
    response = post_form(client, "/admin/program", {"action": "save", "base": "0",
                                                    "document": json.dumps(DEFAULT)}, page="/admin/program")
    assert "Nothing changed" in response.get_data(as_text=True)
    with session():
        assert not ProgramVersion.select().exists()


# --- activation codes ------------------------------------------------------------------------

def test_activation_codes_page_generates_a_batch_and_exports_it(app, client, shop):
    sign_in(app, client, shop)
    response = post_form(client, "/admin/codes", {"count": "3", "points": "250", "point_type": "regular",
                                                  "batch": "club-2026", "prefix": ""}, page="/admin/codes")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/codes?created=club-2026"
    assert "club-2026" in client.get("/admin/codes").get_data(as_text=True)
    export = client.get("/admin/codes/club-2026.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert export.mimetype == "text/csv" and rows[0][:3] == ["code", "points", "point_type"]
    assert len(rows) == 4 and {row[1] for row in rows[1:]} == {"250"}


@pytest.mark.parametrize("form", [{"count": "many"}, {"count": "0"}, {"point_type": "gold"}, {"batch": "!"}])
def test_activation_code_form_errors_are_shown_by_field(app, client, shop, form):
    sign_in(app, client, shop)
    data = {"count": "3", "points": "10", "point_type": "regular", "batch": "", "prefix": "", **form}
    response = post_form(client, "/admin/codes", data, page="/admin/codes")
    assert response.status_code == 422 and 'class="field-error"' in response.get_data(as_text=True)
    with session():
        assert not ActivationCode.select().exists()


# --- failed events ---------------------------------------------------------------------------

def test_retrying_a_failed_event_applies_it_once(app, client, shop, post_webhook, drain, monkeypatch):
    def broken(event):
        raise RuntimeError("the handler was broken at the time")

    monkeypatch.setitem(apply.HANDLERS, "customer.created", broken)
    assert post_webhook("customers/create", fixture_json(SIGNUP)).status_code == 200
    drain()
    with session():
        event = Event.get(Event.shop == shop.id)
    assert event.status == EventStatus.FAILED
    monkeypatch.setitem(apply.HANDLERS, "customer.created", apply.customer_created)  # the fix is deployed
    sign_in(app, client, shop)
    page = client.get("/admin/events").get_data(as_text=True)
    assert "the handler was broken at the time" in page and f"/admin/events/{event.id}/retry" in page
    retried = post_form(client, f"/admin/events/{event.id}/retry", {}, page="/admin/events")
    assert retried.status_code == 303
    drain()
    again = post_form(client, f"/admin/events/{event.id}/retry", {}, page="/admin/events")
    assert again.status_code == 409
    drain()
    with session():
        assert Event.get_by_id(event.id).status == EventStatus.APPLIED
        customer = customers.find(shop.id, SIGNUP_CUSTOMER)
        assert ledger.balances(customer) == {"regular": 100}
        assert LedgerEntry.select().where(LedgerEntry.customer == customer.id).count() == 1
    assert "No failed or invalid events." in client.get("/admin/events").get_data(as_text=True)


def test_overview_counts_members_points_and_failed_events(app, client, shop, other_shop):
    grant(shop, "1", 10, "o1")
    grant(shop, "2", 15, "o2")
    grant(other_shop, "3", 1000, "o3")
    sign_in(app, client, shop)
    html = client.get("/admin/overview").get_data(as_text=True)
    figures = re.findall(r'class="figure"[^>]*>([^<]+)<', html)
    assert figures[:2] == ["2", "25"]


def test_overview_counts_invalid_events_with_the_failed_ones_it_links_to(app, client, shop, post_webhook,
                                                                         drain):
    """The card links to the events page, which lists both: its figure counts both."""
    bad = fixture_json(ORDER_FIXTURE)
    bad["line_items"][0]["quantity"] = 10**7
    assert post_webhook("orders/paid", bad).status_code == 200
    drain()
    sign_in(app, client, shop)
    html = client.get("/admin/overview?lang=en").get_data(as_text=True)
    assert re.search(r'class="card warn"><a class="figure"[^>]*>1</a><span class="muted">failed or invalid',
                     html)


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
