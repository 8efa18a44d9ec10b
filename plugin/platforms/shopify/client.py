"""Shopify: OAuth token grants, the Admin GraphQL API and the OAuth query signature."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from plugin.core import clock
from plugin.core.crypto import hmac_sha256, same
from plugin.platforms import PlatformError

API_VERSION = "2025-10"  # automatic discounts for a customer segment (`context`) start here
TIMEOUT = 10  # seconds, for every call: a slow store must not hold a web process or a worker
TOKEN_PATH = "/admin/oauth/access_token"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
UNSIGNED = ("hmac", "signature")


@dataclass(frozen=True)
class Token:
    """An offline access token and, when it expires, the refresh token that renews it."""

    access_token: str
    scope: str
    expires_at: datetime | None
    refresh_token: str | None
    refresh_token_expires_at: datetime | None

    @classmethod
    def from_response(cls, body: dict) -> Token:
        """Absolute expiry times from Shopify's relative ``expires_in`` seconds."""
        if not body.get("access_token"):
            raise PlatformError("Shopify's token response has no access_token")
        now = clock.now()

        def after(key: str) -> datetime | None:
            return now + timedelta(seconds=int(body[key])) if body.get(key) else None

        return cls(access_token=body["access_token"], scope=body.get("scope", ""),
                   expires_at=after("expires_in"), refresh_token=body.get("refresh_token"),
                   refresh_token_expires_at=after("refresh_token_expires_in"))


class ShopifyClient:
    """One shop's Admin API: every call has a timeout and fails as PlatformError, never raw."""

    def __init__(self, domain: str, access_token: str | None = None,
                 session: requests.Session | None = None):
        self.domain = domain
        self.access_token = access_token
        self.session = session or requests.Session()

    def _post(self, path: str, payload: dict, headers: dict | None = None) -> dict:
        try:
            response = self.session.post(f"https://{self.domain}{path}", json=payload,
                                         headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise PlatformError(f"could not reach {self.domain}: {type(exc).__name__}") from None
        if not response.ok:
            raise PlatformError(f"{self.domain} answered {response.status_code} to {path}: "
                                f"{response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise PlatformError(f"{self.domain} answered {path} without a JSON object")
        return body

    def exchange_code(self, api_key: str, api_secret: str, code: str) -> Token:
        """Authorization code grant, asking for an expiring offline token (with a refresh token)."""
        return Token.from_response(self._post(TOKEN_PATH, {
            "client_id": api_key, "client_secret": api_secret, "code": code, "expiring": "1"}))

    def refresh(self, api_key: str, api_secret: str, refresh_token: str) -> Token:
        """A new access token; Shopify rotates the refresh token too, so both must be saved."""
        return Token.from_response(self._post(TOKEN_PATH, {
            "client_id": api_key, "client_secret": api_secret,
            "grant_type": "refresh_token", "refresh_token": refresh_token}))

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """The ``data`` of an Admin GraphQL call; top-level ``errors`` fail the whole call."""
        if not self.access_token:
            raise PlatformError(f"no access token for {self.domain}; install the app again")
        body = self._post(GRAPHQL_PATH, {"query": query, "variables": variables or {}},
                          {"X-Shopify-Access-Token": self.access_token})
        if body.get("errors") or not isinstance(body.get("data"), dict):
            raise PlatformError(f"{self.domain} GraphQL errors: {json.dumps(body.get('errors'))[:300]}")
        return body["data"]

    def subscribe_webhooks(self, callback_base: str, subscriptions: list[tuple[str, str]]) -> list[str]:
        """Subscribe each (topic, path) in one request; an existing subscription counts as done."""
        if not subscriptions:
            return []
        declared, fields, variables = [], [], {}
        for i, (topic, path) in enumerate(subscriptions):
            declared.append(f"$topic{i}: WebhookSubscriptionTopic!, $url{i}: URL!")
            fields.append(f"s{i}: webhookSubscriptionCreate(topic: $topic{i}, webhookSubscription: "
                          f"{{callbackUrl: $url{i}, format: JSON}}) {{ userErrors {{ field message }} }}")
            variables[f"topic{i}"] = topic.upper().replace("/", "_")
            variables[f"url{i}"] = callback_base + path
        data = self.graphql(f"mutation subscribe({', '.join(declared)}) {{ {' '.join(fields)} }}",
                            variables)
        failed = [
            f"{topic}: {error.get('message')}"
            for i, (topic, _) in enumerate(subscriptions)
            for error in (data.get(f"s{i}") or {}).get("userErrors") or []
            if "already been taken" not in str(error.get("message", "")).lower()
        ]
        if failed:
            raise PlatformError("webhook subscriptions failed: " + "; ".join(failed))
        return [topic for topic, _ in subscriptions]


SHOP_CURRENCY = "query shopCurrency { shop { currencyCode } }"


def shop_currency(client: ShopifyClient) -> str:
    """The shop's own currency (ISO 4217): what its orders' ``shop_money`` amounts are in."""
    code = ((client.graphql(SHOP_CURRENCY).get("shop") or {}).get("currencyCode") or "")
    if not (isinstance(code, str) and len(code) == 3 and code.isalpha()):
        raise PlatformError(f"{client.domain} named no shop currency: {code!r}")
    return code.upper()


def oauth_message(params: Mapping[str, str | list[str]]) -> str:
    """Shopify's signed string: sorted key=value pairs, delimiters escaped, 'ids[]' lists as JSON."""
    pairs = []
    for key, value in params.items():
        if key in UNSIGNED:
            continue
        if key.endswith("[]"):
            key, value = key[:-2], json.dumps([str(v) for v in value])
        key = key.replace("%", "%25").replace("=", "%3D")
        pairs.append(f"{key}={str(value).replace('%', '%25')}".replace("&", "%26"))
    return "&".join(sorted(pairs))


def oauth_query_valid(secret: str, params: Mapping[str, str | list[str]], given: str | None) -> bool:
    """The install redirect's hex HMAC-SHA256, compared in constant time."""
    if not given:
        return False
    return same(hmac_sha256(secret, oauth_message(params).encode()).hex(), given)
