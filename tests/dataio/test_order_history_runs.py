"""Order history through the import machinery: the admin API (``kind=orders``, ``/imports/platform``),
the dashboard's imports page, the CLI, and one shop's runs and lines out of another's reach."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.cli.main import main
from plugin.core import csvfile
from plugin.core.db import session
from plugin.core.models import ImportRun, PastOrderLine
from plugin.customers import shops
from plugin.dataio import order_history
from tests.dataio.test_imports import cli_env
from tests.dataio.test_order_history import ORDERS
from tests.helpers import admin_headers, post_form, sign_in, upload

CSV_HEADERS = {"Content-Type": "text/csv"}


def lines_of(shop) -> int:
    with session():
        return PastOrderLine.select().where(PastOrderLine.shop == shop.id).count()


@pytest.fixture
def custom_shop(app):
    with session():
        created, _ = shops.register("custom", "store.example.org", own_webhook_secret=False)
    return created


# --- the admin API ----------------------------------------------------------------------------------

def test_api_imports_order_history_as_a_run_with_its_report(app, client, shop, drain):
    headers = {**admin_headers(app, shop), **CSV_HEADERS}
    response = client.post("/api/v1/imports?kind=orders&filename=2025.csv", data=ORDERS.encode(),
                           headers=headers)
    assert response.status_code == 202, response.get_json()
    assert (response.get_json()["run"]["kind"], response.get_json()["run"]["total"]) == ("orders", 10)
    drain()
    run = client.get(f"/api/v1/imports/{response.get_json()['run']['id']}", headers=headers).get_json()["run"]
    assert (run["status"], run["done"], run["report"]["lines_added"]) == ("done", 10, 6)
    assert [r["line"] for r in run["report"]["rejected"]] == [5, 6, 7, 9]
    assert lines_of(shop) == 6
    with session():
        assert {row.run_id for row in PastOrderLine.select()} == {run["id"]}


def test_api_dry_run_of_order_history_writes_nothing(app, client, shop, drain):
    headers = {**admin_headers(app, shop), **CSV_HEADERS}
    response = client.post("/api/v1/imports?kind=orders&dry_run=true", data=ORDERS.encode(), headers=headers)
    drain()
    run = client.get(f"/api/v1/imports/{response.get_json()['run']['id']}", headers=headers).get_json()["run"]
    assert (run["report"]["dry_run"], run["report"]["lines_added"], lines_of(shop)) == (True, 6, 0)


@pytest.mark.parametrize("query, body, field", [
    ("kind=invoices", ORDERS, "kind"),
    ("kind=orders", "order_id,customer_id,placed_at\n1,c,2025-01-01\n", "file"),
    ("kind=orders", "", "file"),
])
def test_api_order_history_input_errors_name_the_field(app, client, shop, query, body, field):
    response = client.post(f"/api/v1/imports?{query}", data=body.encode(),
                           headers={**admin_headers(app, shop), **CSV_HEADERS})
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    with session():
        assert not ImportRun.select().exists()


def test_api_a_file_over_the_limit_is_413(app, client, shop, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_FILE_BYTES", 1000)
    response = client.post("/api/v1/imports?kind=orders", data=(ORDERS * 20).encode(),
                           headers={**admin_headers(app, shop), **CSV_HEADERS})
    assert response.status_code == 413


@pytest.mark.parametrize("body, field", [
    ({}, "from"), ({"from": "2025-01-01"}, "to"), ({"from": "2025-02-01", "to": "2025-01-01"}, "from"),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "to"), ({"from": "2025-01-01", "to": "2025-13-01"}, "to"),
    ({"from": "2025-01-01", "to": "2025-01-31", "source": "x"}, "source"),
])
def test_api_fetch_period_errors_name_the_field(app, client, shop, body, field):
    response = client.post("/api/v1/imports/platform", json=body, headers=admin_headers(app, shop))
    assert response.status_code == 422 and field in response.get_json()["fields"]


def test_api_fetch_from_a_platform_without_a_listing_is_409(app, client, custom_shop):
    response = client.post("/api/v1/imports/platform", json={"from": "2025-01-01", "to": "2025-01-31"},
                           headers=admin_headers(app, custom_shop))
    assert (response.status_code, response.get_json()["error"]) == (409, "no_order_listing")


def test_api_fetch_that_cannot_reach_the_platform_is_a_failed_run_not_an_error(app, client, shop, drain):
    headers = admin_headers(app, shop)  # registered by hand: no Shopify token
    response = client.post("/api/v1/imports/platform", json={"from": "2025-01-01", "to": "2025-01-31"},
                           headers=headers)
    assert response.status_code == 202
    drain()
    run = client.get(f"/api/v1/imports/{response.get_json()['run']['id']}", headers=headers).get_json()["run"]
    assert (run["kind"], run["status"], run["filename"]) == ("platform", "failed", "2025-01-01 – 2025-01-31")
    assert "no access token" in run["error"]


BODY = st.fixed_dictionaries({}, optional={
    "from": st.one_of(st.dates().map(str), st.text(max_size=12), st.integers(), st.none()),
    "to": st.one_of(st.dates().map(str), st.text(max_size=12), st.integers(), st.none()),
    "dry_run": st.one_of(st.booleans(), st.text(max_size=5)),
    "other": st.integers(),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODY)
def test_any_fetch_body_is_202_or_a_422_naming_a_field(app, client, shop, body):
    response = client.post("/api/v1/imports/platform", data=json.dumps(body),
                           headers={**admin_headers(app, shop), "Content-Type": "application/json"})
    assert response.status_code in (202, 400, 422), response.get_json()
    if response.status_code == 422:
        assert set(response.get_json()["fields"]) <= {"from", "to", "dry_run", "other"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=8), max_size=6),
       kind=st.sampled_from(["orders", "customers", "Orders", ""]))
def test_any_order_file_is_202_or_a_422_naming_the_field(app, client, shop, rows, kind):
    text = "order_id,customer_id,placed_at,amount,sku,category,quantity\n" + "\n".join(
        ",".join(json.dumps(cell) for cell in row) for row in rows)
    response = client.post(f"/api/v1/imports?kind={kind}", data=text.encode(),
                           headers={**admin_headers(app, shop), **CSV_HEADERS})
    assert response.status_code in (202, 400, 422), response.get_json()
    if response.status_code == 422:
        assert set(response.get_json()["fields"]) <= {"kind", "file"}


def test_another_shops_key_can_neither_see_nor_reach_a_shops_history(app, client, shop, drain):
    response = client.post("/api/v1/imports?kind=orders", data=ORDERS.encode(),
                           headers={**admin_headers(app, shop), **CSV_HEADERS})
    drain()
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    theirs = admin_headers(app, other)
    run_id = response.get_json()["run"]["id"]
    assert client.get(f"/api/v1/imports/{run_id}", headers=theirs).status_code == 404
    with session():
        assert order_history.stored_lines(other.id) == []
        assert len(order_history.stored_lines(shop.id)) == 6


# --- the dashboard ------------------------------------------------------------------------------------

def test_imports_page_has_the_order_history_forms_in_both_languages(app, client, shop):
    sign_in(app, client, shop)
    html = unescape(client.get("/admin/imports").get_data(as_text=True))
    assert 'name="kind" value="orders"' in html and 'action="/admin/imports/platform"' in html
    assert "Order history" in html and "Fetch orders" in html
    russian = unescape(client.get("/admin/imports?lang=ru").get_data(as_text=True))
    assert "История заказов" in russian and "Загрузить заказы" in russian


def test_dashboard_order_history_upload_shows_its_run_with_the_rejected_lines(app, client, shop, drain):
    sign_in(app, client, shop)
    answer = upload(client, "/admin/imports", ORDERS, "/admin/imports", kind="orders")
    assert answer.status_code == 303
    drain()
    page = unescape(client.get(answer.headers["Location"]).get_data(as_text=True))
    assert '<progress id="import-progress" value="10" max="10"' in page
    assert "order lines added" in page and "Orders from 2025-01-05 to 2025-03-04." in page
    assert re.search(r">5</td><td class=\"error\">amount 'abc' is not a number", page)
    assert "customers created" not in page and lines_of(shop) == 6
    listing = unescape(client.get("/admin/imports").get_data(as_text=True))
    assert "order history, file" in listing


def test_dashboard_fetch_period_errors_and_a_platform_without_a_listing(app, client, shop, custom_shop):
    sign_in(app, client, shop)
    bad = post_form(client, "/admin/imports/platform", {"from": "2025-03-01", "to": "2025-01-01"},
                    page="/admin/imports")
    assert bad.status_code == 422 and 'id="fetch-from-error"' in bad.get_data(as_text=True)
    with session():
        assert not ImportRun.select().exists()
    theirs = app.test_client()
    sign_in(app, theirs, custom_shop)
    page = unescape(theirs.get("/admin/imports").get_data(as_text=True))
    assert "cannot list past orders here" in page and 'action="/admin/imports/platform"' not in page


FORM = st.fixed_dictionaries({}, optional={
    "from": st.one_of(st.dates().map(str), st.text(max_size=12)),
    "to": st.one_of(st.dates().map(str), st.text(max_size=12)),
    "dry_run": st.sampled_from(["1", "", "yes"]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=FORM)
def test_any_fetch_form_is_a_run_or_the_page_again_with_a_field_error(app, client, shop, form):
    sign_in(app, client, shop)
    response = post_form(client, "/admin/imports/platform", form, page="/admin/imports")
    assert response.status_code in (303, 400, 422), response.status_code
    if response.status_code == 422:
        assert 'class="field-error" id="fetch-' in response.get_data(as_text=True)


# --- the command line ---------------------------------------------------------------------------------

def test_cli_imports_order_history_with_a_summary(app, shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    command = ["import", str(path), "--orders", "--shop"]
    result = CliRunner().invoke(main, [*command, shop.domain], env=cli_env(app))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 6 of 10 order lines: 6 new, 0 imported before, 3 orders, "
                                    "1 refund lines, 2025-01-05 to 2025-03-04")
    assert "rejected line 5: amount 'abc' is not a number" in result.stdout
    again = CliRunner().invoke(main, [*command, str(shop.id)], env=cli_env(app))
    assert "0 new, 6 imported before" in again.stdout and lines_of(shop) == 6
