"""The demo storefront `loyalty demo` serves: a product page, a checkout and an account page with
the widget.

It stands in for the store: it signs the shopper's widget token server-side, prices the cart as
Shopify would (the shopper's tier price is an automatic discount, plugin.tiers.sync), and its "place
order" turns the cart into a Shopify-shaped paid order delivered as a signed webhook to this
app's own receiver, as Shopify would. It exists only for the demo shop, and only when the app
was started with ``LOYALTY_DEMO_STORE`` in its config (`loyalty demo` sets it): a page that signs
tokens for any customer id must never be reachable on a real deployment.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for

from plugin import customers
from plugin.core import clock, i18n
from plugin.core.db import session
from plugin.core.errors import LoyaltyError
from plugin.core.models import Customer, Hold, Shop
from plugin.core.status import HoldStatus
from plugin.customers import shops
from plugin.http.bodies import json_object
from plugin.http.runtime import runtime
from plugin.program import versions
from plugin.tiers import perks as tier_perks
from plugin.tiers import sync as tier_sync
from webhooks.signatures import shopify_sign
from widgets import api as widget_api
from widgets import identity

bp = Blueprint("demo_store", __name__, url_prefix="/demo", template_folder="templates")

DEMO_SHOP = "demo-store.myshopify.com"
TOKEN_TTL = 3600
CUSTOMER_ID = re.compile(r"^[1-9][0-9]{0,17}$")
CENT = Decimal("0.01")
#: The demo's shoppers (plugin/cli/demo_data/deliveries.json). The demo shop sells in its one currency,
#: roubles (plugin.cli.demo.DEMO_CURRENCY); Bob reads English, Анна Russian, and each has a cart.
SHOPPERS = {
    "207119551": {"name": "Bob Norman", "lang": "en", "currency": "RUB", "cart": "gifts",
                  "email": "bob.norman@mail.example.com"},
    "7390000000001": {"name": "Анна Иванова", "lang": "ru", "currency": "RUB", "cart": "coffee",
                      "email": "anna.ivanova@example.ru"},
}
DEFAULT_SHOPPER = "207119551"
CARTS = {  # (line id, product id, sku, title, unit price, quantity)
    "gifts": [(901, 632910392, "STICKERS-8", "Sticker pack, 8 pieces", "199.00", 1),
              (902, 632910393, "BADGE-W", "Enamel badge", "29.00", 2),
              (903, 632910394, "CARD-S", "Postcard", "15.50", 1)],
    "coffee": [(901, 7390000000301, "COFFEE-1KG", "Кофе в зёрнах 1 кг", "2490.00", 1),
               (902, 7390000000304, "CEZVE-CU", "Турка медная", "1290.00", 1),
               (903, 7390000000305, "FILTER-100", "Фильтры бумажные", "190.00", 2)],
}
#: The page's texts (catalogue keys demo.<name>); the page script fills in "placed" and "hold".
PAGE_TEXTS = ("store", "checkout", "cart", "item", "qty", "price", "subtotal", "discount", "total", "place",
              "placing", "placed", "failed", "hold", "signed_in", "switch", "product", "add", "points",
              "account", "account_intro", "shipping")
#: Shipping the demo charges, free from an amount (the Silver tier's threshold, plugin.cli.demo).
SHIPPING, SHIPS_FREE_FROM = Decimal("190.00"), Decimal(3000)
STATUSES = ("held", "committed", "released")


class InvalidCode(LoyaltyError):
    status, code = 422, "invalid_code"


def demo_shop() -> Shop:
    """The registered demo shop, or 404 when the demo store is off or the shop does not exist."""
    if not current_app.config.get("LOYALTY_DEMO_STORE"):
        abort(404)
    shop = shops.by_domain("shopify", DEMO_SHOP)
    if shop is None or not shop.active:
        abort(404)
    return shop


def shopper_id() -> str:
    customer = (request.args.get("customer") or DEFAULT_SHOPPER).strip()
    if not CUSTOMER_ID.match(customer):
        abort(404)
    return customer


def shopper(customer: str) -> dict:
    return SHOPPERS.get(customer, {"name": f"Customer {customer}", "lang": "en", "currency": "RUB",
                                   "cart": "gifts", "email": None})


def cart_of(who: dict) -> dict:
    """The shopper's demo cart as the page shows it and the widget quotes it (the widget drops the
    titles), in the shop's currency."""
    currency = who["currency"]
    lines = [{"line_id": str(line), "product_id": str(product), "sku": sku, "title": title,
              "price": price, "quantity": quantity, "total": str(Decimal(price) * quantity)}
             for line, product, sku, title, price, quantity in CARTS[who["cart"]]]
    subtotal = sum((Decimal(x["price"]) * x["quantity"] for x in lines), Decimal(0))
    shipping = Decimal(0) if subtotal >= SHIPS_FREE_FROM else SHIPPING
    return {"currency": currency, "lines": lines, "shipping": str(shipping), "subtotal": str(subtotal)}


