"""SMS gateways behind one interface: ``send(phone, text)`` returns the gateway's id for the message
or raises SmsError, which says whether trying again can help. SMS.ru (the Russian gateway most shops
already have an account with) and a generic HTTP gateway (a URL and body template and an auth
header) for any other. Every call has a timeout; nothing follows a redirect."""

from __future__ import annotations

import json
from typing import Protocol
from urllib.parse import quote, quote_plus

import requests

from plugin.notify.settings import Settings

TIMEOUT = (5, 15)  # connect, read: seconds
SMSRU_URL = "https://sms.ru/sms/send"
#: SMS.ru's answers about the recipient itself (bad number, no route, on the stop list): no retry.
SMSRU_PERMANENT = {202, 207, 209}
SMSRU, HTTP = "smsru", "http"
PROVIDERS = (SMSRU, HTTP)


class SmsError(Exception):
    """A text the gateway did not take: ``permanent`` when retrying cannot help, ``recipient`` when
    the fault is the number itself (it is suppressed), ``code`` the gateway's or HTTP status."""

    def __init__(self, message: str, *, permanent: bool = False, recipient: bool = False,
                 code: int | None = None):
        super().__init__(message)
        self.permanent, self.recipient, self.code = permanent or recipient, recipient, code


class Provider(Protocol):
    def send(self, phone: str, text: str) -> str | None:
        """Hand one text to the gateway; the gateway's message id when it gives one, or SmsError."""


class SmsRu:
    """https://sms.ru/api/send: POST api_id, to, msg, from and json=1; the answer carries a status
    for the request and one per number (``status_code`` 100 is accepted)."""

    def __init__(self, http: requests.Session, api_id: str, sender: str | None = None):
        self.http, self.api_id, self.sender = http, api_id, sender

    def send(self, phone: str, text: str) -> str | None:
        form = {"api_id": self.api_id, "to": phone, "msg": text, "json": 1}
        if self.sender:
            form["from"] = self.sender
        answer = _answer(self.http.post(SMSRU_URL, data=form, timeout=TIMEOUT, allow_redirects=False))
        try:
            body = answer.json()
        except ValueError:
            raise SmsError(f"SMS.ru answered something that is not JSON: {answer.text[:200]}",
                           code=answer.status_code) from None
        result = (body.get("sms") or {}).get(phone) or body
        if body.get("status") == "OK" and result.get("status") == "OK":
            return result.get("sms_id")
        code = _int(result.get("status_code"))
        raise SmsError(f"SMS.ru {code}: {result.get('status_text') or 'refused'}",
                       recipient=code in SMSRU_PERMANENT, code=code)


class HttpGateway:
    """Any gateway that takes one HTTP call: ``url`` and ``body`` are templates where ``{phone}`` and
    ``{text}`` are replaced (URL-encoded in the URL; JSON-escaped in a body that is JSON, form-encoded
    otherwise), and the secret goes in the ``auth_header`` (e.g. ``Authorization: Bearer …``)."""

    def __init__(self, http: requests.Session, config: dict, secret: str | None):
        self.http, self.config, self.secret = http, config, secret

    def send(self, phone: str, text: str) -> str | None:
        values = {"phone": phone, "text": text}
        url = _fill(self.config["url"], values, quote)
        body = self.config.get("body") or None
        headers = {}
        if body is not None:
            is_json = body.lstrip().startswith(("{", "["))
            body = _fill(body, values, (lambda v: json.dumps(v)[1:-1]) if is_json else quote_plus)
            headers["Content-Type"] = "application/json" if is_json else "application/x-www-form-urlencoded"
        if self.config.get("auth_header") and self.secret:
            headers[self.config["auth_header"]] = self.secret
        method = self.config.get("method") or "POST"
        _answer(self.http.request(method, url, data=body and body.encode(), headers=headers,
                                  timeout=TIMEOUT, allow_redirects=False))
        return None


def _fill(template: str, values: dict[str, str], escape) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", escape(value))
    return template


def _answer(response: requests.Response) -> requests.Response:
    """The response when it is a 2xx. A 4xx will not change on retry, except a timeout, throttling
    and refused credentials (the owner may fix them while the retries last)."""
    if 200 <= response.status_code < 300:
        return response
    code = response.status_code
    raise SmsError(f"gateway answered HTTP {code}: {response.text[:200]}",
                   permanent=400 <= code < 500 and code not in (401, 403, 408, 429), code=code)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def provider(settings: Settings, secret: str | None, http: requests.Session) -> Provider:
    """The shop's gateway; SmsError (permanent) when it has none or it lacks what it needs."""
    config = settings.sms_config or {}
    if settings.sms_provider == SMSRU and secret:
        return SmsRu(http, secret, config.get("sender"))
    if settings.sms_provider == HTTP and config.get("url"):
        return HttpGateway(http, config, secret)
    raise SmsError(f"no SMS gateway set up (provider {settings.sms_provider!r})", permanent=True)
