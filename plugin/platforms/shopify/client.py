"""Shopify: OAuth token grants, the Admin GraphQL API and the OAuth query signature."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests

from plugin.core import clock
from plugin.core.crypto import hmac_sha256, same
from plugin.platforms import PlatformError

API_VERSION = "2025-10"  # automatic discounts for a customer segment (`context`) start here
TIMEOUT = 10  # seconds, for every call: a slow store must not hold a web process or a worker
TOKEN_PATH = "/admin/oauth/access_token"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
UNSIGNED = ("hmac", "signature")
CENT = Decimal("0.01")


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


DISCOUNT_CREATE = """
mutation discount($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field message }
  }
}"""
DISCOUNT_DELETE = """
mutation undiscount($id: ID!) {
  discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field message } }
}"""


#: Points codes and tier discounts stack with each other and with the store's own discounts.
COMBINES = {"orderDiscounts": True, "productDiscounts": True, "shippingDiscounts": True}


SHOP_CURRENCY = "query shopCurrency { shop { currencyCode } }"


def shop_currency(client: ShopifyClient) -> str:
    """The shop's own currency (ISO 4217): what its orders' ``shop_money`` amounts are in."""
    code = ((client.graphql(SHOP_CURRENCY).get("shop") or {}).get("currencyCode") or "")
    if not (isinstance(code, str) and len(code) == 3 and code.isalpha()):
        raise PlatformError(f"{client.domain} named no shop currency: {code!r}")
    return code.upper()


def customer_gid(customer_id: str) -> str:
    return f"gid://shopify/Customer/{customer_id}"


def discount_input(code: str, amount: str, customer_id: str, starts_at: str, ends_at: str) -> dict:
    """A single-use amount-off code that only this customer can use, until the hold lapses."""
    return {
        "title": f"Loyalty points {code}", "code": code, "startsAt": starts_at, "endsAt": ends_at,
        "usageLimit": 1, "appliesOncePerCustomer": True, "combinesWith": COMBINES,
        "context": {"customers": {"add": [customer_gid(customer_id)]}},
        "customerGets": {"value": {"discountAmount": {"amount": amount, "appliesOnEachItem": False}},
                         "items": {"all": True}},
    }


def create_discount(client: ShopifyClient, discount: dict) -> str:
    """Create the discount code; returns its node id (to delete it if the hold is released)."""
    result = _user_errors(client.graphql(DISCOUNT_CREATE, {"discount": discount})["discountCodeBasicCreate"],
                          "discount code refused")
    return result["codeDiscountNode"]["id"]


def delete_discount(client: ShopifyClient, node_id: str) -> None:
    _user_errors(client.graphql(DISCOUNT_DELETE, {"id": node_id})["discountCodeDelete"],
                 "discount code not deleted")


def _user_errors(result: dict | None, what: str) -> dict:
    """The mutation's payload; its userErrors fail the call as a PlatformError naming ``what``."""
    result = result or {}
    if result.get("userErrors"):
        raise PlatformError(f"{what}: " + "; ".join(str(e.get("message")) for e in result["userErrors"]))
    return result


SEGMENT_CREATE = """
mutation segment($name: String!, $query: String!) {
  segmentCreate(name: $name, query: $query) { segment { id } userErrors { field message } }
}"""
SEGMENT_DELETE = """
mutation unsegment($id: ID!) { segmentDelete(id: $id) { deletedSegmentId userErrors { field message } } }"""
AUTOMATIC_CREATE = {
    "percent": """
mutation tierDiscount($discount: DiscountAutomaticBasicInput!) {
  discountAutomaticBasicCreate(automaticBasicDiscount: $discount) {
    automaticDiscountNode { id } userErrors { field message } } }""",
    "shipping": """
mutation tierShipping($discount: DiscountAutomaticFreeShippingInput!) {
  discountAutomaticFreeShippingCreate(freeShippingAutomaticDiscount: $discount) {
    automaticDiscountNode { id } userErrors { field message } } }""",
}
AUTOMATIC_DELETE = """
mutation untier($id: ID!) {
  discountAutomaticDelete(id: $id) { deletedAutomaticDiscountId userErrors { field message } } }"""


def create_segment(client: ShopifyClient, name: str, tag: str) -> str:
    """A customer segment of the customers carrying ``tag``; returns its id."""
    result = _user_errors(client.graphql(SEGMENT_CREATE, {
        "name": name, "query": f"customer_tags CONTAINS '{tag}'"})["segmentCreate"], "segment refused")
    return result["segment"]["id"]


def delete_segment(client: ShopifyClient, segment_id: str) -> None:
    _user_errors(client.graphql(SEGMENT_DELETE, {"id": segment_id})["segmentDelete"], "segment not deleted")


