"""Importing customers and balances from CSV (other apps' headers, rejected rows with line numbers,
dry run, re-import changes nothing, the API run and the CLI) and exporting customers and ledger."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from plugin import customers, ledger
from plugin.cli.main import main
from plugin.core.db import session
from plugin.core.errors import Invalid
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, CustomerTier, ImportRun, LedgerEntry, Lot, ReferralCode
from plugin.customers import shops
from plugin.dataio import imports
from plugin.earn import referrals
from plugin.program import versions
from tests.helpers import admin_headers, set_program

PROGRAM = {
    "point_types": {"regular": {"expiry": {"kind": "days", "days": 365}}},
    "earning": {"rate": {"kind": "percent", "percent": "5"}},
    "tiers": {"metric": "points_earned", "tiers": [
        {"id": "member", "title": {"en": "Member"}, "threshold": "0"},
        {"id": "gold", "title": {"en": "Gold", "ru": "Золото"}, "threshold": "1000"},
    ]},
}
NOW = datetime(2024, 5, 3, 10, 0, tzinfo=UTC)

SMILE = (
    "id,first_name,last_name,email,points_balance,vip_tier,referral_url,date_of_birth,state\n"
    "304169228,Jane,Doe,jane@example.com,120,Gold,http://i.refs.cc/9qr5Pw,1004-05-27,member\n"
)
MIXED = (
    "Customer ID,Email,First Name,Points Balance,Tier,Referral Code,Birthday\n"
    "c1,one@example.com,One,100,gold,ONE1,1990-02-01\n"                 # 2
    "c2,two@example.com,Two,abc,,,\n"                                     # 3: not a number
    "c3,not-an-email,Three,5,,,\n"                                        # 4: bad email
    "c1,dup@example.com,Dup,5,,,\n"                                       # 5: c1 again
    "c4,four@example.com,Four,0,Platinum,,02/29\n"                        # 6: unknown tier (warning)
    "c5,five@example.com,Five,7,,,2999-01-01\n"                           # 7: future birthday
    "c6,six@example.com\n"                                                # 8: short row
    "c7,seven@example.com,Seven,-3,,,\n"                                  # 9: negative
    "c8,eight@example.com,Eight,8,,TAKEN1,31.12.1980\n"                   # 10: code taken (warning)
    "c9,nine@example.com,Nine,9,,,13/45/2000\n"                           # 11: bad date
    ",,,,,,\n"                                                            # blank: skipped
    "c10,ten@example.com,Ten,1000,,,\n"                                   # 13
)


@pytest.fixture
def program(shop):
    set_program(shop, PROGRAM, NOW)


@pytest.fixture
def taken(shop, program):
    """A customer of the shop who already holds the referral code TAKEN1."""
    with session():
        owner = customers.ensure(shop.id, "owner")
        ReferralCode.create(shop=shop.id, customer=owner.id, code="TAKEN1")
    return owner


def run(shop, text: str, **kwargs) -> imports.Report:
    with session():
        return imports.import_csv(shop.id, text, **kwargs)


def counts() -> tuple[int, ...]:
    with session():
        return tuple(model.select().count()
                     for model in (Customer, LedgerEntry, Lot, ReferralCode, CustomerTier))


def test_smile_export_imports_balance_tier_code_and_birthday(shop, program):
    report = run(shop, SMILE.replace("id,", "customer_id,", 1))
    assert (report.customers_created, report.balances_granted, report.points_granted) == (1, 1, 120)
    assert (report.tiers_assigned, report.referral_codes, report.birthdays) == (1, 1, 1)
    assert report.ignored_columns == ["state"]
    with session():
        jane = customers.find(shop.id, "304169228")
        assert (jane.email, jane.first_name, jane.birthday) == ("jane@example.com", "Jane", date(1904, 5, 27))
        assert ledger.balances(jane) == {"regular": 120}
        entry = LedgerEntry.get(LedgerEntry.customer == jane.id)
        assert (entry.kind, entry.idempotency_key) == ("import", "import:304169228:regular")
        assert CustomerTier.get(CustomerTier.customer == jane.id).tier_id == "gold"
        assert referrals.code_for(jane).code == "9QR5PW"


def test_smile_own_id_is_not_taken_for_the_store_customer_id(shop, program, taken):
    with session():
        customers.ensure(shop.id, "shopify-1", {"email": "jane@example.com"})
    report = run(shop, SMILE)  # Smile's "id" is Smile's own: the row is matched by email
    assert report.ignored_columns == ["id", "state"]
    assert (report.customers_created, report.balances_granted) == (0, 1)
    with session():
        assert customers.find(shop.id, "304169228") is None
        assert ledger.balances(customers.find(shop.id, "shopify-1")) == {"regular": 120}


def test_yotpo_headers_match_existing_customers_by_email(shop, program):
    with session():
        customers.ensure(shop.id, "y1", {"email": "Ann@Example.com"})
    text = ("Full Name,Email,Points Balance,Points Spent,Birthday (MM/DD/YYYY)\n"
            "Ann Lee,ann@example.com,40,10,07/04/1985\n"
            "Nobody,nobody@example.com,5,0,\n")
    report = run(shop, text)
    assert [(r["line"], "nobody@example.com" in r["reason"]) for r in report.rejected] == [(3, True)]
    with session():
        ann = customers.find(shop.id, "y1")
        assert (ann.first_name, ann.last_name, ann.birthday) == ("Ann", "Lee", date(1985, 7, 4))
        assert ledger.balances(ann) == {"regular": 40}


def test_loyaltylion_merchant_id_and_approved_points(shop, program):
    text = "id,merchant_id,email,points_approved,points_pending,tier\n77,m-1,l@example.com,300,20,Золото\n"
    report = run(shop, text)
    assert report.ignored_columns == ["id", "points_pending"]
    with session():
        lion = customers.find(shop.id, "m-1")
        assert ledger.balances(lion) == {"regular": 300}
        assert CustomerTier.get(CustomerTier.customer == lion.id).tier_id == "gold"


def test_malformed_rows_are_rejected_with_line_numbers_and_the_rest_import(shop, program, taken):
    report = run(shop, MIXED)
    assert [r["line"] for r in report.rejected] == [3, 4, 5, 7, 8, 9, 11]
    reasons = {r["line"]: r["reason"] for r in report.rejected}
    assert "'abc'" in reasons[3] and "email" in reasons[4] and "line 2" in reasons[5]
    assert "future" in reasons[7] and "cells" in reasons[8] and "'-3'" in reasons[9]
    assert "13/45" in reasons[11]
    warnings = [(w["line"], w["message"].split(" ")[0]) for w in report.warnings]
    assert warnings == [(6, "tier"), (10, "referral")]
    assert (report.total, report.done, report.customers_created, report.points_granted) == (11, 11, 4, 1108)
    with session():
        assert customers.find(shop.id, "c4").birthday == date(1904, 2, 29)
        assert customers.find(shop.id, "c8").birthday == date(1980, 12, 31)
        assert customers.find(shop.id, "c2") is None


def test_dry_run_writes_nothing_and_reports_the_same(shop, program, taken):
    before = counts()
    dry = run(shop, MIXED, dry_run=True, batch_size=2)
    assert counts() == before
    real = run(shop, MIXED, batch_size=2)
    assert dry.as_dict() | {"dry_run": False} == real.as_dict()


def test_reimport_changes_nothing_and_a_changed_amount_is_a_warning(shop, program, taken):
    run(shop, MIXED)
    before = counts()
    again = run(shop, MIXED)
    assert counts() == before
    assert (again.customers_created, again.balances_granted, again.already_imported) == (0, 0, 3)
    assert (again.tiers_assigned, again.referral_codes, again.birthdays) == (0, 0, 0)
    changed = run(shop, MIXED.replace("c10,ten@example.com,Ten,1000", "c10,ten@example.com,Ten,1500"))
    assert counts() == before
    assert [w for w in changed.warnings if w["line"] == 13][0]["message"].startswith(
        "an opening balance of 1000 was imported before")


def test_progress_is_reported_after_every_batch(shop, program):
    text = "customer_id,points\n" + "".join(f"p{n},{n + 1}\n" for n in range(25)) + "bad id,1\n"
    seen = []
    run(shop, text, batch_size=10, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 26), (11, 26), (21, 26), (26, 26)]


def test_import_into_one_shop_leaves_another_alone(shop, program):
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
        versions.save(other.id, PROGRAM, author="test")
        theirs = customers.ensure(other.id, "c1", {"email": "one@example.com"})
    run(shop, MIXED)
    with session():
        assert ledger.balances(theirs) == {}
        assert Customer.get_by_id(theirs.id).first_name is None


def test_header_without_customer_columns_is_refused(shop, program):
    with session(), pytest.raises(Invalid, match="customer"):
        imports.import_csv(shop.id, "points,tier\n5,gold\n")


# --- over the API -------------------------------------------------------------------------------

def test_api_import_runs_with_progress_and_report(app, client, shop, program, drain):
    headers = {**admin_headers(app, shop), "Content-Type": "text/csv"}
    response = client.post("/api/v1/imports?filename=old.csv", data=MIXED.encode(), headers=headers)
    assert response.status_code == 202, response.get_json()
    run_id = response.get_json()["run"]["id"]
    drain()
    body = client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()["run"]
    assert (body["status"], body["done"], body["total"], body["filename"]) == ("done", 11, 11, "old.csv")
    assert [r["line"] for r in body["report"]["rejected"]] == [3, 4, 5, 7, 8, 9, 11]
    with session():
        assert ImportRun.get_by_id(run_id).body == ""  # the file is not kept once imported
        assert ledger.balances(customers.find(shop.id, "c10")) == {"regular": 1000}


def test_api_dry_run_and_bad_files(app, client, shop, program, drain):
    headers = {**admin_headers(app, shop), "Content-Type": "text/csv"}
    dry = client.post("/api/v1/imports?dry_run=true", data=MIXED.encode(), headers=headers)
    assert dry.status_code == 202
    drain()
    assert client.get(f"/api/v1/imports/{dry.get_json()['run']['id']}",
                      headers=headers).get_json()["run"]["report"]["customers_created"] == 4
    with session():
        assert Customer.select().count() == 0
    assert client.post("/api/v1/imports", data=b"tier\ngold\n", headers=headers).status_code == 422
    assert client.post("/api/v1/imports", data=b"", headers=headers).status_code == 422
    assert client.post("/api/v1/imports", data=b"\xff\xfe", headers=headers).status_code == 422
    assert client.post("/api/v1/imports?dry=1", data=MIXED.encode(), headers=headers).status_code == 422
    assert client.get("/api/v1/imports/999", headers=headers).status_code == 404


def test_exports_stream_the_shops_rows_and_read_back(app, client, shop, program):
    run(shop, MIXED)
    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
        versions.save(other.id, PROGRAM, author="test")
        ledger.grant(customers.ensure(other.id, "theirs"), 5, kind=EntryKind.EARN, source="x", rule={},
                     key="k1")
    response = client.get("/api/v1/export/customers.csv", headers=admin_headers(app, shop))
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["customer_id"]: r["points_balance"] for r in rows} == {
        "c1": "100", "c4": "0", "c8": "8", "c10": "1000"}
    assert {r["customer_id"]: r["tier"] for r in rows}["c1"] == "gold"
    ledger_rows = list(csv.DictReader(io.StringIO(client.get(
        "/api/v1/export/ledger.csv", headers=admin_headers(app, shop)).get_data(as_text=True))))
    assert sorted(r["customer_id"] for r in ledger_rows) == ["c1", "c10", "c8"]
    assert {r["kind"] for r in ledger_rows} == {"import"}
    report = run(other, response.get_data(as_text=True))  # the export is an import file
    assert (report.rejected, report.points_granted) == ([], 1108)


# --- the command line ---------------------------------------------------------------------------

def cli_env(app) -> dict:
    settings = app.extensions["loyalty"].settings
    return {"LOYALTY_DATABASE_URL": settings.database_url, "LOYALTY_REDIS_URL": settings.redis_url or "",
            "LOYALTY_SECRET_KEY": settings.secret_key, "SHOPIFY_API_KEY": "k", "SHOPIFY_API_SECRET": "s",
            "LOYALTY_PUBLIC_URL": "https://loyalty.example.test"}


def test_cli_import_shows_progress_summary_and_rejected_lines(app, shop, program, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(MIXED, encoding="utf-8")
    dry = CliRunner().invoke(main, ["import", str(path), "--shop", shop.domain, "--dry-run"],
                             env=cli_env(app))
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("would import 4 of 11 rows: 4 new customers")
    with session():
        assert Customer.select().count() == 0
    result = CliRunner().invoke(main, ["import", str(path), "--shop", str(shop.id)], env=cli_env(app))
    assert result.exit_code == 0, result.output
    assert "\r[" in result.stderr and "100% 11/11 rows" in result.stderr
    assert "rejected line 3: points balance 'abc'" in result.stdout
    missing = CliRunner().invoke(main, ["import", str(path), "--shop", "nowhere.example"], env=cli_env(app))
    assert (missing.exit_code, "no shop 'nowhere.example'" in missing.output) == (1, True)


def test_cli_export_writes_csv(app, shop, program):
    run(shop, MIXED)
    out = CliRunner().invoke(main, ["export", "ledger", "--shop", shop.domain], env=cli_env(app))
    assert out.exit_code == 0, out.output
    assert len(list(csv.DictReader(io.StringIO(out.stdout)))) == 3


def test_api_accepts_files_larger_than_json_bodies(app, client, shop, program, drain):
    notes = "x" * 120_000
    text = "customer_id,points,notes\n" + "".join(f"big{n},{n + 1},{notes}\n" for n in range(10))
    assert len(text) > app.config["MAX_CONTENT_LENGTH"]
    headers = {**admin_headers(app, shop), "Content-Type": "text/csv"}
    response = client.post("/api/v1/imports", data=text.encode(), headers=headers)
    assert response.status_code == 202, response.get_json()
    drain()
    run_id = response.get_json()["run"]["id"]
    report = client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()["run"]["report"]
    assert (report["balances_granted"], report["ignored_columns"]) == (10, ["notes"])
