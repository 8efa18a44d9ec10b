"""One Ecwid store's REST API (``https://app.ecwid.com/api/v3/<storeId>/...``) with the store's
OAuth token as a Bearer header, and the app's code-for-token exchange. Every call has a timeout,
counts against the store's limit (limiter.py) and fails as PlatformError, never raw: RateLimited
(429, or our own count full) carries Retry-After; Refused (401/403) means the token no longer works
(the app was uninstalled); Gone (404) that the entity is not there."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import requests

from plugin.platforms import PlatformError, RateLimited, answer, seconds
from plugin.platforms.ecwid import API_URL, TOKEN_URL
from plugin.platforms.ecwid.limiter import Limiter

TIMEOUT = 10  # seconds, every call
DEFAULT_RETRY_AFTER = 60  # Ecwid's window is a minute


class Refused(PlatformError):
    """Ecwid refused the store's token (401/403): the app is uninstalled, or the scope is missing."""


class Gone(PlatformError):
    """Ecwid has no such entity (404)."""


class Conflict(PlatformError):
    """Ecwid has one already (409: a coupon code that exists)."""


def exact_json(payload: dict) -> bytes:
    """``payload`` as JSON, its Decimal values written as JSON numbers digit for digit (Ecwid's
    money is a number; a float on the way could round it)."""
    marks, plain = {}, {}
    for key, value in payload.items():
        if isinstance(value, Decimal):
            mark = f"\x01{len(marks)}\x01"
            marks[mark], value = format(value, "f"), mark
        plain[key] = value
    text = json.dumps(plain, ensure_ascii=False)
    for mark, digits in marks.items():
        text = text.replace(json.dumps(mark), digits)
    return text.encode()


@dataclass(frozen=True)
class Token:
    access_token: str
    store_id: str
    scope: str


def exchange_code(client_id: str, client_secret: str, code: str, redirect_uri: str,
                  session: requests.Session | None = None) -> Token:
    """The install code for the store's token (a code works once)."""
    try:
        response = (session or requests).post(TOKEN_URL, data={
            "client_id": client_id, "client_secret": client_secret, "code": code,
            "redirect_uri": redirect_uri, "grant_type": "authorization_code"}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise PlatformError(f"could not reach Ecwid: {type(exc).__name__}") from None
    if not response.ok:
        raise Refused(f"Ecwid refused the install code ({response.status_code})")
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    token, store, scope = body.get("access_token"), body.get("store_id"), body.get("scope")
    store_ok = not isinstance(store, bool) and isinstance(store, int | str) and str(store).isdigit() \
        and 0 < int(store) < 10**18
    if not isinstance(token, str) or not token or not store_ok:
        raise PlatformError("Ecwid answered the token request without access_token and store_id")
    return Token(token, str(int(store)), scope if isinstance(scope, str) else "")


class EcwidClient:
    def __init__(self, store_id: str, token: str, limiter: Limiter, session: requests.Session | None = None):
        self.store_id, self.token, self.limiter = store_id, token, limiter
        self.session = session or requests.Session()

    def get(self, path: str, params: dict | None = None):
        return self._call("GET", path, params=params)

    def post(self, path: str, payload: dict):
        """``payload`` as JSON, a Decimal written as a JSON number exactly (Ecwid's money), never a float."""
        return self._call("POST", path, data=exact_json(payload),
                          headers={"Content-Type": "application/json"})

    def delete(self, path: str):
        return self._call("DELETE", path)

    def _call(self, method: str, path: str, **kwargs):
        wait = self.limiter.take(self.store_id)
        if wait is not None:
            raise RateLimited(f"Ecwid store {self.store_id}: request limit reached; not calling {path}", wait)
        url = f"{API_URL}/{self.store_id}{path}"
        try:
            headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
            response = self.session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise PlatformError(f"could not reach Ecwid: {type(exc).__name__}") from None
        where = f"Ecwid store {self.store_id} answered {response.status_code} to {method} {path}"
        if response.status_code == 429:
            raise RateLimited(f"{where} (rate limit)",
                              seconds(response.headers.get("Retry-After"), DEFAULT_RETRY_AFTER))
        if response.status_code in (401, 403):
            raise Refused(where)
        if response.status_code == 404:
            raise Gone(where)
        if response.status_code == 409:
            raise Conflict(where)
        if response.ok and not response.content:
            return None
        return answer(response, where)
