"""`loyalty import FILE [--orders]` and `loyalty export customers|ledger`: a shop's data in and out as
CSV (customers and balances, or past orders for the economics simulator)."""

from __future__ import annotations

import sys

import click

from plugin.cli import context
from plugin.core import csvfile
from plugin.core.db import session
from plugin.core.errors import LoyaltyError
from plugin.core.models import Shop
from plugin.dataio import exports, imports, order_history

BAR_WIDTH = 30


def find_shop(value: str):
    """The shop by id, or by domain when only one shop has it."""
    value = value.strip()
    if value.isdigit():
        shop = Shop.get_or_none(Shop.id == int(value))
    else:
        found = list(Shop.select().where(Shop.domain == value.lower()).limit(2))
        if len(found) > 1:
            raise click.ClickException(f"several shops have the domain {value!r}: give the shop id")
        shop = found[0] if found else None
    if shop is None:
        raise click.ClickException(f"no shop {value!r} (see `loyalty shops list`)")
    return shop


def _bar(done: int, total: int) -> None:
    """A one-line progress bar on stderr, redrawn in place."""
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    percent = 100 * done // total if total else 100
    click.echo(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% {done}/{total} rows",
               err=True, nl=False)


def _summary(report) -> list[str]:
    verb = "would import" if report.dry_run else "imported"
    out = [f"{verb} {report.total - len(report.rejected)} of {report.total} rows: "
           f"{report.customers_created} new customers, {report.balances_granted} opening balances "
           f"({report.points_granted} points), {report.already_imported} balances imported before, "
           f"{report.tiers_assigned} tiers, {report.referral_codes} referral codes, "
           f"{report.birthdays} birthdays"]
    if report.ignored_columns:
        out.append(f"ignored columns: {', '.join(report.ignored_columns)}")
    out += [f"rejected line {r['line']}: {r['reason']}" for r in report.rejected]
    out += [f"warning line {w['line']}: {w['message']}" for w in report.warnings]
    return out


def _orders_summary(report: order_history.Report) -> list[str]:
    verb = "would import" if report.dry_run else "imported"
    out = [f"{verb} {report.total - len(report.rejected)} of {report.total} order lines: "
           f"{report.lines_added} new, {report.already_imported} imported before, {report.orders} orders, "
           f"{report.refunds} refund lines" + (f", {report.first_day} to {report.last_day}"
                                                if report.first_day else "")]
    if report.ignored_columns:
        out.append(f"ignored columns: {', '.join(report.ignored_columns)}")
    return out + [f"rejected line {r['line']}: {r['reason']}" for r in report.rejected]


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--shop", "shop_ref", required=True, help="The shop id or domain.")
@click.option("--orders", is_flag=True,
              help="The file holds past order lines (order_id, customer_id, placed_at, amount...) for "
                   "the economics simulator, not customers.")
@click.option("--dry-run", is_flag=True, help="Check and count everything, write nothing.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=1000, show_default=True,
              help="Rows per transaction.")
def import_command(file, shop_ref: str, orders: bool, dry_run: bool, batch_size: int) -> None:
    """Import customers and points balances from a CSV file (Smile.io, LoyaltyLion, Yotpo exports
    or our own), or with --orders a shop's past orders; rerunning it changes nothing."""
    context.app()
    reader = order_history.import_csv if orders else imports.import_csv
    extra = {} if orders else {"actor": "cli"}
    try:
        text = csvfile.decode(file.read())
        with session():
            shop = find_shop(shop_ref)
            report = reader(shop.id, text, dry_run=dry_run, progress=_bar, batch_size=batch_size, **extra)
    except LoyaltyError as exc:
        raise click.ClickException(exc.message) from None
    click.echo("", err=True)
    for line in (_orders_summary if orders else _summary)(report):
        click.echo(line)


@click.command("export")
@click.argument("what", type=click.Choice(["customers", "ledger"]))
@click.option("--shop", "shop_ref", required=True, help="The shop id or domain.")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default=None,
              help="Write here instead of stdout.")
def export_command(what: str, shop_ref: str, output) -> None:
    """Write the shop's customers or ledger as CSV, page by page."""
    context.app()
    with session():
        shop = find_shop(shop_ref)
        rows = exports.customers_csv(shop.id) if what == "customers" else exports.ledger_csv(shop.id)
        out = output or sys.stdout
        for chunk in rows:
            out.write(chunk)
