"""Applying Shopify's privacy webhooks: a data export, a customer redaction, a shop wipe. No HTTP.

Each runs inside the apply job, in the event's savepoint, and leaves one PrivacyRequest row
(what was asked, what was done, rows touched per table) for the owner to read over the admin API.
Applying is once per event (the inbox dedups deliveries; a data request also by its id), and a
redaction sent again finds nothing left to remove: re-delivery changes no data.
"""

from __future__ import annotations

import peewee

from plugin import customers
from plugin.core import clock
from plugin.core.models import ALL_MODELS, Event, Order, PrivacyRequest, Shop
from plugin.core.status import EventStatus, PrivacyStatus
from plugin.privacy.export import build
from plugin.privacy.redact import redact_customer, redact_events, redact_history, redact_orders, token

DATA_REQUEST, CUSTOMER_REDACT, SHOP_REDACT = "customers/data_request", "customers/redact", "shop/redact"


def data_request(event: Event) -> str:
    """Build the customer's data as JSON and keep it on the request for the owner."""
    if _done(event):
        return EventStatus.APPLIED
    asked = event.payload["customer"]
    shop = Shop.get_by_id(event.shop_id)
    customer = customers.find(shop.id, asked["id"])
    export = build(shop, customer, event.payload)
    counts = {table: len(rows) for table, rows in export["records"].items()}
    _log(event, DATA_REQUEST, asked, PrivacyStatus.COMPLETED, counts, email=asked.get("email"), export=export)
    return EventStatus.APPLIED


def customer_redact(event: Event) -> str:
    """Remove the customer's personal data (and that of the orders named); keep its points."""
    if _done(event):
        return EventStatus.APPLIED
    asked, order_ids = event.payload["customer"], list(event.payload["orders"])
    customer = customers.find(event.shop_id, asked["id"])
    new_id = token() if customer is not None else None
    counts: dict[str, int] = {}
    emails = {e.strip().lower() for e in (asked.get("email"), customer and customer.email) if e}
    if customer is not None:
        order_ids += [oid for (oid,) in Order.select(Order.platform_id).where(
            Order.customer == customer.id).tuples()]
        counts |= redact_customer(customer, new_id)
    counts["orders"] = redact_orders(event.shop_id, customer, order_ids, new_id)
    counts["events"] = redact_events(event.shop_id, asked["id"], emails, set(order_ids), new_id)
    counts["past_order_lines"] = redact_history(event.shop_id, asked["id"], emails, new_id or token())
    counts["earlier_data_requests"] = (
        PrivacyRequest.update(email=None, export=None)
        .where((PrivacyRequest.shop == event.shop_id) & (PrivacyRequest.topic == DATA_REQUEST)
               & (PrivacyRequest.customer_platform_id == asked["id"])
               & (PrivacyRequest.export.is_null(False) | PrivacyRequest.email.is_null(False)))
        .execute())
    _log(event, CUSTOMER_REDACT, asked, PrivacyStatus.COMPLETED, counts)
    return EventStatus.APPLIED


def shop_redact(event: Event) -> str:
    """Remove every row of an uninstalled shop but its shop/redact requests and a tombstone.

    The tombstone (the shop row: platform and domain, no name, no tokens, a new key version
    so no old API key works again) keeps re-deliveries recognised and lets the store reinstall
    as a fresh shop. A shop that is installed again was reinstalled after the uninstall this
    request was sent for: nothing is removed, and the request says why.
    """
    if _done(event):
        return EventStatus.APPLIED
    shop = Shop.get_by_id(event.shop_id)
    if shop.active:
        _log(event, SHOP_REDACT, None, PrivacyStatus.SKIPPED, {
            "reason": f"the shop is installed (since {shop.installed_at.isoformat()}); "
                      "shop/redact is only sent 48 hours after an uninstall"})
        return EventStatus.APPLIED
    counts = wipe(shop.id)
    Shop.update(name="", access_token=None, token_expires_at=None, refresh_token=None,
                refresh_token_expires_at=None, scopes="", key_version=Shop.key_version + 1).where(
        Shop.id == shop.id).execute()
    _log(event, SHOP_REDACT, None, PrivacyStatus.COMPLETED, counts)
    return EventStatus.APPLIED


def wipe(shop_id: int) -> dict[str, int]:
    """Delete the shop's rows table by table, dependents first (no reliance on cascades)."""
    counts = {}
    for model in reversed(peewee.sort_models(ALL_MODELS)):
        if model is Shop or "shop" not in model._meta.fields:
            continue
        where = model.shop == shop_id
        if model is PrivacyRequest:
            where &= PrivacyRequest.topic != SHOP_REDACT
        elif model is Event:
            where &= Event.topic != SHOP_REDACT
        counts[model._meta.table_name] = model.delete().where(where).execute()
    return counts


def _done(event: Event) -> bool:
    return PrivacyRequest.select().where(PrivacyRequest.event == event.id).exists()


def _log(event: Event, topic: str, customer: dict | None, status: str, log: dict, *,
         email: str | None = None, export: dict | None = None) -> None:
    PrivacyRequest.create(
        shop=event.shop_id, event=event.id, topic=topic, status=status,
        customer_platform_id=customer["id"] if customer else None, email=email,
        requested_at=event.received_at, completed_at=clock.now(), export=export, log=log)
