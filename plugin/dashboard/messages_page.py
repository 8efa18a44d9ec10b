"""The message log: every message the plugin sent or tried to send for the shop, found by shopper,
type, channel, delivery status and day, and one message with each delivery's attempts and error.
In the embedded demo this is the outbox page a newcomer sees the messages at once on."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from flask import g, render_template, request

from plugin.core.errors import Invalid
from plugin.core.kinds import DeliveryChannel
from plugin.core.status import DeliveryStatus
from plugin.dashboard.layout import NAV
from plugin.dashboard.paging import PAGE_SIZE, cursor, split
from plugin.http.routes import Routes
from plugin.notify import message_log
from plugin.notify.types import TYPES

routes = Routes()

NAV.append(("nav.messages", "dashboard.messages"))

CHOICES = {"type": tuple(TYPES), "channel": tuple(DeliveryChannel), "status": tuple(DeliveryStatus)}
GROUPS = {"type": "message_type", "channel": "channel", "status": "delivery_status"}  # their names' keys


def _day(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise Invalid(f"{name}: not a day (YYYY-MM-DD)", fields={name: ["not a day"]}) from None


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time()) if day else None


@routes.get("/messages")
def messages():
    """Days are UTC days: ``until`` includes its whole day."""
    chosen = {name: request.args.get(name) if request.args.get(name) in values else None
              for name, values in CHOICES.items()}
    since, until = _day("since"), _day("until")
    shopper = request.args.get("shopper", "").strip()[:320]
    filters = message_log.Filters(shopper=shopper, since=_start(since),
                                  until=_start(until + timedelta(days=1)) if until else None, **chosen)
    before = cursor(request.args.get("before"))
    found = message_log.search(g.shop.id, filters, before=before, limit=PAGE_SIZE + 1)
    rows, next_before = split(found, PAGE_SIZE)
    query = {name: value for name, value in {**chosen, "shopper": shopper, "since": since,
                                              "until": until}.items() if value}
    return render_template("dashboard/messages.html", section="messages", messages=rows,
                           next_before=next_before, query=query, choices=CHOICES, groups=GROUPS)


@routes.get("/messages/<uid>")
def message(uid: str):
    found = message_log.get(g.shop.id, uid)
    return render_template("dashboard/message.html", section="messages", m=found,
                           data=json.dumps(found.data, ensure_ascii=False, indent=2))
