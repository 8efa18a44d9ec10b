"""The dashboard's data pages through the Flask test client: imports and exports, analytics with
charts, privacy requests."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest

from plugin import customers, ledger
from plugin.core.db import session
from plugin.core.models import Customer, ImportRun, PrivacyRequest
from plugin.core.status import RunStatus
from tests.helpers import ORDER_FIXTURE, fixture_json, post_form, upload

DATA_REQUEST = fixture_json("shopify/compliance_customers_data_request.json")
ORDER = fixture_json(ORDER_FIXTURE)  # bob, 207119551


# --- imports and exports --------------------------------------------------------------------------

IMPORT = ("customer_id,email,points_balance\n"
          "imp-1,ann@example.org,120\n"
          "imp-2,not-an-email,5\n"
          "imp-3,bo@example.org,30\n")


def test_import_dry_run_then_for_real_with_the_rejected_line(app, signed_in, shop, drain):
    dry = upload(signed_in, "/admin/imports", IMPORT, "/admin/imports", dry_run="1")
    assert dry.status_code == 303
    drain()
    run_page = unescape(signed_in.get(dry.headers["Location"]).get_data(as_text=True))
    assert '<progress id="import-progress" value="3" max="3"' in run_page
    assert "This was a dry run" in run_page
    assert re.search(r">3</td><td class=\"error\">email 'not-an-email' is not an email address", run_page)
    with session():
        assert not Customer.select().where(Customer.platform_id.startswith("imp-")).exists()

    real = upload(signed_in, "/admin/imports", IMPORT, "/admin/imports")
    drain()
    run_id = int(real.headers["Location"].rsplit("/", 1)[1])
    assert signed_in.get(f"/admin/imports/{run_id}.json").get_json() == {
        "status": "done", "done": 3, "total": 3, "finished": True}
    with session():
        assert ledger.balances(customers.find(shop.id, "imp-1")) == {"regular": 120}
        assert ImportRun.get_by_id(run_id).actor == "Olga Petrova"
    exported = signed_in.get("/admin/export/customers.csv")
    assert exported.mimetype == "text/csv" and "imp-1,ann@example.org" in exported.get_data(as_text=True)
    assert "opening balance imported" in signed_in.get("/admin/export/ledger.csv").get_data(as_text=True)


def test_a_running_import_refreshes_itself(app, signed_in, shop):
    with session():
        run = ImportRun.create(shop=shop.id, status=RunStatus.RUNNING, file_hash="x", total=10, done=4)
    html = signed_in.get(f"/admin/imports/{run.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert f'data-poll="/admin/imports/{run.id}.json"' in html and 'value="4" max="10"' in html


def test_an_import_without_a_file_is_a_field_error_and_csrf_is_checked(app, signed_in, shop):
    response = post_form(signed_in, "/admin/imports", {}, page="/admin/imports")
    assert response.status_code == 422 and "Choose a CSV file to upload." in response.get_data(as_text=True)
    forged = signed_in.post("/admin/imports", data={"file": (io.BytesIO(b"email\na@b.co\n"), "f.csv")},
                            content_type="multipart/form-data")
    assert forged.status_code == 403
    with session():
        assert not ImportRun.select().exists()


# --- analytics ------------------------------------------------------------------------------------

def test_analytics_page_shows_the_figures_and_svg_charts(app, signed_in, shop, post_webhook, drain):
    post_webhook("orders/paid", ORDER)
    drain()
    html = signed_in.get("/admin/analytics").get_data(as_text=True)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4
    for title in ("Points issued, redeemed and expired per day", "Orders per day", "Revenue per day",
                  "Customers per tier"):
        assert f"<title>{title}</title>" in html
    assert "<polyline" in html and "Repeat purchase rate" in html and "outstanding liability" in html
    russian = signed_in.get("/admin/analytics?lang=ru").get_data(as_text=True)
    assert "<title>Баллы по дням: начислено, потрачено, сгорело</title>" in russian
    overview = signed_in.get("/admin/overview?lang=en").get_data(as_text=True)
    assert 'id="chart-recent"' in overview and "<polyline" in overview


def test_analytics_csv_links_download_each_table(app, signed_in, shop):
    html = signed_in.get("/admin/analytics?from=2025-03-01&to=2025-03-03").get_data(as_text=True)
    links = re.findall(r'href="(/admin/analytics/\w+\.csv\?[^"]+)"', html)
    assert len(links) == 5
    daily = signed_in.get(links[0].replace("&amp;", "&"))
    assert daily.mimetype == "text/csv" and daily.get_data(as_text=True).count("\r\n") == 4


@pytest.mark.parametrize("query", ["from=2025-13-01", "from=2025-03-05&to=2025-03-01", "to=yesterday",
                                   "from=2020-01-01&to=2025-01-01"])
def test_a_bad_analytics_range_is_shown_next_to_the_field(app, signed_in, shop, query):
    response = signed_in.get(f"/admin/analytics?{query}")
    assert response.status_code == 422
    assert "Give dates as YYYY-MM-DD" in response.get_data(as_text=True)
    assert signed_in.get(f"/admin/analytics/daily.csv?{query}").status_code == 422


# --- privacy requests -----------------------------------------------------------------------------

def test_privacy_page_lists_requests_and_downloads_a_data_export(app, signed_in, shop, post_webhook, drain):
    post_webhook("customers/data_request", DATA_REQUEST)
    drain()
    html = signed_in.get("/admin/privacy").get_data(as_text=True)
    customer_id = str(DATA_REQUEST["customer"]["id"])
    assert "data request" in html and customer_id in html and "completed" in html
    with session():
        request_id = PrivacyRequest.get(PrivacyRequest.shop == shop.id).id
    download = signed_in.get(f"/admin/privacy/{request_id}.json")
    assert download.mimetype == "application/json"
    assert download.get_json()["request"]["customer_id"] == customer_id
