"""GET /widget/v1/strings?lang=ru: the widget's texts in one language, from the catalogue.

The same for every shop and shopper (no one is identified), so browsers and CDNs may cache it and
any storefront origin may read it. Texts keep their {placeholders} for the widget to fill; plural
words come as forms by CLDR category for the widget's Intl.PluralRules.
"""

from __future__ import annotations

from flask import jsonify, request

from plugin.core.i18n import chosen, forms, keys, template
from plugin.http.routes import Routes

routes = Routes()

PREFIX = "widget."
PLURALS = ("points", "orders")
CACHE_SECONDS = 3600


@routes.get("/strings")
def strings():
    lang = chosen(request.args.get("lang"))
    response = jsonify({"lang": lang,
                        "texts": {key[len(PREFIX):]: template(lang, key) for key in keys(PREFIX)},
                        "plurals": {name: forms(lang, name) for name in PLURALS}})
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Content-Language"] = lang
    return response
