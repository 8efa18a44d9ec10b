"""Webhook subscriptions: the shop's list with a form to subscribe a URL, and each subscription's
page with its secret, delivery log, replay (one message, or everything since a time), resume and
delete (plugin.notify.webhooks.subscriptions). A paused subscription is announced on every page."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g, redirect, render_template, request, url_for

from plugin.core.errors import LoyaltyError
from plugin.core.status import DeliveryStatus
from plugin.dashboard.adjust_page import fresh_key
from plugin.dashboard.layout import NAV
from plugin.http import idempotency
from plugin.http.routes import Routes
from plugin.notify.types import ALL, TYPES
from plugin.notify.webhooks import subscriptions

routes = Routes()
NAV.insert(NAV.index(("nav.events", "dashboard.events")) + 1, ("nav.webhooks", "dashboard.webhooks"))
LOG_PAGE = 50


@routes.context_processor
def paused_webhooks() -> dict:
    """The owner is told on every page while a subscription is paused."""
    return {"paused_webhooks": subscriptions.paused(g.shop.id) if g.get("shop") else []}


def _vault():
    return current_app.extensions["loyalty"].vault


def _list(form: dict, errors: dict | None = None, status: int = 200):
    """The list and the form; the form carries its own key (kept on a refused submit), so a double
    submit makes one subscription."""
    form = {**form, "key": form.get("key") or fresh_key()}
    return render_template("dashboard/webhooks.html", section="webhooks",
                           subs=subscriptions.listing(g.shop.id), counts=subscriptions.counts(g.shop.id),
                           types=list(TYPES), form=form, errors=errors or {}), status


@routes.get("/webhooks", endpoint="webhooks")
def webhooks_index():
    return _list({"url": "", "events": [ALL]})


@routes.post("/webhooks")
def webhooks_create():
    form = {"url": request.form.get("url", "").strip(), "events": request.form.getlist("events"),
            "key": request.form.get("key", "")}
    try:
        if idempotency.KEY.match(form["key"]):
            sub = subscriptions.create_once(g.shop.id, form["url"], form["events"], _vault(), form["key"])[0]
        else:  # a form from before keys: no double-submit guard, as the API without the header
            sub = subscriptions.create(g.shop.id, form["url"], form["events"], _vault())[0]
    except LoyaltyError as exc:
        return _list(form, exc.fields or {"_": [exc.message]}, exc.status)
    return redirect(url_for("dashboard.webhook", sub_id=sub.uid, created=1), 303)


@routes.get("/webhooks/<sub_id>")
def webhook(sub_id: str):
    sub = subscriptions.require(g.shop.id, sub_id)
    status = request.args.get("status") or None
    before = request.args.get("before", type=int)
    rows = subscriptions.log(g.shop.id, sub_id, status=status if status in tuple(DeliveryStatus) else None,
                             before=before, limit=LOG_PAGE)
    return render_template("dashboard/webhook.html", section="webhooks", sub=sub, rows=rows, status=status,
                           statuses=tuple(DeliveryStatus), secret=subscriptions.secret(sub, _vault()),
                           created=request.args.get("created"),
                           replayed=request.args.get("replayed", type=int),
                           resumed=request.args.get("resumed", type=int), error=request.args.get("error"),
                           next_before=rows[-1]["cursor"] if len(rows) == LOG_PAGE else None)


@routes.post("/webhooks/<sub_id>/delete")
def webhook_delete(sub_id: str):
    subscriptions.delete(g.shop.id, sub_id)
    return redirect(url_for("dashboard.webhooks"), 303)


@routes.post("/webhooks/<sub_id>/resume")
def webhook_resume(sub_id: str):
    _, queued = subscriptions.resume(g.shop.id, sub_id)
    return redirect(url_for("dashboard.webhook", sub_id=sub_id, resumed=queued), 303)


@routes.post("/webhooks/<sub_id>/messages/<message_id>/replay")
def webhook_replay_message(sub_id: str, message_id: str):
    replayed = subscriptions.replay_message(g.shop.id, sub_id, message_id)
    return redirect(url_for("dashboard.webhook", sub_id=sub_id, replayed=replayed), 303)


@routes.post("/webhooks/<sub_id>/replay")
def webhook_replay_since(sub_id: str):
    """Everything since a moment the owner picks (the form's local time field is taken as UTC)."""
    try:
        since = datetime.fromisoformat(request.form.get("since", ""))
    except ValueError:
        return redirect(url_for("dashboard.webhook", sub_id=sub_id, error="since"), 303)
    replayed = subscriptions.replay_since(g.shop.id, sub_id, since.replace(tzinfo=None))
    return redirect(url_for("dashboard.webhook", sub_id=sub_id, replayed=replayed), 303)
