"""Removing one customer's personal data while every point stays where it was. No HTTP.

What goes: the profile (email, names, birthday), the leaderboard name, the referral code,
unsent notices, the personal fields inside stored orders and inbox events (contact
details, addresses, IP and address fingerprints, notes), and the customer's id or email on
imported past order lines. What stays: balances, lots and
ledger entries with their amounts, so ``loyalty audit`` and the shop's liability do not move.

The customer row is kept with ``redacted_at`` and its platform id replaced by a random token,
and every key that embedded the old id (``signup:<id>``, ``review:<id>:...``, the inbox's
``customer.created:<id>``) is re-keyed to the token: nothing links back to the shopper, and a
later account with the same platform id starts fresh, sign-up bonus included.
"""

from __future__ import annotations

import json
import operator
import secrets
from decimal import Decimal
from functools import reduce

from peewee import Case, Value

from plugin.core import clock
from plugin.core.kinds import DeliveryChannel, EventKind
from plugin.core.models import (
    Customer,
    Delivery,
    Event,
    Hold,
    LeaderboardEntry,
    LedgerEntry,
    Lot,
    Notice,
    Order,
    OutboxMessage,
    PastOrderLine,
    ReferralCode,
    Suppression,
)
from plugin.core.status import DeliveryStatus
from plugin.privacy.export import orders_of, past_lines

PREFIX = "redacted:"
CUSTOMER_GID = "gid://shopify/Customer/"
#: Keys whose whole value is personal wherever they appear in a stored body: contact details,
#: fingerprints, notes, addresses, devices, the reviewer, free-form attributes.
PERSONAL = frozenset({
    "email", "contact_email", "phone", "first_name", "last_name", "browser_ip", "note",
    "landing_site", "landing_site_ref", "referring_site", "order_status_url", "customer_locale",
    "ip_hash", "address_hash", "billing_address", "shipping_address", "default_address",
    "addresses", "client_details", "payment_details", "note_attributes", "reviewer",
})


def token() -> str:
    """The anonymous platform id a redacted customer keeps (fits Customer.platform_id)."""
    return PREFIX + secrets.token_hex(12)


