"""`loyalty simulate`: a program document and a CSV of past orders in, the monthly table or JSON
out, with no shop and no database at all."""

from __future__ import annotations

import json

from click.testing import CliRunner

from plugin.cli.main import main

DRAFT = {"point_types": {"regular": {"expiry": {"kind": "never"}}},
         "earning": {"rate": {"kind": "bands", "bands": [{"from": 0, "to": 1000, "points": 10},
                                                         {"from": 1000, "points": 50}]}},
         "redemption": {"point_value": "1"}}
ORDERS = ("order_id,customer_id,placed_at,amount\n"
          "1,a,2025-01-05,500\n2,b,2025-01-09,1500\n3,a,2025-02-02,1300\n4,c,2025-02-03,oops\n")


def run(tmp_path, *args: str, program: dict = DRAFT):
    (tmp_path / "draft.json").write_text(json.dumps(program))
    (tmp_path / "orders.csv").write_text(ORDERS)
    return CliRunner().invoke(main, ["simulate", "--program", str(tmp_path / "draft.json"),
                                     "--orders", str(tmp_path / "orders.csv"), *args])


def test_json_has_every_month_and_the_totals(tmp_path):
    result = run(tmp_path, "--json", "--margin", "20", "--redemption-rate", "100", "--months-to-redeem", "0")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert [m["month"] for m in figures["months"]] == ["2025-01", "2025-02"]
    january, february = figures["months"]
    assert (january["points_issued"], january["points_redeemed"], january["cost"]) == (60, 60, "60.00")
    assert february["points_issued"] == 50 and february["revenue"] == "1300.00"
    for key in ("points_issued", "points_redeemed", "points_expired", "cost", "liability", "revenue"):
        assert key in january and key in figures["totals"]
    assert figures["totals"]["gross_margin"] == "660.00"  # 20% of 3,300
    assert "line 5: amount 'oops' is not a number" in result.stderr


def test_the_table_and_a_comparison_with_another_draft(tmp_path):
    richer = json.loads(json.dumps(DRAFT))
    richer["earning"]["rate"] = {"kind": "percent", "percent": "10"}
    (tmp_path / "richer.json").write_text(json.dumps(richer))
    result = run(tmp_path, "--markup", "30", "--compare", str(tmp_path / "richer.json"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["month", "orders", "revenue"]
    assert lines[1].split()[:4] == ["2025-01", "2", "2000.00", "60"]
    assert "difference (second minus first): points_issued 220" in result.stdout  # 330 - 110


def test_an_invalid_program_is_refused_naming_the_field(tmp_path):
    result = run(tmp_path, program={"earning": {"rate": {"kind": "percent"}}})
    assert result.exit_code != 0 and "percent" in result.output and "not valid" in result.output
    both = run(tmp_path, "--margin", "30", "--markup", "30")
    assert both.exit_code == 2 and "--margin or --markup" in both.output


def test_a_margin_per_category(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,placed_at,amount,category\n"
                                         "1,a,2025-01-05,1000,Обувь\n1,a,2025-01-05,1000,Сумки\n")
    (tmp_path / "draft.json").write_text(json.dumps(DRAFT))
    args = ["simulate", "--program", str(tmp_path / "draft.json"), "--orders", str(tmp_path / "orders.csv"),
            "--json", "--margin", "10"]
    result = CliRunner().invoke(main, [*args, "--category-margin", "Обувь=40"])
    assert json.loads(result.stdout)["totals"]["gross_margin"] == "500.00"  # 400 + 100
    bad = CliRunner().invoke(main, [*args, "--category-margin", "Обувь=140"])
    assert bad.exit_code == 2 and "CATEGORY=PERCENT" in bad.output
