"""Failed and invalid inbox events, each with its error and a retry button (plugin.pipeline.event_retry);
the latest orders whose discount code was used after its points were given back and not fully
charged."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from plugin.core.models import Event
from plugin.core.status import EventStatus
from plugin.dashboard.paging import PAGE_SIZE, cursor, split
from plugin.http.routes import Routes
from plugin.pipeline import event_retry
from plugin.spend import late_commit

routes = Routes()


@routes.get("/events")
def events():
    before = cursor(request.args.get("before"))
    query = Event.select().where((Event.shop == g.shop.id) & Event.status.in_(event_retry.RETRYABLE))
    if before:
        query = query.where(Event.id < before)
    rows, next_before = split(list(query.order_by(Event.id.desc()).limit(PAGE_SIZE + 1)), PAGE_SIZE)
    retried = request.args.get("retried", type=int)
    again = retried and Event.get_or_none((Event.id == retried) & (Event.shop == g.shop.id))
    return render_template("dashboard/events.html", section="events", events=rows,
                           next_before=next_before,
                           retried=retried,
                           still_invalid=again if again and again.status == EventStatus.INVALID else None,
                           uncovered=list(late_commit.uncovered_orders(g.shop.id).limit(PAGE_SIZE)))


@routes.post("/events/<int:event_id>/retry")
def retry_event(event_id: int):
    event_retry.retry(g.shop.id, event_id)
    return redirect(url_for("dashboard.events", retried=event_id), 303)
