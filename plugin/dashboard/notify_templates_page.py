"""The template editor: each shopper message's wording per channel (e-mail, SMS) and language, with
a live preview from the message's sample data, a reset to the default and "send a test to me".
The wording itself lives in plugin.notify.wording and renders through plugin.notify.render."""

from __future__ import annotations

import smtplib
from types import SimpleNamespace

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from jinja2 import TemplateError

from plugin.core import i18n
from plugin.core.db import write_transaction
from plugin.core.errors import LoyaltyError
from plugin.core.kinds import DeliveryChannel
from plugin.http.routes import Routes
from plugin.notify import render, wording
from plugin.notify import settings as notify_settings
from plugin.notify.email import channel as email_channel
from plugin.notify.types import SAMPLES, TYPES

routes = Routes()
SHOPPER_TYPES = [name for name, kind in TYPES.items() if kind.shopper]


@routes.get("/notifications/templates", endpoint="notify_templates")
def index():
    return render_template("dashboard/notify_templates.html", section="notify_templates", types=SHOPPER_TYPES,
                           channels=wording.CHANNELS, languages=i18n.LANGUAGES,
                           customised=wording.customised(g.shop.id))


@routes.get("/notifications/templates/<type_name>", endpoint="notify_template")
def editor(type_name: str):
    channel, lang = _where(request.args, type_name)
    saved = render.wording(g.shop, lang, channel, type_name)
    return _page(type_name, channel, lang, saved, notice=request.args.get("done"))


@routes.post("/notifications/templates/<type_name>")
def template_act(type_name: str):
    channel, lang = _where(request.form, type_name)
    draft = render.Draft(request.form.get("subject", ""), request.form.get("body", ""))
    action = request.form.get("action", "preview")
    try:
        if action == "save":
            with write_transaction():
                wording.save(g.shop.id, type_name, channel, lang, draft.subject, draft.body)
        elif action == "reset":
            with write_transaction():
                wording.reset(g.shop.id, type_name, channel, lang)
        elif action == "test" and channel == DeliveryChannel.EMAIL:
            to = request.form.get("test_to", "").strip()
            if "@" not in to or len(to) > 320:
                raise LoyaltyError("not an e-mail address", fields={"test_to": ["not an e-mail address"]})
            wording.check(draft.subject, draft.body)
            email_channel.send_test(g.shop, type_name, lang, to, draft)
        else:
            return _page(type_name, channel, lang, draft)
    except LoyaltyError as exc:
        return _page(type_name, channel, lang, draft, errors=exc.fields or {"_": [exc.message]}), exc.status
    except (OSError, smtplib.SMTPException) as exc:
        return _page(type_name, channel, lang, draft, errors={"_": [f"mail server: {exc}"]}), 502
    return redirect(url_for("dashboard.notify_template", type_name=type_name, channel=channel, language=lang,
                            done=action), 303)


@routes.post("/notifications/templates/<type_name>/preview")
def template_preview(type_name: str):
    """The live preview's JSON: the draft rendered, or the error that stops it."""
    channel, lang = _where(request.form, type_name)
    draft = render.Draft(request.form.get("subject", ""), request.form.get("body", ""))
    return jsonify(_preview(type_name, channel, lang, draft))


def _where(values, type_name: str) -> tuple[str, str]:
    channel = values.get("channel", DeliveryChannel.EMAIL)
    lang = values.get("language") or notify_settings.load(g.shop).language
    if not wording.editable(type_name, channel, lang):
        abort(404)
    return channel, lang


def _preview(type_name: str, channel: str, lang: str, draft: render.Draft) -> dict:
    settings = notify_settings.load(g.shop)
    sample = SimpleNamespace(type=type_name, data=SAMPLES[type_name])
    try:
        wording.check(draft.subject, draft.body)
        if channel == DeliveryChannel.SMS:
            text = render.sms_text(g.shop, settings, sample, None, draft=draft, lang=lang)
            return {"text": text, "error": None}
        words = render.email(g.shop, settings, sample, None, draft=draft, lang=lang,
                             unsubscribe_url="#unsubscribe")
        return {"subject": words.subject, "html": words.html, "text": words.text, "error": None}
    except wording.BadTemplate as exc:
        return {"error": "; ".join(f"{name}: {' '.join(why)}" for name, why in exc.fields.items())}
    except TemplateError as exc:
        return {"error": str(exc)}


def _page(type_name: str, channel: str, lang: str, draft: render.Draft, *, errors: dict | None = None,
          notice: str | None = None):
    return render_template(
        "dashboard/notify_template.html", section="notify_templates", type_name=type_name, channel=channel,
        template_lang=lang, draft=draft, errors=errors or {}, notice=notice,
        preview=_preview(type_name, channel, lang, draft), channels=wording.CHANNELS,
        languages=i18n.LANGUAGES, sample=SAMPLES[type_name],
        custom=(type_name, channel, lang) in wording.customised(g.shop.id))
