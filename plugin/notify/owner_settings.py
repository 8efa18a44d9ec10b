"""What the owner sets about notifications, read and changed as one: the shop's Settings
(plugin.notify.settings), the two write-only secrets (its own mail server's URL and the SMS
gateway's key, encrypted, never shown back: only "set"), and the expiry reminder's lead time,
which lives in the program (``expiry_warning_days``) and is published as a new version.

The admin API and the dashboard both go through ``read`` and ``change``; they validate the
shape, this module checks what needs the stored state (an SMS gateway's config against its kind).
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

from plugin.core.crypto import Vault
from plugin.core.db import database
from plugin.core.errors import Invalid
from plugin.core.models import NotifySettings, Shop
from plugin.notify import settings
from plugin.notify.sms import providers
from plugin.program import changes, document, versions

SET = "set"  # how a stored secret is shown; sent back unchanged, it keeps the secret
SECRETS = ("smtp_url", "sms_secret")
SWITCHES = ("email", "sms")  # message type -> on/off, per channel
REMINDER_DAYS = "expiry_warning_days"  # the program's: N days before points burn, the reminder
#: Each gateway's settings besides its secret (the SMS.ru api_id, or the HTTP auth header's value).
SMS_CONFIG = {providers.SMSRU: {"sender"}, providers.HTTP: {"url", "method", "body", "auth_header"}}
SMS_PROVIDERS = providers.PROVIDERS
HTTP_METHODS = ("POST", "GET", "PUT")
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def read(shop: Shop) -> dict:
    """Every setting as the owner sees it: secrets as "set" or None."""
    current = dataclasses.asdict(settings.load(shop))
    current["quiet_hours"] = list(current["quiet_hours"])
    row = NotifySettings.get_or_none(NotifySettings.shop == shop.id)
    for name in SECRETS:
        current[name] = SET if row is not None and getattr(row, name) else None
    current[REMINDER_DAYS] = versions.current(shop.id)[1][REMINDER_DAYS]
    return current


def sms_config_errors(provider: str | None, config: dict) -> dict[str, list[str]]:
    """The gateway's settings checked against its kind: {field path: messages}, empty when fine."""
    if provider is None:
        return {}
    errors = {f"sms_config.{name}": [f"not a setting of the {provider} gateway"]
              for name in sorted(set(config) - SMS_CONFIG[provider])}
    if provider == "http":
        if config.get("method", "POST") not in HTTP_METHODS:
            errors["sms_config.method"] = [f"one of {', '.join(HTTP_METHODS)}"]
        if not HEADER_NAME.match(config.get("auth_header", "X")):
            errors["sms_config.auth_header"] = ["a header's name, e.g. Authorization"]
        if urlsplit(config.get("url", "")).scheme not in ("http", "https"):
            errors["sms_config.url"] = ["the gateway's http(s) URL is required"]
        elif "{phone}" not in config["url"] + config.get("body", ""):
            errors["sms_config.url"] = ["{phone} must appear in the URL or the body"]
        elif "{text}" not in config["url"] + config.get("body", ""):
            errors["sms_config.body"] = ["{text} must appear in the URL or the body"]
    return errors


def change(shop: Shop, vault: Vault, values: dict, author: str) -> dict:
    """Store the given settings in one transaction (the rest kept) and return them all, as read.

    A secret given as None is removed and as "set" kept; switches given change only their types
    (``{"email": {"points.spent": true}}`` leaves the other e-mails as they were); the reminder's
    days publish a new program version (by ``author``) only when they differ from the running one.
    """
    values = dict(values)
    secrets = {name: values.pop(name) for name in SECRETS if name in values}
    secrets = {name: value for name, value in secrets.items() if value != SET}
    days = values.pop(REMINDER_DAYS, None)
    current = settings.load(shop)
    for channel in SWITCHES:  # a switch given changes that type; the others stay
        if channel in values:
            values[channel] = {**getattr(current, channel), **values[channel]}
    merged = dataclasses.replace(current, **values)
    errors = sms_config_errors(merged.sms_provider, merged.sms_config)
    if errors:
        raise Invalid("the SMS gateway's settings do not fit it", fields=errors)
    with database.atomic():
        settings.save(shop, **values)
        if secrets:
            encrypted = {getattr(NotifySettings, name): vault.encrypt(v) for name, v in secrets.items()}
            NotifySettings.update(encrypted).where(NotifySettings.shop == shop.id).execute()
        _, program = versions.current(shop.id)
        if days is not None and days != program[REMINDER_DAYS]:
            changes.publish(shop.id, {**document.dump(program), REMINDER_DAYS: days}, author=author)
    return read(shop)


def smtp_url_problem(url: str) -> str | None:
    """Why a mail server's URL cannot work (``smtp://user:pass@host:587?starttls=1``, ``smtps://…``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        return "must start with smtp:// or smtps://"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return "the port must be a number from 1 to 65535"
    if not parts.hostname:
        return "names no host"
    return None
