"""A customer is shown by name, else by e-mail, else by platform id: one rule, on every page."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import PrivacyRequest
from plugin.customers import names
from plugin.customers.naming import name_of
from tests.helpers import grant, sign_in, upload

maybe = st.none() | st.text(max_size=12)


def test_the_name_then_the_email_then_the_platform_id():
    assert name_of("Анна", "Иванова", "anna@example.ru", "801") == "Анна Иванова"
    assert name_of(None, "Norman", "bob@example.com", "802") == "Norman"
    assert name_of("  ", None, " carol@example.com ", "803") == "carol@example.com"
    assert name_of(None, None, None, "804") == "804"


@given(first=maybe, last=maybe, email=maybe, platform_id=st.from_regex(r"[0-9]{1,12}", fullmatch=True))
def test_a_customer_always_has_a_name_to_show_and_an_id_only_when_nothing_else(first, last, email,
                                                                               platform_id):
    shown = name_of(first, last, email, platform_id)
    assert shown and shown == shown.strip()
    known = any((part or "").strip() for part in (first, last, email))
    assert (shown == platform_id) or known


def test_pages_list_customers_by_name(app, client, shop):
    for pid, profile in (("801", {"first_name": "Анна", "last_name": "Иванова", "email": "anna@example.ru"}),
                         ("803", {"email": "carol@example.com"}), ("804", None)):
        grant(shop, pid, 10, f"k{pid}", profile=profile)
    with session():
        PrivacyRequest.create(shop=shop.id, topic="customers/data_request", customer_platform_id="801",
                              status="completed", requested_at=clock.now())
        assert names(shop.id, ["801", "803", "804", "999"]) == {
            "801": "Анна Иванова", "803": "carol@example.com", "804": "804"}
    sign_in(app, client, shop)
    overview = client.get("/admin/overview?lang=en").get_data(as_text=True)
    linked = re.findall(r'href="/admin/customers/\d+">([^<]+)</a>', overview)
    assert sorted(linked) == ["804", "carol@example.com", "Анна Иванова"]
    customer = client.get("/admin/customers/801?lang=en").get_data(as_text=True)
    assert re.search(r"<h1>Анна Иванова <span", customer)
    listed = client.get("/admin/customers?lang=en").get_data(as_text=True)
    assert re.findall(r'href="/admin/customers/\d+">([^<]+)</a>', listed) == [
        "804", "carol@example.com", "Анна Иванова"]
    privacy = client.get("/admin/privacy?lang=en").get_data(as_text=True)
    assert "<td>Анна Иванова</td>" in privacy
    bulk = upload(client, "/admin/adjustments/preview", "customer_id,points,reason\n801,5,x\n804,5,y\n",
                  "/admin/adjustments").get_data(as_text=True)
    accepted = bulk.split('class="accepted"')[1].split("</table>")[0]
    assert '<td>Анна Иванова <code class="muted">801</code></td>' in accepted and "<td>804</td>" in accepted
