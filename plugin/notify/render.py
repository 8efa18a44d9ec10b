"""The words of a message, for e-mail, SMS and the template editor's preview.

Every wording is a Jinja template run in a sandbox (an owner's template is untrusted input): the
default per type and language comes from the catalogue (``notify.email.subject.<type>``,
``notify.email.body.<type>``, ``notify.sms.<type>``), and the owner's own ``MessageTemplate``
replaces it. A template sees ``data`` (the message's data, as in plugin.notify.types.SAMPLES),
``shop``, ``first_name`` and helpers that speak the shopper's language: ``points(n)`` (correct
plurals: 1 балл, 2 балла, 5 баллов), ``date(iso)``, ``money(amount, currency)``, ``number(n)``.
The e-mail's HTML is the plain text's paragraphs in a layout with the shop's name, colour and logo.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, Template, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from plugin.core import i18n
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import Customer, MessageTemplate, Shop
from plugin.notify.settings import Settings

MAX_TEMPLATE = 10_000  # characters of one owner template: a subject, a body or an SMS
SANDBOX = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
LAYOUT = Environment(loader=PackageLoader("plugin.notify", "templates"),
                     autoescape=select_autoescape(["html"]))
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Draft:
    """Wording not saved yet (the editor's preview): a subject (e-mail only) and a body."""

    subject: str
    body: str


def language(settings: Settings, customer: Customer | None) -> str:
    """The shopper's own language when we know it, else the shop's."""
    return i18n.chosen((customer.locale if customer else None) or settings.language)


def default(lang: str, channel: str, type_name: str) -> Draft:
    """The catalogue's wording of a type on a channel: what the editor starts from."""
    if channel == DeliveryChannel.SMS:
        return Draft("", i18n.template(lang, f"notify.sms.{type_name}"))
    return Draft(i18n.template(lang, f"notify.email.subject.{type_name}"),
                 i18n.template(lang, f"notify.email.body.{type_name}"))


def owned(shop: Shop) -> dict[tuple[str, str, str], Draft]:
    """The shop's own templates by (type, channel, lang): read once for a batch of messages."""
    return {(t.type, t.channel, t.lang): Draft(t.subject, t.body)
            for t in MessageTemplate.select().where(MessageTemplate.shop == shop.id)}


def wording(shop: Shop, lang: str, channel: str, type_name: str,
            own: dict[tuple[str, str, str], Draft] | None = None) -> Draft:
    """The owner's template when there is one, else the default."""
    own = owned(shop) if own is None else own
    return own.get((type_name, channel, lang)) or default(lang, channel, type_name)


def problem(source: str) -> str | None:
    """Why a template cannot be used (too long, bad syntax), or None: the editor checks before saving."""
    if len(source) > MAX_TEMPLATE:
        return f"longer than {MAX_TEMPLATE} characters"
    try:
        SANDBOX.parse(source)
    except TemplateError as exc:
        return f"line {getattr(exc, 'lineno', '?')}: {exc.message}"
    return None


def email(shop: Shop, settings: Settings, message: Any, customer: Customer | None, *,
          unsubscribe_url: str | None = None, draft: Draft | None = None, lang: str | None = None,
          own: dict | None = None) -> Email:
    """Subject, plain text and HTML of an e-mail; ``message`` has ``type`` and ``data``; ``lang``
    overrides the shopper's language (the editor's preview); ``own``: ``owned(shop)``, once read."""
    lang = lang or language(settings, customer)
    chosen = draft or wording(shop, lang, DeliveryChannel.EMAIL, message.type, own)
    fallback = default(lang, DeliveryChannel.EMAIL, message.type)
    values = _values(shop, lang, message.data, customer)
    subject = " ".join(_run(chosen.subject, fallback.subject, values, draft is not None).split())
    text = _run(chosen.body, fallback.body, values, draft is not None).strip()
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    name = customer.first_name if customer and customer.first_name else None
    greeting = i18n.translate(lang, "notify.email.greeting", name=name) if name else i18n.translate(
        lang, "notify.email.greeting_anonymous")
    footer = i18n.translate(lang, "notify.email.footer", shop=shop.name or shop.domain)
    unsubscribe = i18n.translate(lang, "notify.email.unsubscribe")
    plain = "\n\n".join([greeting, *paragraphs, "--", footer]
                        + ([f"{unsubscribe}: {unsubscribe_url}"] if unsubscribe_url else []))
    html = LAYOUT.get_template("email.html").render(
        lang=lang, subject=subject, greeting=greeting, paragraphs=[p.splitlines() for p in paragraphs],
        footer=footer, shop=shop.name or shop.domain, unsubscribe=unsubscribe,
        unsubscribe_url=unsubscribe_url,
        colour=settings.brand_colour if COLOUR.match(settings.brand_colour or "") else "#2f6f4f",
        logo_url=settings.logo_url if (settings.logo_url or "").startswith("https://") else None)
    return Email(subject=subject, text=plain + "\n", html=html)


def sms_text(shop: Shop, settings: Settings, message: Any, customer: Customer | None, *,
             draft: Draft | None = None, lang: str | None = None, own: dict | None = None) -> str:
    """An SMS's text: the shop's name first, so the shopper knows who writes."""
    lang = lang or language(settings, customer)
    chosen = draft or wording(shop, lang, DeliveryChannel.SMS, message.type, own)
    fallback = default(lang, DeliveryChannel.SMS, message.type)
    text = _run(chosen.body, fallback.body, _values(shop, lang, message.data, customer), draft is not None)
    return " ".join(text.split())


def _run(source: str, fallback: str, values: dict, strict: bool) -> str:
    """Render an owner's template; one that fails at send time gives way to the default wording
    (the shopper still hears of their points), while a draft's failure is shown to the owner."""
    try:
        return _compiled(source).render(values)
    except Exception as exc:  # an owner's template may fail any way Python can (1 + "x" is a TypeError)
        if strict:
            raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
        return _compiled(fallback).render(values)


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    """Compiling is most of rendering's cost; a shop's few templates are compiled once a process."""
    return SANDBOX.from_string(source)


def _values(shop: Shop, lang: str, data: dict, customer: Customer | None) -> dict:
    return {
        "data": data, "shop": shop.name or shop.domain,
        "first_name": (customer.first_name if customer else None) or "",
        "points": lambda n: i18n.translate(lang, "points", n=_int(n)),
        "number": lambda n: i18n.number(_decimal(n), lang),
        "money": lambda amount, currency=shop.currency: i18n.price(_decimal(amount), currency, lang),
        "date": lambda value: _date(value, lang),
    }


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


#: Dates in full words, without Russian's trailing "г." that would end a sentence twice.
DATE_PATTERNS = {"ru": "d MMMM y", "en": "MMMM d, y"}


def _date(value, lang: str) -> str:
    try:
        day = datetime.fromisoformat(str(value)).date()
    except ValueError:
        return str(value or "")
    return format_date(day, DATE_PATTERNS.get(lang, DATE_PATTERNS["en"]), locale=lang)
