"""`loyalty codes`: generate a batch of activation codes and export it as CSV."""

from __future__ import annotations

import json
import sys

import click

from plugin.cli import context
from plugin.core.db import session
from plugin.core.errors import LoyaltyError
from plugin.core.models import Shop
from plugin.earn import codes as codes_module


def _shop(shop_id: int):
    shop = Shop.get_or_none(Shop.id == shop_id)
    if shop is None:
        raise click.ClickException(f"no shop {shop_id}")
    return shop


def _failed(exc) -> click.ClickException:
    details = "".join(f"\n  {name}: {'; '.join(messages)}" for name, messages in (exc.fields or {}).items())
    return click.ClickException(exc.message + details)


@click.group("codes")
def codes() -> None:
    """Activation codes: single-use codes worth points (partner cards, carried-over cards)."""


@codes.command("generate")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop id (see `loyalty shops list`).")
@click.option("--count", type=click.IntRange(1, 100_000), required=True, help="How many codes.")
@click.option("--points", type=click.IntRange(1), required=True, help="Points each code grants.")
@click.option("--point-type", default=None, help="Point type (default: the program's earning type).")
@click.option("--batch", default=None, help="Batch name (default: date and random suffix).")
@click.option("--prefix", default=None, help="Letters or digits every code starts with.")
def generate(shop_id: int, count: int, points: int, point_type: str | None, batch: str | None,
             prefix: str | None) -> None:
    """Create a batch of unique random codes; prints the batch as JSON. Rerunning a named batch
    with the same values changes nothing."""
    context.app()
    try:
        with session():
            made = codes_module.generate(_shop(shop_id).id, count, points, point_type, batch, prefix)
    except LoyaltyError as exc:
        raise _failed(exc) from None
    click.echo(json.dumps({**made.as_dict(), "created": made.created}, indent=2))


@codes.command("export")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop id.")
@click.option("--batch", required=True, help="The batch name.")
def export(shop_id: int, batch: str) -> None:
    """Write a batch as CSV to stdout: code, points, point_type, redeemed_at, redeemed_by."""
    context.app()
    try:
        with session():
            codes_module.write_csv(_shop(shop_id).id, batch, sys.stdout)
    except LoyaltyError as exc:
        raise _failed(exc) from None
