"""Customers: search by email, name or platform id; one customer's balance explained line by line."""

from __future__ import annotations

from flask import g, render_template, request

from plugin import customers, ledger, tiers
from plugin.core.models import Customer, Event, Lot
from plugin.dashboard import bp
from plugin.dashboard.paging import PAGE_SIZE, cursor, split
from plugin.earn import referrals
from plugin.program import versions


@bp.get("/customers", endpoint="customers")
def customers_list():
    text = (request.args.get("q") or "").strip()[:200]
    page, next_before = split(customers.search(g.shop.id, text, cursor(request.args.get("before")),
                                               PAGE_SIZE + 1), PAGE_SIZE)
    ids = [c.id for c in page]
    return render_template("dashboard/customers.html", section="customers", q=text, customers=page,
                           totals=customers.balance_totals(g.shop.id, ids),
                           tiers=customers.tiers_held(g.shop.id, ids),
                           next_before=next_before)


def rule_text(lot: Lot | None) -> str:
    """The rule behind a lot, from its snapshot: per-line rate and amount, then the notes."""
    if lot is None or not lot.rule:
        return ""
    earned = lot.rule.get("earned")
    if isinstance(earned, dict):
        currency = lot.rule.get("currency", "")
        parts = [f"{line['rule']} · {line['amount']} {currency}".strip()
                 for line in earned.get("lines", []) if line.get("rule") and not line.get("excluded")]
        return "; ".join(parts + [str(note) for note in earned.get("notes", [])])
    return ", ".join(f"{key}: {value}" for key, value in lot.rule.items()
                     if not isinstance(value, dict | list))


@bp.get("/customers/<platform_id>")
def customer(platform_id: str):
    return customer_page(find(platform_id))


def find(platform_id: str) -> Customer:
    """The signed-in shop's customer, or 404 (another shop's customer is not found either)."""
    return customers.require(g.shop.id, platform_id)


def customer_page(found: Customer, **extra) -> str:
    """The customer page; ``extra`` reaches the template (the adjustment form's values and errors)."""
    shop_id = g.shop.id
    before = cursor(request.args.get("before"))
    page, next_before = split(ledger.entries(found, before=before, limit=PAGE_SIZE + 1), PAGE_SIZE)
    lot_ids = {e.lot_id for e in page if e.lot_id}
    lots = ({lot.id: lot for lot in Lot.select().where((Lot.shop == shop_id) & Lot.id.in_(lot_ids))}
            if lot_ids else {})
    event_ids = {e.event_id for e in page if e.event_id}
    topics = dict(Event.select(Event.id, Event.topic).where(
        (Event.shop == shop_id) & Event.id.in_(event_ids)).tuples()) if event_ids else {}
    _, program = versions.current(shop_id)
    return render_template(
        "dashboard/customer.html", section="customers", customer=found,
        balances=ledger.balances(found), spendable=ledger.spendable(found),
        open_lots=[(lot, rule_text(lot)) for lot in ledger.open_lots(found)],
        entries=[(e, lots.get(e.lot_id), rule_text(lots.get(e.lot_id)), topics.get(e.event_id))
                 for e in page],
        next_before=next_before,
        tier=tiers.progress(program, found),
        tier_titles={tier["id"]: tier["title"] for tier in (program.get("tiers") or {}).get("tiers", [])},
        tier_history=tiers.history(found), referrals=referrals.of_customer(found), **extra)