def tier_price(shop: Shop, customer: str, cart: dict) -> dict | None:
    """The shopper's tier price on the cart as Shopify's automatic discount takes it: the figures
    of plugin.tiers.perks (the widget's quote shows the same), each line's share, the label."""
    _, program = versions.current(shop.id)
    tier = tier_perks.tier_of(program, customers.find(shop.id, customer))
    if tier is None or not tier["discount_percent"]:
        return None
    order = {"shipping": cart["shipping"],
             "lines": [{"line_id": line["line_id"], "amount": line["total"]} for line in cart["lines"]]}
    paid = tier_perks.discounted(order, tier)["lines"]
    benefits = tier_perks.for_cart(tier, order)
    lang = shopper(customer)["lang"]
    name = tier["title"].get(lang) or tier["title"].get("en") or tier["id"]
    return {"percent": benefits["discount_percent"], "amount": benefits["discount"],
            "label": i18n.translate(lang, "demo.tier_price", n=name, d=benefits["discount_percent"]),
            "title": tier_sync.benefit_title(tier, "percent"),
            "shares": [str(Decimal(line["amount"]) - Decimal(after["amount"]))
                       for line, after in zip(order["lines"], paid, strict=True)]}


def totals(cart: dict, tier: dict | None) -> dict:
    """The checkout's figures before points; the page takes the points discount off the total."""
    off = Decimal(tier["amount"]) if tier else Decimal(0)
    return {"subtotal": cart["subtotal"], "shipping": cart["shipping"],
            "total": str(Decimal(cart["subtotal"]) - off + Decimal(cart["shipping"])),
            "tier": tier and {"label": tier["label"], "amount": tier["amount"]}}


def page_texts(lang: str) -> dict:
    return {**{name: i18n.template(lang, "demo." + name) for name in PAGE_TEXTS},
            "statuses": {status: i18n.template(lang, "demo.status." + status) for status in STATUSES}}


def page(template: str, shop: Shop, customer: str, priced: bool = False):
    """A storefront page as ``customer``; ``priced``: with the checkout's figures for them."""
    who = shopper(customer)
    token = identity.issue_token(runtime().vault, shop, customer, TOKEN_TTL)
    others = [{"id": key, "name": value["name"]} for key, value in SHOPPERS.items() if key != customer]
    texts = page_texts(who["lang"])
    cart = cart_of(who)
    figures = totals(cart, tier_price(shop, customer, cart)) if priced else None
    return render_template(template, shop=shop, customer=customer, shopper=who, token=token, t=texts,
                           cart=cart, totals=figures, others=others, lang=who["lang"],
                           page_data={"customer": customer, "texts": texts, "totals": figures,
                                      "order_url": url_for("demo_store.place_order"),
                                      "redemptions_url": f"{widget_api.URL_PREFIX}/redemptions/"})


@bp.get("/product")
def product():
    shop = demo_shop()
    return page("demo_product.html", shop, shopper_id())


@bp.get("/checkout")
def checkout():
    shop = demo_shop()
    return page("demo_checkout.html", shop, shopper_id(), priced=True)


@bp.get("/account")
def account():
    shop = demo_shop()
    return page("demo_account.html", shop, shopper_id())


def held_discount(shop: Shop, customer: str, code: str) -> Hold:
    """The store's own check of the code the shopper applied: held, theirs, not yet used."""
    hold = (Hold.select().join(Customer, on=(Hold.customer == Customer.id))
            .where((Hold.shop == shop.id) & (Hold.code == code.strip().upper())
                   & (Customer.platform_id == customer)).first())
    if hold is None or hold.status != HoldStatus.HELD:
        raise InvalidCode("this discount code is not valid for this shopper")
    return hold


def allocate(discount: Decimal, amounts: list[Decimal]) -> list[Decimal]:
    """Spread a discount over the lines pro rata, to the cent, the rounding left on the last line."""
    subtotal = sum(amounts, Decimal(0))
    shares = [(discount * amount / subtotal).quantize(CENT, ROUND_HALF_UP) for amount in amounts[:-1]]
    return [*shares, discount - sum(shares, Decimal(0))]


def applications(tier: dict | None, code: str | None, discount: Decimal,
                 on_shipping: bool = False) -> list[dict]:
    """The order's discount_applications as Shopify lists them: the tier's automatic discount
    first (the points were priced after it), then the points code (a free-shipping reward's on
    the shipping line)."""
    across = {"allocation_method": "across", "target_selection": "all", "target_type": "line_item"}
    found = []
    if tier:
        found.append({"type": "automatic", "title": tier["title"], "description": tier["title"],
                      "value": tier["percent"], "value_type": "percentage", **across})
    if code:
        found.append({"type": "discount_code", "code": code, "value": str(discount),
                      "value_type": "fixed_amount", **across,
                      "target_type": "shipping_line" if on_shipping else "line_item"})
    return found


def line_item(item_id: int, line: dict, shares: list[Decimal]) -> dict:
    """A Shopify line item; ``shares[i]`` is its part of discount application ``i``."""
    return {"id": item_id, "product_id": int(line["product_id"]), "sku": line["sku"], "title": line["title"],
            "price": line["price"], "quantity": line["quantity"], "gift_card": False,
            "total_discount": str(sum(shares, Decimal(0))),
            "discount_allocations": [{"amount": str(share), "discount_application_index": index}
                                     for index, share in enumerate(shares)]}


