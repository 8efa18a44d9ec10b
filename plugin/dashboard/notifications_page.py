"""The owner's notification settings as a form: which message goes out by e-mail and by SMS, the
sender and mail server, the SMS gateway, quiet hours, the daily cap and the reminders. It saves
through plugin.notify.owner_settings and checks with the admin API's schema, as a PUT would; the
two secrets are never put back into the page, only whether they are set."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from plugin.admin.notifications_api import SHOPPER_TYPES, NotificationSettings
from plugin.core.errors import LoyaltyError, flatten
from plugin.core.i18n import LANGUAGES
from plugin.dashboard.layout import NAV
from plugin.http.routes import Routes
from plugin.http.runtime import runtime
from plugin.notify import owner_settings
from plugin.notify.owner_settings import SET, SMS_CONFIG, SMS_PROVIDERS
from plugin.notify.types import TYPES

routes = Routes()

NAV.append(("nav.notifications", "dashboard.notifications"))

SCHEMA = NotificationSettings()
NUMBERS = ("sms_daily_cap", "tier_approach_percent", "expiry_warning_days")
TEXTS = ("language", "time_zone", "brand_colour")
OPTIONAL = ("mail_from", "logo_url", "sms_provider")  # empty: none
ZONES = sorted(available_timezones())


def _whole(value: str):
    """A form's number as an int, or the text itself for the schema to refuse by name."""
    return int(value) if value.strip().lstrip("-").isdigit() else value


def _secret(name: str):
    """A write-only field: a new value, "remove" ticked (None), else kept."""
    if request.form.get(f"{name}_remove"):
        return None
    return request.form.get(name, "").strip() or SET


def from_form() -> dict:
    """The form as the admin API's body: every field, secrets kept unless given or removed."""
    form = request.form
    values = {name: form.get(name, "").strip() for name in TEXTS}
    values |= {name: form.get(name, "").strip() or None for name in OPTIONAL}
    values |= {name: _whole(form.get(name, "")) for name in NUMBERS}
    values["quiet_hours"] = [_whole(form.get("quiet_from", "")), _whole(form.get("quiet_to", ""))]
    for channel in ("email", "sms"):
        values[channel] = {kind: f"{channel}.{kind}" in form for kind in SHOPPER_TYPES}
    provider = values["sms_provider"]
    if provider in SMS_CONFIG:  # no gateway: its settings kept for when one is picked again
        given = {key: form.get(f"sms_{key}", "").strip() for key in sorted(SMS_CONFIG[provider])}
        values["sms_config"] = {key: value for key, value in given.items() if value}
    values["smtp_url"], values["sms_secret"] = _secret("smtp_url"), _secret("sms_secret")
    return values


def _page(current: dict, errors: dict | None = None, status: int = 200):
    on = {"email": {kind: current["email"].get(kind, TYPES[kind].default_on) for kind in SHOPPER_TYPES},
          "sms": {kind: current["sms"].get(kind, False) for kind in SHOPPER_TYPES}}
    return render_template("dashboard/notifications.html", section="notifications", s=current,
                           errors=errors or {}, types=SHOPPER_TYPES, on=on, languages_=LANGUAGES, zones=ZONES,
                           providers=SMS_PROVIDERS,
                           saved=request.args.get("saved")), status


@routes.get("/notifications")
def notifications():
    return _page(owner_settings.read(g.shop))


@routes.post("/notifications")
def notifications_save():
    """Check as the API does; on errors the page again with the owner's input (secrets left out)."""
    values = from_form()
    try:
        loaded = SCHEMA.load(values)
        owner_settings.change(g.shop, runtime().vault, loaded, author=g.staff.actor)
    except ValidationError as exc:
        by_field = {re.sub(r"\.\d+$", "", name): messages for name, messages in flatten(exc.messages).items()}
        if values["sms_provider"] in SMS_CONFIG:  # the gateway's own errors at once, not after a second try
            by_field |= owner_settings.sms_config_errors(values["sms_provider"], values["sms_config"])
        return _page(_shown(values), by_field, 422)  # quiet_hours.0 is shown at quiet_hours
    except LoyaltyError as exc:
        return _page(_shown(values), exc.fields or {"_": [exc.message]}, exc.status)
    return redirect(url_for("dashboard.notifications", saved=1), 303)


def _shown(values: dict) -> dict:
    """What the form shows back after an error: the input, the secrets only as set or not."""
    stored = owner_settings.read(g.shop)
    return {**stored, **values, "smtp_url": stored["smtp_url"], "sms_secret": stored["sms_secret"]}
