"""The dashboard's tools, through the Flask test client: manual and bulk adjustments, imports and
exports (test_data_pages), analytics, privacy; each page in both languages, scoped to its shop."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import AdjustmentBatch, ImportRun, LedgerEntry, PrivacyRequest
from plugin.core.status import BatchStatus, RunStatus
from tests.helpers import OTHER_DOMAIN, csrf_of, fixture_json, grant, post_form, sign_in, upload

DATA_REQUEST = fixture_json("shopify/compliance_customers_data_request.json")
SIGNUP = fixture_json("shopify/rest2025-07_customer_created__POST_customers.json")  # 1073339458
ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")  # bob, 207119551


def adjust_entries(shop) -> list[LedgerEntry]:
    with session():
        return list(LedgerEntry.select()
                    .where((LedgerEntry.shop == shop.id) & (LedgerEntry.kind == EntryKind.ADJUST))
                    .order_by(LedgerEntry.id))


def adjust(client, platform_id: str, **form):
    """Submit the customer page's adjustment form as rendered (its CSRF token and key)."""
    html = client.get(f"/admin/customers/{platform_id}").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_of(html), "key": key, "points": "50", "point_type": "regular",
            "reason": "goodwill", **form}
    return client.post(f"/admin/customers/{platform_id}/adjust", data=data), data


# --- every page, both languages -----------------------------------------------------------------

PAGES = {"/admin/analytics": ("Analytics", "Аналитика"), "/admin/adjustments": ("Bulk adjustments",
         "Массовые корректировки"), "/admin/imports": ("Import / export", "Импорт и экспорт"),
         "/admin/privacy": ("Privacy requests", "Запросы о данных"), "/admin/overview": ("The last 30 days",
         "Последние 30 дней"), "/admin/customers/c1": ("Adjust the balance", "Изменить баланс")}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_each_page_renders_in_both_languages(app, signed_in, shop, path, lang):
    grant(shop, "c1", 100, "seed")
    response = signed_in.get(f"{path}?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'lang="{lang}"' in html
    assert PAGES[path][lang == "ru"] in html


# --- manual adjustments ---------------------------------------------------------------------------

def test_adjustment_writes_one_entry_by_the_staff_member_and_shows_it(app, signed_in, shop):
    grant(shop, "c1", 100, "seed")
    response, _ = adjust(signed_in, "c1", points="-30", reason="damaged parcel")
    assert response.status_code == 303
    [entry] = adjust_entries(shop)
    assert (entry.delta, entry.actor, entry.reason) == (
        -30, "Olga Petrova", {"code": "adjust.manual", "text": "damaged parcel"})
    html = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Took 30 points (regular), recorded by Olga Petrova." in html
    ledger_rows = html.split('class="ledger"')[1]
    assert re.search(r"−?-30.*?Olga Petrova</td>\s*<td>damaged parcel", ledger_rows, re.S)


def test_a_double_submit_of_one_form_applies_once(app, signed_in, shop):
    grant(shop, "c1", 100, "seed")
    first, data = adjust(signed_in, "c1", points="25")
    again = signed_in.post("/admin/customers/c1/adjust", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert [e.delta for e in adjust_entries(shop)] == [25]
    with session():
        assert ledger.balances(customers.find(shop.id, "c1")) == {"regular": 125}


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"reason": "  "}, "reason", "Give a reason: it is recorded with the adjustment."),
    ({"points": "-101"}, "points", "The customer does not hold that many points of this type"),
    ({"point_type": "gold"}, "point_type", "Choose a point type of the program."),
    ({"points": "ten"}, "points", "Give a whole number of points other than 0"),
    ({"points": "0"}, "points", "Give a whole number of points other than 0"),
    ({"points": "9" * 5000}, "points", "Give a whole number of points other than 0"),
    ({"reason": "x" * 501}, "reason", "The reason can be at most 500 characters long."),
])
def test_adjustment_errors_are_shown_by_the_field_and_write_nothing(app, signed_in, shop, form, field,
                                                                    message):
    grant(shop, "c1", 100, "seed")
    response, _ = adjust(signed_in, "c1", **form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'id="adjust-{field}-error">{re.escape(message)}', html)
    assert not adjust_entries(shop)


def test_an_adjustment_form_without_its_csrf_token_is_403(app, signed_in, shop):
    grant(shop, "c1", 100, "seed")
    data = {"points": "5", "reason": "x", "key": "k" * 10, "point_type": "regular"}
    response = signed_in.post("/admin/customers/c1/adjust", data=data)
    assert response.status_code == 403 and not adjust_entries(shop)


# --- bulk adjustments -----------------------------------------------------------------------------

BULK = ("customer_id,points,reason\n"
        "c1,40,goodwill\n"
        "c2,-500,too much\n"
        "nobody,5,unknown\n"
        "c2,-20,fix\n")


def hidden(html: str) -> dict:
    """The confirm form's CSRF token and idempotency key."""
    return {name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
            for name in ("csrf_token", "key")}


