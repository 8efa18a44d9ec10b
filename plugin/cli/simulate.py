"""`loyalty simulate`: what a program document would have cost over a CSV of past orders.

No shop and no database: the program is validated by the program API's own schema and the orders
are replayed in memory (plugin.reports.economics), so an owner can try a draft before installing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import click
from marshmallow import ValidationError

from plugin.core.errors import Invalid
from plugin.core.memory import no_cycle_collection
from plugin.program.document.program import load
from plugin.reports.economics import history, scenario, simulate

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
COLUMNS = (("month", "month", 7), ("orders", "orders", 7), ("revenue", "revenue", 14),
           ("points_issued", "issued", 10), ("points_redeemed", "redeemed", 10),
           ("points_expired", "expired", 10), ("cost", "cost", 12),
           ("cost_share_of_margin", "of margin", 9),
           ("liability", "liability", 12), ("deferred_revenue", "deferred", 12))


def _program(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: not a JSON program document ({exc})") from None
    try:
        return load(document.get("program", document) if isinstance(document, dict) else document)
    except ValidationError as exc:
        raise click.ClickException(f"{path}: the program is not valid: {json.dumps(exc.messages)}") from None


def _orders(path: Path) -> list[history.PastOrder]:
    try:
        reading = history.read_csv(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read UTF-8 text ({exc})") from None
    except Invalid as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    for rejected in reading.rejected[:20]:
        click.echo(f"{path}: line {rejected['line']}: {rejected['reason']} (skipped)", err=True)
    if len(reading.rejected) > 20:
        click.echo(f"{path}: {len(reading.rejected) - 20} more lines skipped", err=True)
    return history.orders_of(reading.lines)


def _margins(given: tuple[str, ...]) -> dict[str, Decimal]:
    out = {}
    for item in given:
        name, _, percent = item.rpartition("=")
        try:
            value = Decimal(percent.strip())
        except ArithmeticError:
            value = Decimal(-1)
        if not name.strip() or not 0 <= value < 100:
            raise click.BadParameter(f"{item!r}: CATEGORY=PERCENT, a percent from 0 to 99.99",
                                     param_hint="--category-margin")
        out[name.strip()] = value / 100
    return out


def _cell(key: str, value, width: int) -> str:
    if value is None:
        return "-".rjust(width)
    if key.startswith("cost_share"):
        return f"{Decimal(value) * 100:.1f}%".rjust(width)
    return str(value).rjust(width)


def table(result: dict) -> list[str]:
    """The monthly figures as fixed-width text, the totals last, then the rules' shares."""
    rows = [" ".join(title.rjust(width) for _, title, width in COLUMNS)]
    for month in [*result["months"], {**result["totals"], "month": "total"}]:
        rows.append(" ".join(_cell(key, month.get(key), width) for key, _, width in COLUMNS))
    rows.append("")
    rows += [f"{rule['rule']}{':' + rule['name'] if rule['name'] else ''}: {rule['points']} points"
             f" ({Decimal(rule['share']) * 100:.1f}%)" for rule in result["rules"] if rule["share"]]
    return rows


@click.command("simulate")
@click.option("--program", "program_path", required=True, type=FILE,
              help="a program document (JSON, as the program API takes it)")
@click.option("--orders", "orders_path", required=True, type=FILE,
              help="past order lines: order_id, customer_id, placed_at, amount[, sku, category, quantity]")
@click.option("--compare", "compare_path", type=FILE,
              help="another program document: its figures minus the first one's are printed too")
@click.option("--margin", type=click.FloatRange(0, 99.99), default=None,
              help="gross margin, percent of the sale price [default: 30]")
@click.option("--markup", type=click.FloatRange(0, 10000), default=None,
              help="or a markup on cost, percent (30: cost 100, price 130)")
@click.option("--category-margin", "category_margins", multiple=True, metavar="CATEGORY=PERCENT",
              help="the margin of one category (the program's or the file's), percent; repeatable")
@click.option("--redemption-rate", type=click.FloatRange(0, 100), default=60.0, show_default=True,
              help="percent of issued points redeemed in the end")
@click.option("--months-to-redeem", type=click.IntRange(0, 60), default=3, show_default=True)
@click.option("--uplift", type=click.FloatRange(0, 100), default=0.0, show_default=True,
              help="extra repeat purchases, percent (a scenario to try, not a prediction)")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="the same figures as JSON")
def simulate_command(program_path: Path, orders_path: Path, compare_path: Path | None,
                     margin: float | None, markup: float | None, category_margins: tuple[str, ...],
                     redemption_rate: float,
                     months_to_redeem: int, uplift: float, start, end, as_json: bool) -> None:
    """Replay past orders through a program (not published anywhere) and print its monthly cost."""
    if margin is not None and markup is not None:
        raise click.UsageError("give --margin or --markup, not both")
    share = (scenario.margin_from_markup(Decimal(str(markup))) if markup is not None
             else Decimal(str(margin if margin is not None else 30)) / 100)
    chosen = scenario.Scenario(redemption_rate=Decimal(str(redemption_rate)) / 100,
                               months_to_redeem=months_to_redeem, uplift=Decimal(str(uplift)) / 100,
                               margin=share, margins=_margins(category_margins))
    period = {"start": start.date() if start else None, "end": end.date() if end else None}
    # A short process: collecting cycles over a year of orders (there are none) would cost seconds.
    with no_cycle_collection():
        click.echo(_report(program_path, orders_path, compare_path, chosen, period, as_json))


def _report(program_path: Path, orders_path: Path, compare_path: Path | None, chosen: scenario.Scenario,
            period: dict, as_json: bool) -> str:
    orders = _orders(orders_path)
    result = simulate.simulate(_program(program_path), orders, chosen, **period).as_dict()
    other = (simulate.simulate(_program(compare_path), orders, chosen, **period).as_dict()
             if compare_path else None)
    if as_json:
        if other:
            result = {**result, "compared": other, "difference": simulate.compare(result, other)}
        return json.dumps(result, ensure_ascii=False, indent=2)
    out = table(result)
    if other:
        difference = simulate.compare(result, other)["totals"]
        out += [f"\n{compare_path}:", *table(other), "", "difference (second minus first): " + ", ".join(
            f"{key} {difference[key]}" for key in ("points_issued", "points_redeemed", "cost", "liability"))]
    return "\n".join(out)
