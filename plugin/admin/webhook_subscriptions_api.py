"""Webhook subscriptions over the admin API: subscribe a URL to event types (answered with its
``whsec_`` secret), list, delete, resume a paused one, read its delivery log, replay one message
or everything since a time (plugin.notify.webhooks.subscriptions)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, jsonify, request
from marshmallow import Schema, fields, validate

from plugin.admin.api import Page, PageArgs
from plugin.admin.openapi import documented
from plugin.core import clock, limits
from plugin.core.errors import Invalid
from plugin.core.limits import StrictSchema
from plugin.core.status import DeliveryStatus, SubscriptionStatus
from plugin.http import idempotency
from plugin.http.bodies import json_object
from plugin.http.routes import Routes
from plugin.notify.types import ALL, TYPES
from plugin.notify.webhooks import subscriptions

routes = Routes()
EVENT_NAMES = (ALL, *TYPES)


class SubscriptionIn(StrictSchema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2048),
                        metadata={"description": "https to a public address"})
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_NAMES)), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_NAMES)),
                         metadata={"description": 'message types, or ["*"] for every type'})


class SubscriptionOut(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(tuple(SubscriptionStatus)))
    failing_since = fields.String(required=True, allow_none=True)
    paused_at = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True)


class SubscriptionCreated(SubscriptionOut):
    secret = fields.String(required=True, metadata={"description": "whsec_...: verify deliveries with it"})


class SecretOut(Schema):
    secret = fields.String(required=True)


class SubscriptionList(Schema):
    items = fields.List(fields.Nested(SubscriptionOut), required=True)


class Resumed(SubscriptionOut):
    queued = fields.Integer(required=True, metadata={"description": "failed deliveries sent again"})


class LogArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(DeliveryStatus)))


class WebhookDeliveryOut(Schema):
    cursor = fields.Integer(required=True)
    message_id = fields.String(required=True)
    type = fields.String(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    response_code = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True)
    last_attempt_at = fields.String(required=True, allow_none=True)
    next_attempt_at = fields.String(required=True, allow_none=True)
    sent_at = fields.String(required=True, allow_none=True)


class DeliveryPage(Page):
    items = fields.List(fields.Nested(WebhookDeliveryOut), required=True)


class ReplaySinceIn(StrictSchema):
    since = limits.AwareMoment(required=True, default_timezone=UTC)


class Replayed(Schema):
    replayed = fields.Integer(required=True)


SUBSCRIPTION_IN, LOG_ARGS, REPLAY_SINCE_IN = SubscriptionIn(), LogArgs(), ReplaySinceIn()


def _vault():
    return current_app.extensions["loyalty"].vault


@routes.post("/webhook-subscriptions")
@documented("Subscribe a URL to event types; answered with the secret deliveries are signed with",
            body=SubscriptionIn, response=SubscriptionCreated, status=201, errors=(409,))
def webhook_subscription_create():
    """201 with ``id`` and ``secret``; 422 naming ``url`` when it is not https to a public address.
    With an Idempotency-Key a retry gets the same subscription and secret (not a second one)."""
    data = json_object(SUBSCRIPTION_IN)
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        sub, secret = subscriptions.create(g.shop.id, data["url"], data["events"], _vault())
        return jsonify({**subscriptions.as_dict(sub), "secret": secret}), 201
    if not idempotency.KEY.match(key):
        raise Invalid(f"{idempotency.HEADER}: {idempotency.RULE}",
                      fields={idempotency.HEADER: [idempotency.RULE]})
    sub, secret, replayed = subscriptions.create_once(g.shop.id, data["url"], data["events"], _vault(), key)
    headers = {idempotency.REPLAYED: "true"} if replayed else {}
    return jsonify({**subscriptions.as_dict(sub), "secret": secret}), 201, headers


@routes.get("/webhook-subscriptions")
@documented("The shop's webhook subscriptions", response=SubscriptionList)
def webhook_subscription_list():
    return jsonify(items=[subscriptions.as_dict(sub) for sub in subscriptions.listing(g.shop.id)])


@routes.get("/webhook-subscriptions/<sub_id>")
@documented("One webhook subscription", response=SubscriptionOut)
def webhook_subscription_detail(sub_id: str):
    return jsonify(subscriptions.as_dict(subscriptions.require(g.shop.id, sub_id)))


@routes.get("/webhook-subscriptions/<sub_id>/secret")
@documented("A subscription's signing secret", response=SecretOut)
def webhook_subscription_secret(sub_id: str):
    return jsonify(secret=subscriptions.secret(subscriptions.require(g.shop.id, sub_id), _vault()))


@routes.delete("/webhook-subscriptions/<sub_id>")
@documented("Delete a webhook subscription and its delivery log", status=204)
def webhook_subscription_delete(sub_id: str):
    subscriptions.delete(g.shop.id, sub_id)
    return "", 204


@routes.post("/webhook-subscriptions/<sub_id>/resume")
@documented("Resume a paused subscription; what failed since it began failing is sent again",
            response=Resumed)
def webhook_subscription_resume(sub_id: str):
    sub, queued = subscriptions.resume(g.shop.id, sub_id)
    return jsonify({**subscriptions.as_dict(sub), "queued": queued})


@routes.get("/webhook-subscriptions/<sub_id>/deliveries")
@documented("The subscription's delivery log, newest first: status, attempts, response code, error",
            query=LogArgs, response=DeliveryPage)
def webhook_subscription_log(sub_id: str):
    args = LOG_ARGS.load(request.args)
    rows = subscriptions.log(g.shop.id, sub_id, status=args["status"], before=args["before"],
                             limit=args["limit"])
    items = [{name: clock.iso(value) if isinstance(value, datetime) else value
              for name, value in row.items()} for row in rows]
    return jsonify(items=items, next_before=rows[-1]["cursor"] if len(rows) == args["limit"] else None)


@routes.post("/webhook-subscriptions/<sub_id>/messages/<message_id>/replay")
@documented("Send one message to the subscription again", response=Replayed, status=202)
def webhook_subscription_replay_message(sub_id: str, message_id: str):
    return jsonify(replayed=subscriptions.replay_message(g.shop.id, sub_id, message_id)), 202


@routes.post("/webhook-subscriptions/<sub_id>/replay")
@documented("Send again every message of the subscription's types written since a time",
            body=ReplaySinceIn, response=Replayed, status=202)
def webhook_subscription_replay_since(sub_id: str):
    since = json_object(REPLAY_SINCE_IN)["since"].astimezone(UTC).replace(tzinfo=None)
    return jsonify(replayed=subscriptions.replay_since(g.shop.id, sub_id, since)), 202