def scrub(value, new_id: str | None):
    """A copy of a JSON value with personal fields emptied and every ``customer`` object reduced
    to its (anonymous) id; amounts, lines and order ids are kept."""
    if isinstance(value, list):
        return [scrub(item, new_id) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in PERSONAL:
            out[key] = None
        elif key == "customer" and isinstance(item, dict):
            out[key] = {"id": new_id or _anonymous(item.get("id"))}
        elif key == "customer_id" and item is not None:
            out[key] = new_id or _anonymous(item)
        elif key == "admin_graphql_api_id" and str(item).startswith(CUSTOMER_GID):
            out[key] = None
        else:
            out[key] = scrub(item, new_id)
    return out


def _anonymous(value) -> str | None:
    """An id that is already a redaction token stays (redacting twice changes nothing)."""
    return value if isinstance(value, str) and value.startswith(PREFIX) else None


def rekey(text: str, old: str, new: str) -> str:
    """Replace the ``:``-separated segments equal to the old platform id (never a substring)."""
    return ":".join(new if part == old else part for part in text.split(":"))


def redact_customer(customer: Customer, new_id: str) -> dict[str, int]:
    """The customer's own rows; returns the rows touched per table."""
    old = customer.platform_id
    counts = {"customer": Customer.update(
        platform_id=new_id, email=None, first_name=None, last_name=None, birthday=None,
        birthday_set_at=None, phone=None, locale=None, time_zone=None, marketing_consent_at=None,
        marketing_consent_source=None, redacted_at=clock.now()).where(Customer.id == customer.id).execute()}
    counts.update(redact_messages(customer, old, new_id))
    counts["leaderboard_entry"] = LeaderboardEntry.delete().where(
        LeaderboardEntry.customer == customer.id).execute()
    counts["referral_code"] = ReferralCode.delete().where(ReferralCode.customer == customer.id).execute()
    counts["notice"] = Notice.delete().where(
        (Notice.customer == customer.id) & Notice.sent_at.is_null()).execute()
    counts["ledger_entry_keys"] = _rekey_rows(LedgerEntry.idempotency_key, customer, old, new_id)
    counts["lot_keys"] = 0
    for lot in Lot.select(Lot.id, Lot.key, Lot.source).where(Lot.customer == customer.id):
        key, source = rekey(lot.key, old, new_id), rekey(lot.source, old, new_id)
        if (key, source) != (lot.key, lot.source):
            counts["lot_keys"] += Lot.update(key=key, source=source).where(Lot.id == lot.id).execute()
    # widget redemptions: widget:<platform id>:<key>
    counts["hold_keys"] = _rekey_rows(Hold.idempotency_key, customer, old, new_id)
    counts["lot_rules"] = 0  # points this customer gave away name them as the sender
    for lot in Lot.select(Lot.id, Lot.rule).where(
            (Lot.shop == customer.shop_id) & Lot.source.startswith(f"transfer:{customer.id}:")):
        if (lot.rule or {}).get("transfer", {}).get("from") == old:
            rule = {**lot.rule, "transfer": {**lot.rule["transfer"], "from": new_id}}
            counts["lot_rules"] += Lot.update(rule=rule).where(Lot.id == lot.id).execute()
    return counts


def redact_messages(customer: Customer, old: str, new_id: str) -> dict[str, int]:
    """What was sent to the customer keeps its status but not their address; what was still to be
    sent is not sent; the addresses suppressed for them go (nothing is sent to them any more)."""
    addresses = [a for a in ((customer.email or "").lower(), customer.phone) if a]
    counts = {"suppression": Suppression.delete().where(
        (Suppression.shop == customer.shop_id) & Suppression.address.in_(addresses)).execute()}
    counts["delivery"] = Delivery.update(
        target=Value(PREFIX).concat(Delivery.id), status=Case(
            None, [(Delivery.status == DeliveryStatus.PENDING, DeliveryStatus.SUPPRESSED)], Delivery.status),
    ).where((Delivery.customer == customer.id) & (Delivery.channel != DeliveryChannel.WEBHOOK)).execute()
    counts["outbox_message_keys"] = _rekey_rows(OutboxMessage.key, customer, old, new_id)
    return counts


def _rekey_rows(column, customer: Customer, old: str, new_id: str) -> int:
    """Re-key a text column of the customer's rows where it names the old platform id."""
    model, touched = column.model, 0
    for row_id, value in model.select(model.id, column).where(model.customer == customer.id).tuples():
        if (key := rekey(value, old, new_id)) != value:
            touched += model.update({column: key}).where(model.id == row_id).execute()
    return touched


def redact_orders(shop_id: int, customer: Customer | None, order_ids: list[str],
                  new_id: str | None) -> int:
    """The personal fields of the customer's recorded orders and of the orders named."""
    touched = 0
    for order in orders_of(shop_id, customer, order_ids):
        if (scrubbed := scrub(order.order, new_id)) != order.order:
            touched += Order.update(order=scrubbed).where(Order.id == order.id).execute()
    return touched


def redact_history(shop_id: int, old_id: str, emails: set[str], new_id: str) -> int:
    """Imported past order lines naming the customer now name the token: the history still counts
    as one customer's for the simulator, and names nobody."""
    ids = [row.id for row in past_lines(shop_id, old_id, emails)]
    return PastOrderLine.update(customer_id=new_id).where(PastOrderLine.id.in_(ids)).execute() if ids else 0


def redact_events(shop_id: int, old_id: str, emails: set[str], order_ids: set[str],
                  new_id: str | None) -> int:
    """Inbox events about the customer: its orders (and their refunds and cancellations), its
    sign-up, its reviews, its privacy requests, anything carrying its email. Raw bodies are
    rewritten scrubbed (they no longer match their signature, which was checked on arrival)."""
    keys = {f"{EventKind.ORDER_PAID}:{oid}" for oid in order_ids} | {f"{EventKind.CUSTOMER_CREATED}:{old_id}"}
    near = [Event.business_key.in_(list(keys)), Event.raw_body.contains(old_id),
            *(Event.raw_body.contains(email) for email in emails)]
    if order_ids:
        near.append(Event.subject.in_(list(order_ids)))
    touched = 0
    for event in Event.select().where((Event.shop == shop_id) & reduce(operator.or_, near)):
        try:
            body = json.loads(event.raw_body, parse_float=Decimal)
        except (ValueError, RecursionError):  # an invalid delivery that is not JSON: the text goes
            touched += Event.update(raw_body="", payload=None).where(Event.id == event.id).execute()
            continue
        if not (event.business_key in keys or event.subject in order_ids
                or _mentions(body, old_id, emails, order_ids)):
            continue
        if event.topic.startswith("customers/") and str(body.get("id")) == old_id:
            body["id"] = new_id  # a customer's own body (customers/create)
        scrubbed = scrub(body, new_id)
        if scrubbed == body and scrub(event.payload, new_id) == event.payload:
            continue  # already redacted
        touched += Event.update(
            raw_body=json.dumps(scrubbed, default=str), payload=scrub(event.payload, new_id),
            business_key=event.business_key and rekey(event.business_key, old_id, new_id or old_id),
        ).where(Event.id == event.id).execute()
    return touched


def _mentions(value, old_id: str, emails: set[str], order_ids: set[str], key: str | None = None) -> bool:
    """Whether a body names the customer (its id as a customer, its email) or one of its orders."""
    if isinstance(value, dict):
        if key in ("customer", "reviewer") and str(value.get("id") or value.get("external_id")) == old_id:
            return True
        if key is None and str(value.get("id")) in order_ids:  # an order's own body (cancellation)
            return True
        return any(_mentions(item, old_id, emails, order_ids, k) for k, item in value.items())
    if isinstance(value, list):
        return any(_mentions(item, old_id, emails, order_ids, key) for item in value)
    if key == "customer_id" and value is not None:
        return str(value) == old_id
    if key == "order_id" and value is not None:
        return str(value) in order_ids
    return isinstance(value, str) and value.strip().lower() in emails
