"""The dashboard's pages through the Flask test client: customers, the program editor, activation
codes, failed events and the overview."""

from __future__ import annotations

import copy
import csv
import io
import json
import re

import pytest

from plugin import customers, ledger
from plugin.core.db import session
from plugin.core.models import ActivationCode, Event, LedgerEntry, ProgramVersion, TierRun
from plugin.core.status import EventStatus
from plugin.dashboard import customers_page
from plugin.pipeline import apply
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import (
    ORDER_FIXTURE,
    SIGNUP,
    SIGNUP_CUSTOMER,
    fixture_json,
    grant,
    post_form,
    save_program,
    sign_in,
)

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
