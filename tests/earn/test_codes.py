"""Activation codes: batches, CSV export, single-use redemption (also when racing), the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from plugin import customers
from plugin.cli.main import main
from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import ActivationCode, Balance, Customer, LedgerEntry, Lot
from plugin.customers import shops
from plugin.earn import codes
from tests.helpers import admin_headers, in_threads, set_program

PROGRAM = {
    "point_types": {"regular": {}, "partner": {"expiry": {"kind": "days", "days": 365}}},
    "earning": {"rate": {"kind": "percent", "percent": "5"}},
}
NOW = datetime(2024, 5, 3, 10, 0, tzinfo=UTC)
CODE = re.compile(r"^([A-Z0-9]+-)?[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")


@pytest.fixture
def version(shop) -> int:
    return set_program(shop, PROGRAM, NOW)


@pytest.fixture
def api(app, client, shop, version):
    """Call the API as the shop: api("post", path, json=...)."""
    def call(method: str, path: str, **kwargs):
        return getattr(client, method)(f"/api/v1{path}", headers=admin_headers(app, shop), **kwargs)

    return call


def generate(api, **body) -> dict:
    response = api("post", "/activation-codes", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def export(api, batch: str) -> list[dict]:
    response = api("get", f"/activation-codes/{batch}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def balance(customer_id: str) -> dict:
    with session():
        return {b.point_type: b.points for b in Balance.select().join(Customer).where(
            Customer.platform_id == customer_id)}


def test_discount_card_holder_gets_3000_points_once(api):
    generate(api, count=3, points=3000, point_type="regular", batch="discount-cards")
    code = export(api, "discount-cards")[0]["code"]
    first = api("post", "/activation-codes/redeem", json={"code": code, "customer_id": "holder"})
    assert first.status_code == 201
    assert (first.get_json()["points"], first.get_json()["code"]) == (3000, code)
    again = api("post", "/activation-codes/redeem", json={"code": code, "customer_id": "holder"})
    assert again.status_code == 409
    assert again.get_json()["error"] == "already_redeemed"
    assert "already used on 2024-05-03 10:00:00 UTC by this customer" in again.get_json()["message"]
    other = api("post", "/activation-codes/redeem", json={"code": code, "customer_id": "someone"})
    assert other.status_code == 409
    assert "by this customer" not in other.get_json()["message"]
    assert balance("holder") == {"regular": 3000}
    assert balance("someone") == {}
    with session():
        assert [e.idempotency_key for e in LedgerEntry.select()] == [
            f"code:{ActivationCode.get(ActivationCode.redeemed_at.is_null(False)).id}"]


def test_partner_club_cards_each_activate_2000_points_once(api, version):
    generate(api, count=2, points=2000, point_type="partner", batch="partner-club", prefix="PC")
    cards = [row["code"] for row in export(api, "partner-club")]
    for customer, card in zip(("anna", "ben"), cards, strict=True):
        response = api("post", "/activation-codes/redeem", json={"code": card, "customer_id": customer})
        assert response.status_code == 201
        assert balance(customer) == {"partner": 2000}
        with session():
            lot = Lot.get_by_id(response.get_json()["lot"])
        assert (lot.program_version, lot.source) == (version, "code:partner-club")
        assert lot.expires_at == NOW.replace(tzinfo=None) + timedelta(days=365)
    again = api("post", "/activation-codes/redeem", json={"code": cards[0], "customer_id": "ben"})
    assert again.status_code == 409
    assert balance("ben") == {"partner": 2000}


def test_codes_are_unique_grouped_and_unambiguous(api):
    made = generate(api, count=500, points=10, batch="many")
    assert made == {"batch": "many", "count": 500, "points": 10, "point_type": "regular"}
    rows = export(api, "many")
    assert len({row["code"] for row in rows}) == 500
    assert all(CODE.match(row["code"]) for row in rows)
    assert not set("".join(row["code"] for row in rows)) & set("01ILO")


def test_code_matches_ignoring_case_spaces_and_dashes(api):
    generate(api, count=1, points=10, batch="b", prefix="Vip")
    code = export(api, "b")[0]["code"]
    assert code.startswith("VIP-")
    typed = " " + code.lower().replace("-", " ") + " "
    response = api("post", "/activation-codes/redeem", json={"code": typed, "customer_id": "c1"})
    assert response.status_code == 201
    assert response.get_json()["code"] == code


def test_csv_export_shows_who_redeemed_what_and_when(api):
    generate(api, count=2, points=25, batch="spring")
    code = export(api, "spring")[1]["code"]
    api("post", "/activation-codes/redeem", json={"code": code, "customer_id": "=c1"})
    response = api("get", "/activation-codes/spring.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="activation-codes-spring.csv"'
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == "code,points,point_type,redeemed_at,redeemed_by"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["points"], r["point_type"], r["redeemed_at"], r["redeemed_by"]) for r in rows] == [
        ("25", "regular", "", ""), ("25", "regular", "2024-05-03T10:00:00", "'=c1")]


def test_batches_are_listed_with_redeemed_counts(api):
    generate(api, count=3, points=5, batch="one")
    code = export(api, "one")[0]["code"]
    api("post", "/activation-codes/redeem", json={"code": code, "customer_id": "c1"})
    (item,) = api("get", "/activation-codes").get_json()["items"]
    assert (item["batch"], item["count"], item["redeemed"], item["points"]) == ("one", 3, 1, 5)


def test_named_batch_retry_is_200_and_other_values_409(api):
    generate(api, count=4, points=5, batch="retry")
    retry = api("post", "/activation-codes", json={"count": 4, "points": 5, "batch": "retry"})
    assert (retry.status_code, retry.get_json()["count"]) == (200, 4)
    clash = api("post", "/activation-codes", json={"count": 4, "points": 6, "batch": "retry"})
    assert clash.status_code == 409
    with session():
        assert ActivationCode.select().count() == 4


def test_unknown_code_and_batch_are_404(api):
    response = api("post", "/activation-codes/redeem", json={"code": "AAAA-BBBB-CCCC", "customer_id": "c"})
    assert response.status_code == 404
    assert api("get", "/activation-codes/nothing.csv").status_code == 404
    with session():
        assert Customer.select().count() == 0


def test_other_shops_code_is_404(app, client, api):
    generate(api, count=1, points=10, batch="mine")
    code = export(api, "mine")[0]["code"]
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    theirs = admin_headers(app, other)
    response = client.post("/api/v1/activation-codes/redeem", json={"code": code, "customer_id": "c"},
                           headers=theirs)
    assert response.status_code == 404
    assert client.get("/api/v1/activation-codes/mine.csv", headers=theirs).status_code == 404
    assert client.get("/api/v1/activation-codes", headers=theirs).get_json() == {"items": []}


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/v1/activation-codes"), ("get", "/api/v1/activation-codes"),
    ("get", "/api/v1/activation-codes/b.csv"), ("post", "/api/v1/activation-codes/redeem"),
])
def test_without_key_is_401(client, shop, method, path):
    assert getattr(client, method)(path, json={}).status_code == 401


@pytest.mark.parametrize(("path", "body", "field"), [
    ("", {"count": 0, "points": 10}, "count"),
    ("", {"count": 100_001, "points": 10}, "count"),
    ("", {"count": 1, "points": "10"}, "points"),
    ("", {"count": 1, "points": 0}, "points"),
    ("", {"count": 1}, "points"),
    ("", {"count": 1, "points": 10, "point_type": "gold"}, "point_type"),
    ("", {"count": 1, "points": 10, "batch": "no spaces"}, "batch"),
    ("", {"count": 1, "points": 10, "prefix": "A-B"}, "prefix"),
    ("", {"count": 1, "points": 10, "expires": "never"}, "expires"),
    ("/redeem", {"customer_id": "c"}, "code"),
    ("/redeem", {"code": "AAAA"}, "customer_id"),
    ("/redeem", {"code": "AAAA", "customer_id": ""}, "customer_id"),
])
def test_bad_input_is_422_naming_the_field(api, path, body, field):
    response = api("post", f"/activation-codes{path}", json=body)
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == [field]


def test_concurrent_redemptions_of_one_code_grant_once(backend, shop, version, monkeypatch):
    """Both read the code unused; the conditional UPDATE lets exactly one of them use it."""
    with session():
        codes.generate(shop.id, 1, 3000, batch="race")
        code = ActivationCode.get().code
        for name in ("c0", "c1", "c2", "c3"):
            customers.ensure(shop.id, name)
    if backend == "postgres":  # SQLite serialises writers, so there both cannot be inside at once
        barrier, ensure, first_passes = threading.Barrier(4), codes.customers.ensure, iter(range(4))

        def ensure_then_wait(*args, **kwargs):
            found = ensure(*args, **kwargs)
            if next(first_passes, None) is not None:
                barrier.wait(timeout=5)
            return found

        monkeypatch.setattr(codes.customers, "ensure", ensure_then_wait)
    results = []

    def run(customer_id: str) -> None:
        try:
            with session():
                results.append(codes.redeem(shop.id, code, customer_id)["customer_id"])
        except codes.AlreadyRedeemed as exc:
            results.append(exc)

    in_threads(run, [(f"c{n}",) for n in range(4)])
    (winner,) = [r for r in results if isinstance(r, str)]
    assert sum(isinstance(r, codes.AlreadyRedeemed) for r in results) == 3
    assert balance(winner) == {"regular": 3000}
    with session():
        assert ActivationCode.get().redeemed_by.platform_id == winner
        assert LedgerEntry.select().count() == 1


def test_conditional_update_refuses_a_code_used_after_it_was_read(shop, version, monkeypatch):
    """A redemption that read the code unused still loses if another used it meanwhile."""
    with session():
        codes.generate(shop.id, 1, 50, batch="late")
        code = ActivationCode.get()
    ensure = codes.customers.ensure

    def someone_else_redeems_first(*args, **kwargs):
        ActivationCode.update(redeemed_at=clock.now()).where(ActivationCode.id == code.id).execute()
        return ensure(*args, **kwargs)

    monkeypatch.setattr(codes.customers, "ensure", someone_else_redeems_first)
    with session(), pytest.raises(codes.AlreadyRedeemed, match="already used"):
        codes.redeem(shop.id, code.code, "late-customer")
    with session():
        assert LedgerEntry.select().count() == 0


def test_cli_generates_and_exports_a_batch(app, shop, version):
    settings = app.extensions["loyalty"].settings
    env = {"LOYALTY_DATABASE_URL": settings.database_url, "LOYALTY_REDIS_URL": settings.redis_url or "",
           "LOYALTY_SECRET_KEY": settings.secret_key, "SHOPIFY_API_KEY": "k", "SHOPIFY_API_SECRET": "s",
           "LOYALTY_PUBLIC_URL": "https://loyalty.example.test"}
    made = CliRunner().invoke(main, ["codes", "generate", "--shop", str(shop.id), "--count", "3",
                                              "--points", "3000", "--batch", "cards"], env=env)
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout) == {"batch": "cards", "count": 3, "points": 3000,
                                       "point_type": "regular", "created": True}
    out = CliRunner().invoke(main, ["codes", "export", "--shop", str(shop.id), "--batch", "cards"], env=env)
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["points"], r["redeemed_by"]) for r in rows] == [("3000", "")] * 3
    bad = CliRunner().invoke(main, ["codes", "generate", "--shop", str(shop.id), "--count", "1",
                                             "--points", "1", "--point-type", "gold"], env=env)
    assert bad.exit_code == 1
    assert "point_type" in bad.output
    missing = CliRunner().invoke(main, ["codes", "export", "--shop", "999", "--batch", "x"], env=env)
    assert (missing.exit_code, "no shop 999" in missing.output) == (1, True)
