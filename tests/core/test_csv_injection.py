"""Every CSV the plugin writes keeps formula text from running in a spreadsheet (CSV injection),
and keeps numbers, negative ones included, as numbers."""

from __future__ import annotations

import copy
import csv
import io
from datetime import UTC, datetime

import pytest

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.earn import codes
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import admin_headers

EVIL = '=HYPERLINK("http://e.vil/x")'  # 28 characters: a valid point type name
NOW = datetime(2026, 5, 4, 12, 0)
DAY = "from=2026-05-04&to=2026-05-04"


@pytest.fixture
def evil_shop(app, shop):
    """A shop whose point type, tier title and customer name are formulas, with a spend of -20."""
    clock.set_source(lambda: NOW.replace(tzinfo=UTC))
    program = copy.deepcopy(DEFAULT)
    program["point_types"][EVIL] = {"expiry": {"kind": "never"}}
    program["tiers"] = {"metric": "orders", "tiers": [{"id": "base", "title": {"en": "@SUM(1+1)"},
                                                        "threshold": "0"}]}
    with session():
        versions.save(shop.id, program, author="test")
        customer = customers.ensure(shop.id, "c1", {"first_name": "+cmd|' /C calc'!A0"})
        ledger.grant(customer, 50, kind=EntryKind.BONUS, source="test", rule={}, key="g1", point_type=EVIL)
        ledger.spend(customer, EVIL, 20, key="s1", reason="-2+3")
        codes.generate(shop.id, 2, 10, point_type=EVIL, batch="spring")
    return shop


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "@", "\t", "\r"), cell
            assert cell[:1] != "-" or cell.lstrip("-").replace(".", "", 1).isdigit(), cell


@pytest.mark.parametrize("path", [
    "/api/v1/export/ledger.csv", "/api/v1/export/customers.csv", "/api/v1/activation-codes/spring.csv",
    f"/api/v1/analytics/point_types.csv?{DAY}", f"/api/v1/analytics/tiers.csv?{DAY}",
    f"/api/v1/analytics/daily.csv?{DAY}"])
def test_no_export_holds_a_cell_a_spreadsheet_would_run(app, client, evil_shop, path):
    assert_no_formula(rows_of(client.get(path, headers=admin_headers(app, evil_shop))))


def test_ledger_export_escapes_the_point_type_and_keeps_a_negative_delta_a_number(app, client, evil_shop):
    rows = rows_of(client.get("/api/v1/export/ledger.csv", headers=admin_headers(app, evil_shop)))
    header, entries = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[3:5] == ["point_type", "delta"]
    assert [(e["point_type"], e["delta"], e["reason"]) for e in entries] == [
        ("'" + EVIL, "50", ""), ("'" + EVIL, "-20", "'-2+3")]


def test_activation_code_export_escapes_the_point_type(app, client, evil_shop):
    rows = rows_of(client.get("/api/v1/activation-codes/spring.csv", headers=admin_headers(app, evil_shop)))
    assert [(row[1], row[2]) for row in rows[1:]] == [("10", "'" + EVIL)] * 2


def test_analytics_exports_escape_point_types_and_tier_titles(app, client, evil_shop):
    headers = admin_headers(app, evil_shop)
    by_type = rows_of(client.get(f"/api/v1/analytics/point_types.csv?{DAY}", headers=headers))
    assert [row[1:4] for row in by_type[1:]] == [["'" + EVIL, "50", "20"]]
    tiers = rows_of(client.get(f"/api/v1/analytics/tiers.csv?{DAY}", headers=headers))
    assert tiers[1] == ["base", "'@SUM(1+1)", "0"]


def test_customer_export_escapes_names(app, client, evil_shop):
    rows = rows_of(client.get("/api/v1/export/customers.csv", headers=admin_headers(app, evil_shop)))
    assert rows[1][:4] == ["c1", "", "'+cmd|' /C calc'!A0", ""]


def test_dashboard_downloads_are_the_same_escaped_files(app, client, evil_shop):
    from tests.dashboard.test_dashboard import sign_in

    sign_in(app, client, evil_shop)
    for path in ("/admin/export/ledger.csv", "/admin/codes/spring.csv",
                 f"/admin/analytics/point_types.csv?{DAY}"):
        rows = rows_of(client.get(path))
        assert_no_formula(rows)
        assert any(cell == "'" + EVIL for row in rows for cell in row)