def ships_free(shop: Shop, hold: Hold | None) -> bool:
    """The hold is a free-shipping reward's: its code takes the shipping off, not the goods."""
    _, program = versions.current(shop.id)
    kinds = {reward["id"]: reward["kind"] for reward in program["rewards"]}
    return hold is not None and kinds.get(hold.reward) == "free_shipping"


def paid_order(customer: str, cart: dict, tier: dict | None, discount: Decimal, code: str | None,
               on_shipping: bool = False) -> dict:
    """A Shopify-shaped orders/paid body for the demo cart (unique id): each line carries its share
    of the tier discount and of the points discount in ``discount_allocations``, which is what the
    earning engine reads (webhooks.shopify.shop_money.line_amount); a free-shipping code's
    discount sits on the shipping line instead."""
    who = shopper(customer)
    order_id = 10**12 + secrets.randbelow(9 * 10**12)
    lines = cart["lines"]
    amounts = [Decimal(line["total"]) for line in lines]
    tier_shares = [Decimal(share) for share in tier["shares"]] if tier else [Decimal(0)] * len(lines)
    after_tier = [amount - share for amount, share in zip(amounts, tier_shares, strict=True)]
    shipping = Decimal(cart["shipping"])
    most = shipping if on_shipping else sum(after_tier, Decimal(0))
    discount = min(discount, most).quantize(CENT, ROUND_HALF_UP)
    on_lines = discount and not on_shipping
    code_shares = allocate(discount, after_tier) if on_lines else [Decimal(0)] * len(lines)
    by_application = ([tier_shares] if tier else []) + ([code_shares] if code else [])
    subtotal = sum(amounts, Decimal(0))
    lines_off = sum(tier_shares, Decimal(0)) + (Decimal(0) if on_shipping else discount)
    off = lines_off + (discount if on_shipping else Decimal(0))
    shipping_off = [{"amount": str(discount), "discount_application_index": len(by_application) - 1}
                    ] if on_shipping and code else []
    first, _, last = who["name"].partition(" ")
    return {
        "id": order_id, "name": f"#D{order_id % 100000:05d}", "email": who["email"],
        "created_at": clock.iso(clock.now()), "currency": cart["currency"],
        "financial_status": "paid", "total_line_items_price": str(subtotal),
        "subtotal_price": str(subtotal - lines_off), "total_discounts": str(off),
        "total_price": str(subtotal - off + shipping), "total_tax": "0.00",
        "customer": {"id": int(customer), "email": who["email"], "first_name": first, "last_name": last},
        "discount_applications": applications(tier, code, discount, on_shipping),
        "discount_codes": [{"code": code, "amount": str(discount), "type": "fixed_amount"}] if code else [],
        "line_items": [line_item(order_id * 10 + n, line, [shares[n - 1] for shares in by_application])
                       for n, line in enumerate(lines, 1)],
        "shipping_lines": [{"title": "Standard", "price": str(shipping), "discount_allocations": shipping_off}
                           ] if shipping else [],
    }


def deliver(shop: Shop, topic: str, body: dict) -> tuple[int, dict]:
    """POST the order to this app's own Shopify receiver, signed as Shopify signs it."""
    vault, settings = runtime().vault, runtime().settings
    secret = vault.webhook_secret(shop.id) if shop.own_webhook_secret else settings.shopify_api_secret
    raw = json.dumps(body, ensure_ascii=False).encode()
    response = current_app.test_client().post("/webhooks/shopify", data=raw, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-Webhook-Id": f"demo-order-{body['id']}",
        "X-Shopify-Hmac-Sha256": shopify_sign(secret, raw),
    })
    return response.status_code, response.get_json(silent=True) or {}


@bp.post("/checkout/order")
def place_order():
    """The page's "place order": a JSON body {customer, code?} (JSON only: no cross-site form posts)."""
    shop = demo_shop()
    body = json_object() if request.is_json else abort(415)
    customer = str(body.get("customer") or "")
    if not CUSTOMER_ID.match(customer):
        raise LoyaltyError("customer: a platform customer id is required", fields={"customer": ["required"]})
    cart = cart_of(shopper(customer))
    code = (body.get("code") or "").strip() or None
    hold = held_discount(shop, customer, code) if code else None
    order = paid_order(customer, cart, tier_price(shop, customer, cart), hold.amount if hold else Decimal(0),
                       hold.code if hold else None, ships_free(shop, hold))
    status, answer = deliver(shop, "orders/paid", order)  # its request closes the connection
    with session():  # the next cart, at the tier the order reached once applied (at once without Redis)
        after = totals(cart, tier_price(shop, customer, cart))
    return jsonify(order={"id": str(order["id"]), "name": order["name"], "currency": order["currency"],
                          "discount": order["total_discounts"], "total": order["total_price"]},
                   totals=after, redemption=hold.id if hold else None,
                   webhook={"status": status, "outcome": answer.get("status") or answer.get("error")}), 201
