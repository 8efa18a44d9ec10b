"""The owner's own wording of a message (``MessageTemplate``): saved after the sandbox has parsed
it, or removed to go back to the catalogue's default. plugin.notify.render reads it."""

from __future__ import annotations

from plugin.core import clock
from plugin.core.errors import LoyaltyError
from plugin.core.i18n import LANGUAGES
from plugin.core.kinds import DeliveryChannel
from plugin.core.models import MessageTemplate
from plugin.notify import render
from plugin.notify.types import TYPES

CHANNELS = (DeliveryChannel.EMAIL, DeliveryChannel.SMS)


class BadTemplate(LoyaltyError):
    status, code = 422, "invalid_template"


def editable(type_name: str, channel: str, lang: str) -> bool:
    kind = TYPES.get(type_name)
    return bool(kind and kind.shopper) and channel in CHANNELS and lang in LANGUAGES


def check(subject: str, body: str) -> None:
    """BadTemplate naming each field that does not parse (or an empty body)."""
    fields = {name: [why] for name, source in (("subject", subject), ("body", body))
              if (why := render.problem(source))}
    if not body.strip():
        fields["body"] = ["must not be empty"]
    if fields:
        raise BadTemplate("the template does not parse", fields=fields)


def save(shop_id: int, type_name: str, channel: str, lang: str, subject: str, body: str) -> None:
    """Store the owner's wording once it parses."""
    check(subject, body)
    now = clock.now()
    (MessageTemplate.insert(shop=shop_id, type=type_name, channel=channel, lang=lang, subject=subject,
                            body=body, updated_at=now)
     .on_conflict(conflict_target=[MessageTemplate.shop, MessageTemplate.type, MessageTemplate.channel,
                                   MessageTemplate.lang],
                  update={MessageTemplate.subject: subject, MessageTemplate.body: body,
                          MessageTemplate.updated_at: now})
     .execute())


def reset(shop_id: int, type_name: str, channel: str, lang: str) -> None:
    MessageTemplate.delete().where((MessageTemplate.shop == shop_id) & (MessageTemplate.type == type_name)
                                   & (MessageTemplate.channel == channel) & (MessageTemplate.lang == lang)
                                   ).execute()


def customised(shop_id: int) -> set[tuple[str, str, str]]:
    """(type, channel, lang) the owner wrote their own wording for."""
    return set(MessageTemplate.select(MessageTemplate.type, MessageTemplate.channel, MessageTemplate.lang)
               .where(MessageTemplate.shop == shop_id).tuples())
