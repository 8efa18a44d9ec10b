"""Shoppers giving points to shoppers of the same store, within the program's limits.

Plain Python, no HTTP. The program's ``transfers`` section switches it on and bounds it: a
minimum and a maximum per transfer, and the points one shopper may send per UTC day (counted
from today's outgoing "transfer" entries). plugin.ledger moves the points, keeping their type
and expiry; a retry with the same key returns the first transfer without checking limits again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import write_transaction
from plugin.core.errors import LoyaltyError, NotFound
from plugin.core.models import Customer, LedgerEntry
from plugin.program import versions


class TransfersDisabled(LoyaltyError):
    status, code = 403, "transfers_disabled"


class TransferError(LoyaltyError):
    status, code = 422, "cannot_transfer"


class NotEnoughPoints(LoyaltyError):
    status, code = 409, "not_enough_points"


class UnknownRecipient(NotFound):
    """Said the same way whether the person is unknown or a shopper of another store."""


@dataclass(frozen=True)
class Transfer:
    recipient: Customer
    point_type: str
    points: int
    lots: list[int]  # the recipient's new lots
    replayed: bool  # True: the key was used before and nothing moved now
    left_today: int | None  # what the sender may still send today; None: no daily limit


def settings_of(program: dict) -> dict:
    """The program's transfer settings; a program without the section does not allow transfers."""
    return program.get("transfers") or {"enabled": False, "min_points": 1, "max_per_transfer": None,
                                        "max_per_day": None}


def find_recipient(shop_id: int, to: str) -> Customer:
    """A known customer of this shop by platform id, else by email (case-insensitive)."""
    to = to.strip()
    found = customers.find(shop_id, to)
    if found is None and "@" in to:
        matches = list(Customer.select().where(
            (Customer.shop == shop_id) & (fn.LOWER(Customer.email) == to.lower())).limit(2))
        if len(matches) > 1:
            raise TransferError("several shoppers have this email; give their customer id instead",
                                fields={"to": ["ambiguous"]})
        found = matches[0] if matches else None
    if found is None:
        raise UnknownRecipient("no shopper of this store has that email or customer id",
                               fields={"to": ["unknown"]})
    return found


def sent_on(customer: Customer, day: datetime) -> int:
    """Points the customer gave away on this UTC day (their negative transfer entries)."""
    start = datetime(day.year, day.month, day.day)
    total = (LedgerEntry.select(fn.SUM(LedgerEntry.delta))
             .where((LedgerEntry.customer == customer.id) & (LedgerEntry.kind == ledger.TRANSFER)
                    & (LedgerEntry.delta < 0) & (LedgerEntry.created_at >= start)
                    & (LedgerEntry.created_at < start + timedelta(days=1)))
             .scalar())
    return -int(total or 0)


def ledger_key(sender: Customer, key: str) -> str:
    """The sender's own key space (one shopper's key never answers another's retry), kept short."""
    if len(key) > 64:
        key = "sha256-" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"{sender.id}:{key}"


def send(shop_id: int, sender_id: str, to: str, point_type: str, points: int, *, key: str) -> Transfer:
    """Give points from the shopper ``sender_id`` to ``to`` (email or customer id), all or nothing."""
    _, program = versions.current(shop_id)
    limits = settings_of(program)
    if not limits["enabled"]:
        raise TransfersDisabled("this store does not allow giving points to other shoppers")
    with write_transaction():
        recipient = find_recipient(shop_id, to)
        sender = customers.find(shop_id, sender_id)
        if sender is not None and ledger.transfer_done(shop_id, ledger_key(sender, key)):
            return _send(sender, recipient, point_type, points, key, limits, replayed=True)
        if point_type not in program["point_types"]:
            raise TransferError(f"unknown point type {point_type!r}", fields={"point_type": ["unknown"]})
        if recipient.platform_id == sender_id:
            raise TransferError("you cannot give points to yourself", fields={"to": ["that is you"]})
        if points < limits["min_points"]:
            raise TransferError(f"give at least {limits['min_points']} points at a time",
                                fields={"points": [f"at least {limits['min_points']}"]})
        if limits["max_per_transfer"] is not None and points > limits["max_per_transfer"]:
            raise TransferError(f"give at most {limits['max_per_transfer']} points at a time",
                                fields={"points": [f"at most {limits['max_per_transfer']}"]})
        if sender is None:
            raise NotEnoughPoints(f"you have no {point_type} points to give")
        _within_day(sender, points, limits, already=sent_on(sender, clock.now()))
        return _send(sender, recipient, point_type, points, key, limits, replayed=False)


def _within_day(sender: Customer, points: int, limits: dict, *, already: int) -> None:
    cap = limits["max_per_day"]
    if cap is not None and already + points > cap:
        left = max(cap - already, 0)
        raise TransferError(f"you may give {cap} points a day; {left} left today (UTC)",
                            fields={"points": [f"at most {left} today"]})


def _send(sender: Customer, recipient: Customer, point_type: str, points: int, key: str,
          limits: dict, *, replayed: bool) -> Transfer:
    try:
        lots = ledger.transfer(sender, recipient, point_type, points, key=ledger_key(sender, key))
    except ledger.ShortOfPoints as exc:
        raise NotEnoughPoints(str(exc)) from None
    except ledger.LedgerError as exc:
        raise TransferError(str(exc)) from None
    today = sent_on(sender, clock.now())
    if not replayed:  # counted again after the lots were locked: two concurrent sends cannot both pass
        _within_day(sender, 0, limits, already=today)
    cap = limits["max_per_day"]
    return Transfer(recipient, point_type, points, lots, replayed,
                    None if cap is None else max(cap - today, 0))
