"""Notifications over the admin API: the shop's settings (which message goes out on which channel,
sender, mail server, SMS gateway, quiet hours, caps, reminders) and the message log with each
message's deliveries. The mail server's URL and the SMS secret are write-only: shown as "set"."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import available_timezones

from flask import g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from plugin.admin.api import Page, PageArgs, page
from plugin.admin.openapi import documented
from plugin.core import limits
from plugin.core.i18n import LANGUAGES
from plugin.core.kinds import DeliveryChannel
from plugin.core.limits import StrictSchema
from plugin.core.status import DeliveryStatus
from plugin.http.bodies import json_object
from plugin.http.routes import Routes
from plugin.http.runtime import runtime
from plugin.notify import message_log, owner_settings
from plugin.notify.types import TYPES

routes = Routes()

SHOPPER_TYPES = tuple(name for name, kind in TYPES.items() if kind.shopper)
ZONES = frozenset(available_timezones())
COLOUR = r"^#[0-9a-fA-F]{6}$"
ACTOR_HEADER = "X-Loyalty-Actor"


def _time_zone(value: str) -> None:
    if value not in ZONES:
        raise ValidationError("not an IANA time zone, e.g. Europe/Moscow")


def _smtp_url(value: str) -> None:
    problem = value != owner_settings.SET and owner_settings.smtp_url_problem(value)
    if problem:
        raise ValidationError(problem)


def _switches(about: str) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(SHOPPER_TYPES)), values=fields.Boolean(),
                       metadata={"description": f"message type -> on/off {about}"})


class NotificationSettings(StrictSchema):
    """Every field optional on PUT: those left out keep their value."""

    language = fields.String(validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "for shoppers without a language of their own"})
    time_zone = fields.String(validate=_time_zone, metadata={"description": "for shoppers without one"})
    email = _switches("by e-mail (never set: the type's default once mail is set up)")
    sms = _switches("by SMS (never set: off)")
    mail_from = fields.Email(allow_none=True, validate=validate.Length(max=320),
                             metadata={"description": "the sender (null: LOYALTY_MAIL_FROM)"})
    smtp_url = fields.String(allow_none=True, validate=[validate.Length(max=2048), _smtp_url], metadata={
        "description": 'write-only: the shop\'s own mail server, smtp://user:pass@host:587?starttls=1 or '
                       'smtps://...; answered as "set" or null; "set" keeps it, null removes it'})
    sms_provider = fields.String(allow_none=True, validate=validate.OneOf(owner_settings.SMS_PROVIDERS),
                                 metadata={"description": "the SMS gateway (null: no SMS)"})
    sms_config = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=32)),
                             values=fields.String(validate=validate.Length(max=2048)), metadata={
        "description": 'smsru: {"sender"}; http: {"url", "method", "body", "auth_header"} '
                       "(url and body with {phone} and {text})"})
    sms_secret = fields.String(allow_none=True, validate=validate.Length(min=1, max=512), metadata={
        "description": 'write-only: the SMS.ru api_id or the auth header\'s value; answered as "set" '
                       "or null"})
    quiet_hours = fields.List(fields.Integer(strict=True, validate=validate.Range(min=0, max=23)),
                              validate=validate.Length(equal=2),
                              metadata={"description": "[from, to] hours, shopper's time: no SMS then"})
    sms_daily_cap = fields.Integer(strict=True, validate=validate.Range(min=0, max=20),
                                   metadata={"description": "SMS per shopper per day, at most"})
    tier_approach_percent = fields.Integer(strict=True, validate=validate.Range(min=0, max=100), metadata={
        "description": '"you are X from <tier>" within this share of its threshold (0: never)'})
    expiry_warning_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365), metadata={
        "description": "days before points burn that the reminder goes (the program's: a change "
                       "publishes a new version, authored by the X-Loyalty-Actor header)"})
    brand_colour = fields.String(validate=validate.Regexp(COLOUR), metadata={"description": "#rrggbb"})
    logo_url = fields.Url(allow_none=True, schemes={"https"}, validate=validate.Length(max=2048))


class MessageArgs(PageArgs):
    shopper = fields.String(load_default="", validate=validate.Length(max=320),
                            metadata={"description": "the shopper's e-mail or platform id"})
    type = fields.String(load_default=None, validate=validate.OneOf(tuple(TYPES)))
    channel = fields.String(load_default=None, validate=validate.OneOf(tuple(DeliveryChannel)))
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(DeliveryStatus)),
                           metadata={"description": "messages with at least one delivery in this status"})
    since = limits.AwareMoment(load_default=None, default_timezone=UTC)
    until = limits.AwareMoment(load_default=None, default_timezone=UTC)


class MessageDeliveryOut(Schema):
    channel = fields.String(required=True)
    target = fields.String(required=True, metadata={"description": "address, phone or subscription id"})
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    response_code = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    next_attempt_at = fields.DateTime(required=True, allow_none=True)
    last_attempt_at = fields.DateTime(required=True, allow_none=True)
    sent_at = fields.DateTime(required=True, allow_none=True)


class MessageOut(Schema):
    id = fields.String(required=True, attribute="uid")
    type = fields.String(required=True)
    key = fields.String(required=True)
    customer_id = fields.Function(lambda m: m.customer.platform_id if m.customer else None,
                                  required=True, allow_none=True)
    data = fields.Dict(required=True)
    created_at = fields.DateTime(required=True)
    dispatched_at = fields.DateTime(required=True, allow_none=True)
    deliveries = fields.List(fields.Nested(MessageDeliveryOut), required=True)


class MessagePage(Page):
    items = fields.List(fields.Nested(MessageOut), required=True)


SETTINGS, ARGS, MESSAGES, MESSAGE = NotificationSettings(), MessageArgs(), MessageOut(many=True), MessageOut()


def _naive(moment):
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


@routes.get("/notification-settings")
@documented("The shop's notification settings", response=NotificationSettings)
def notification_settings():
    return jsonify(SETTINGS.dump(owner_settings.read(g.shop)))


@routes.put("/notification-settings")
@documented("Change notification settings (fields left out keep their value)", body=NotificationSettings,
            response=NotificationSettings)
def notification_settings_change():
    body = json_object(SETTINGS)
    author = request.headers.get(ACTOR_HEADER, "").strip()[:255] or "api"
    return jsonify(SETTINGS.dump(owner_settings.change(g.shop, runtime().vault, body, author)))


@routes.get("/messages")
@documented("The message log, newest first", query=MessageArgs, response=MessagePage)
def messages():
    args = ARGS.load(request.args)
    before, limit = args.pop("before"), args.pop("limit")
    args["since"], args["until"] = _naive(args["since"]), _naive(args["until"])
    rows = message_log.search(g.shop.id, message_log.Filters(**args), before=before, limit=limit)
    return jsonify(page(rows, limit, MESSAGES.dump))


@routes.get("/messages/<uid>")
@documented("One message and its deliveries", response=MessageOut)
def message(uid: str):
    return jsonify(MESSAGE.dump(message_log.get(g.shop.id, uid)))
