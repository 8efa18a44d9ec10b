"""`loyalty shops`: register a shop by hand and print everything its store needs to connect.

What a store needs is the same on every platform, so it is built from the registries, never from a
list of names: the addresses of every topic it sends (webhooks.topics.INBOUND), the secret it signs
them with in the form its platform writes it, and the widget secret when its own backend signs the
shoppers' tokens (plugin.platforms.registry).
"""

from __future__ import annotations

import json

import click

from plugin.cli import context
from plugin.config import Settings
from plugin.core.crypto import Vault
from plugin.core.db import session
from plugin.core.models import Shop
from plugin.customers import shops as shop_module
from plugin.platforms import registry
from webhooks.contract import Address
from webhooks.topics import INBOUND
from widgets import identity


def connection(shop: Shop, settings: Settings, vault: Vault) -> dict:
    """What the store's developer configures: the API key, each topic's URL, the signing secrets."""
    inbound = INBOUND.get(shop.platform)
    out = {"shop_id": shop.id, "platform": shop.platform, "domain": shop.domain,
           "currency": shop.currency, "api_key": vault.api_key(shop.id, shop.key_version),
           "webhooks": inbound.addresses(Address.of(shop, settings.public_url, vault)) if inbound else {}}
    if inbound and inbound.secret and shop.own_webhook_secret:
        out["webhook_secret"] = inbound.secret(vault.webhook_secret(shop.id))
    if registry.of(shop).store_signs_tokens:
        out["widget_secret"] = identity.widget_secret(vault, shop)
    return out


@click.group()
def shops() -> None:
    """Register and list shops."""


@shops.command("add")
@click.option("--platform", type=click.Choice(sorted(registry.PLATFORMS)), required=True)
@click.option("--domain", required=True)
@click.option("--app-signed", is_flag=True,
              help="Webhooks are signed with the Shopify app secret (as after OAuth), "
                   "not with a secret of the shop's own.")
@click.option("--currency", default=None,
              help="The shop's currency (ISO 4217: RUB, EUR, USD...): its orders, point values and "
                   "reports are in it. Required for a new shop; a shop that has one keeps it.")
def shops_add(platform: str, domain: str, app_signed: bool, currency: str | None) -> None:
    """Register a shop without OAuth; prints as JSON its id, API key, webhook addresses and secrets.
    Idempotent."""
    app = context.app()
    runtime = app.extensions["loyalty"]
    try:
        code = shop_module.normalise_currency(currency) if currency is not None else None
        with session():
            if code is None and shop_module.by_domain(
                    platform, shop_module.normalise_domain(platform, domain)) is None:
                # No default: a shop in roubles shown in dollars is worse than a question.
                raise click.UsageError("--currency is required for a new shop: the currency its "
                                       "prices and orders are in, e.g. --currency RUB")
            shop, created = shop_module.register(platform, domain, own_webhook_secret=not app_signed)
            if code is not None:
                shop_module.set_currency(shop, code)
    except shop_module.ShopError as exc:
        raise click.ClickException(str(exc)) from None
    out = connection(shop, runtime.settings, runtime.vault)
    click.echo(json.dumps({**out, "created": created}, indent=2))


@shops.command("list")
def shops_list() -> None:
    """List registered shops as JSON lines."""
    context.app()
    with session():
        for shop in Shop.select().order_by(Shop.id):
            click.echo(json.dumps({"shop_id": shop.id, "platform": shop.platform,
                                   "domain": shop.domain, "currency": shop.currency,
                                   "active": shop.active}))