def test_bulk_preview_then_apply_then_undo(app, signed_in, shop):
    grant(shop, "c1", 100, "seed-1")
    grant(shop, "c2", 100, "seed-2")
    preview = upload(signed_in, "/admin/adjustments/preview", BULK, "/admin/adjustments")
    html = unescape(preview.get_data(as_text=True))
    assert preview.status_code == 200 and not adjust_entries(shop)
    rejected = html.split('class="rejected"')[1].split("</table>")[0]
    assert re.search(r">3</td><td class=\"error\">points: only 100 regular points", rejected)
    assert re.search(r">4</td><td class=\"error\">customer: no customer 'nobody'", rejected)
    assert "+40" in html and "−20" in html  # totals per type

    form = hidden(html)
    text = re.search(r'name="text" value="([^"]*)"', html, re.S).group(1)
    apply = signed_in.post("/admin/adjustments/apply", data={**form, "text": text})
    again = signed_in.post("/admin/adjustments/apply", data={**form, "text": text})
    assert apply.status_code == again.status_code == 303
    with session():
        [batch] = AdjustmentBatch.select().where(AdjustmentBatch.shop == shop.id)
    assert batch.actor == "Olga Petrova" and batch.lines == [2, 5]
    assert sorted(e.delta for e in adjust_entries(shop)) == [-20, 40]
    listing = signed_in.get(apply.headers["Location"]).get_data(as_text=True)
    assert f"Batch {batch.id} is applied." in listing and "Undo" in listing

    undo = post_form(signed_in, f"/admin/adjustments/{batch.id}/undo", {}, page="/admin/adjustments")
    assert undo.status_code == 303
    with session():
        assert ledger.balances(customers.find(shop.id, "c1")) == {"regular": 100}
        assert ledger.balances(customers.find(shop.id, "c2")) == {"regular": 100}
    twice = post_form(signed_in, f"/admin/adjustments/{batch.id}/undo", {}, page="/admin/adjustments")
    assert twice.status_code == 409
    assert f"Batch {batch.id} was already undone." in twice.get_data(as_text=True)


def test_undo_after_a_day_is_refused_with_a_clear_message(app, signed_in, shop):
    grant(shop, "c1", 100, "seed")
    html = upload(signed_in, "/admin/adjustments/preview", "customer_id,points,reason\nc1,5,x\n",
                  "/admin/adjustments").get_data(as_text=True)
    form = hidden(html)
    signed_in.post("/admin/adjustments/apply", data={**form, "text": "customer_id,points,reason\nc1,5,x\n"})
    with session():
        batch = AdjustmentBatch.get(AdjustmentBatch.shop == shop.id)
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    clock.set_source(lambda: later)
    sign_in(app, signed_in, shop)  # a session lasts 12 hours
    response = post_form(signed_in, f"/admin/adjustments/{batch.id}/undo", {}, page="/admin/adjustments")
    assert response.status_code == 409
    assert "more than a day ago and can no longer be undone" in response.get_data(as_text=True)
    assert [e.delta for e in adjust_entries(shop)] == [5]


@pytest.mark.parametrize(("text", "message"), [
    ("name,points\nx,1\n", "no 'customer_id' or 'email' column"),
    ("", "empty"),
])
def test_a_bulk_file_without_the_columns_is_a_field_error(app, signed_in, shop, text, message):
    response = upload(signed_in, "/admin/adjustments/preview", text, "/admin/adjustments")
    assert response.status_code == 422
    assert re.search(r'id="file-error">[^<]*' + re.escape(message), unescape(response.get_data(as_text=True)))


def test_bulk_preview_without_a_file_is_a_field_error(app, signed_in, shop):
    response = post_form(signed_in, "/admin/adjustments/preview", {}, page="/admin/adjustments")
    assert response.status_code == 422 and "Choose a CSV file to upload." in response.get_data(as_text=True)


# --- one shop per session -------------------------------------------------------------------------

def test_a_session_of_one_shop_cannot_reach_another_shops_tools(app, client, shop, other_shop, post_webhook,
                                                                   drain):
    grant(other_shop, "theirs", 100, "seed")
    post_webhook("customers/data_request", DATA_REQUEST, domain=OTHER_DOMAIN)
    drain()
    with session():
        batch = AdjustmentBatch.create(shop=other_shop.id, key="k" * 10, file_hash="x", actor="them")
        run = ImportRun.create(shop=other_shop.id, file_hash="x", status=RunStatus.DONE, report={"total": 0})
        privacy = PrivacyRequest.get(PrivacyRequest.shop == other_shop.id)
    sign_in(app, client, shop)
    for path in ("/admin/customers/theirs", f"/admin/imports/{run.id}", f"/admin/imports/{run.id}.json",
                 f"/admin/privacy/{privacy.id}.json"):
        assert client.get(path).status_code == 404, path
    form = {"points": "5", "reason": "x", "key": "k" * 12, "point_type": "regular"}
    assert post_form(client, "/admin/customers/theirs/adjust", form).status_code == 404
    assert post_form(client, f"/admin/adjustments/{batch.id}/undo", {}).status_code == 404
    assert str(DATA_REQUEST["customer"]["id"]) not in client.get("/admin/privacy").get_data(as_text=True)
    assert "theirs" not in client.get("/admin/export/customers.csv").get_data(as_text=True)
    assert f"batch-{batch.id}" not in client.get("/admin/adjustments").get_data(as_text=True)
    assert not adjust_entries(other_shop)
    with session():
        assert AdjustmentBatch.get_by_id(batch.id).status == BatchStatus.APPLIED


@pytest.mark.parametrize("path", ["/admin/imports/{n}", "/admin/imports/{n}.json", "/admin/privacy/{n}.json",
                                  "/admin/customers/{n}", "/admin/imports/x", "/admin/analytics/nope.csv"])
@pytest.mark.parametrize("n", ["0", "2147483648", "9" * 30])
def test_unknown_or_huge_ids_are_404(app, signed_in, shop, path, n):
    assert signed_in.get(path.format(n=n)).status_code == 404


@pytest.mark.parametrize("n", ["0", "9" * 30])
def test_undoing_an_unknown_batch_is_404(app, signed_in, shop, n):
    assert post_form(signed_in, f"/admin/adjustments/{n}/undo", {}).status_code == 404
