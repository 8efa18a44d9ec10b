"""The program over the admin API: read, replace (a new version), history, and preview."""

from __future__ import annotations

from flask import g, jsonify, request

from plugin import carts, clock, customers, ledger, tiers
from plugin.admin.api import bp
from plugin.bodies import json_object
from plugin.errors import NotFound
from plugin.models import Order, ProgramVersion
from plugin.program import caps, document, earning, versions


def _version_json(row: ProgramVersion | None, program: dict) -> dict:
    return {"version": row.number if row else None, "author": row.author if row else None,
            "created_at": row.created_at.isoformat() if row else None,
            "program": document.dump(program)}


def _row(number: int | None) -> ProgramVersion | None:
    if number is None:
        return None
    return ProgramVersion.get((ProgramVersion.shop == g.shop.id) & (ProgramVersion.number == number))


@bp.get("/program")
def program_current():
    number, program = versions.current(g.shop.id)
    return jsonify(_version_json(_row(number), program))


@bp.put("/program")
def program_replace():
    body = json_object()
    author = request.headers.get("X-Loyalty-Actor", "").strip()[:255] or "api"
    tiers_before = versions.current(g.shop.id)[1].get("tiers")
    row = versions.save(g.shop.id, body, author=author)
    program = versions.at(g.shop.id, row.number)
    # New tier rules apply to everyone at once: a background re-evaluation, the program running on.
    run = tiers.start_reevaluation(g.shop.id) if program.get("tiers") != tiers_before else None
    return jsonify({**_version_json(row, program), "tier_reevaluation": run.id if run else None}), 201


@bp.get("/program/versions")
def program_versions():
    rows = (ProgramVersion.select(ProgramVersion.number, ProgramVersion.author, ProgramVersion.created_at)
            .where(ProgramVersion.shop == g.shop.id).order_by(ProgramVersion.number.desc()))
    return jsonify(items=[{"version": r.number, "author": r.author,
                           "created_at": r.created_at.isoformat()} for r in rows])


@bp.get("/program/versions/<int:number>")
def program_version(number: int):
    row = ProgramVersion.get_or_none((ProgramVersion.shop == g.shop.id) & (ProgramVersion.number == number))
    if row is None:
        raise NotFound(f"no program version {number}")
    return jsonify(_version_json(row, versions.at(g.shop.id, number)))


@bp.post("/program/preview")
def program_preview():
    """What an order or cart would earn now, per line and per rule (the widget's "earn X")."""
    cart = json_object(carts.CART)
    number, program = versions.current(g.shop.id)
    customer = customers.find(g.shop.id, cart["customer_id"]) if cart["customer_id"] else None
    first = customer is None or not Order.select().where(Order.customer == customer.id).exists()
    order = carts.as_order(cart)
    result = earning.evaluate(program, order, at=clock.now(), customer_id=cart["customer_id"],
                              first_order=first and cart["customer_id"] is not None)
    pays = caps.payable(program, order["lines"], ledger.spendable(customer) if customer else {})
    return jsonify(version=number, payable=pays, **result.as_dict())