def tier_discount_input(kind: str, title: str, segment_id: str, starts_at: str, *,
                        percent: Decimal | None = None, threshold: Decimal | None = None) -> dict:
    """An automatic discount for one segment: ``percent`` off every item, or free shipping from a
    subtotal of ``threshold`` (0: always)."""
    common = {"title": title, "startsAt": starts_at, "combinesWith": COMBINES,
              "context": {"customerSegments": {"add": [segment_id]}}}
    if kind == "percent":
        return {**common, "customerGets": {"value": {"percentage": float(percent / 100)},
                                           "items": {"all": True}}}
    minimum = str(threshold.quantize(CENT)) if threshold else None
    return {**common, "destination": {"all": True},
            "minimumRequirement": minimum and {"subtotal": {"greaterThanOrEqualToSubtotal": minimum}}}


def create_tier_discount(client: ShopifyClient, kind: str, discount: dict) -> str:
    field = {"percent": "discountAutomaticBasicCreate",
             "shipping": "discountAutomaticFreeShippingCreate"}[kind]
    result = _user_errors(client.graphql(AUTOMATIC_CREATE[kind], {"discount": discount})[field],
                          "tier discount refused")
    return result["automaticDiscountNode"]["id"]


def delete_tier_discount(client: ShopifyClient, node_id: str) -> None:
    _user_errors(client.graphql(AUTOMATIC_DELETE, {"id": node_id})["discountAutomaticDelete"],
                 "tier discount not deleted")


def retag_customers(client: ShopifyClient, moves: list[tuple[str, list[str], list[str]]]) -> None:
    """Tag changes for several customers in one request: (customer id, tags to add, to remove)."""
    declared, parts, variables = [], [], {}
    for i, (customer_id, add, remove) in enumerate(moves):
        if not add and not remove:
            continue
        declared.append(f"$id{i}: ID!")
        variables[f"id{i}"] = customer_gid(customer_id)
        for verb, tags in (("Add", add), ("Remove", remove)):
            if tags:
                declared.append(f"${verb}{i}: [String!]!")
                variables[f"{verb}{i}"] = tags
                parts.append(f"{verb.lower()}{i}: tags{verb}(id: $id{i}, tags: ${verb}{i}) "
                             "{ userErrors { field message } }")
    if not parts:
        return
    data = client.graphql(f"mutation retag({', '.join(declared)}) {{ {' '.join(parts)} }}", variables)
    failed = [str(error.get("message")) for result in data.values() for error in
              (result or {}).get("userErrors") or []]
    if failed:
        raise PlatformError("customer tags not changed: " + "; ".join(failed))


CATALOG_QUERY = """
query catalog($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant { id price compareAtPrice product { id tags productType vendor updatedAt } }
    ... on Product { id tags productType vendor updatedAt }
  }
}"""
#: ``nodes`` takes at most 250 ids; a variant with its product costs 2 points of the 1000 a query may.
NODES_PER_CALL = 250


def _numeric(gid: str) -> str:
    return str(gid).rsplit("/", 1)[-1]


def _utc(moment: str | None) -> str | None:
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return None  # unknown: the cached facts are taken as the newest
    return (parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed).isoformat()


def catalog_facts(client: ShopifyClient, variant_ids: list[str], product_ids: list[str]) -> dict[str, dict]:
    """Tags, type, vendor and variant prices, asked by variant (and by product for lines without
    one): product id -> facts. Variants, not products with all their variants, because a
    product's ``variants(first: N)`` costs N points and a query may cost 1000: 250 lines per call."""
    ids = ([f"gid://shopify/ProductVariant/{v}" for v in variant_ids]
           + [f"gid://shopify/Product/{p}" for p in product_ids])
    found: dict[str, dict] = {}
    for start in range(0, len(ids), NODES_PER_CALL):
        nodes = client.graphql(CATALOG_QUERY, {"ids": ids[start:start + NODES_PER_CALL]}).get("nodes") or []
        for node in nodes:
            if not isinstance(node, dict) or not node.get("id"):
                continue  # deleted since the order, or not ours to read
            product = node.get("product") or node
            if not product.get("id"):
                continue
            facts = found.setdefault(_numeric(product["id"]), {
                "tags": [str(tag)[:255] for tag in product.get("tags") or []],
                "product_type": (product.get("productType") or "")[:255] or None,
                "vendor": (product.get("vendor") or "")[:255] or None,
                "updated_at": _utc(product.get("updatedAt")), "variants": {}})
            if node is not product:
                facts["variants"][_numeric(node["id"])] = {
                    "price": node.get("price"), "compare_at_price": node.get("compareAtPrice")}
    return found


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
