"""Discounts over the Admin GraphQL API: a points code per hold, a tier's automatic discount for its
customer segment, and the customer tags that put customers in a segment."""

from __future__ import annotations

from decimal import Decimal

from plugin.platforms import PlatformError
from plugin.platforms.shopify.client import ShopifyClient

CENT = Decimal("0.01")

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
