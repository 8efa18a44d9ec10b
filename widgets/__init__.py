"""What the shopper's browser touches: the widget API (/widget/v1), its script and styles, and the
demo storefront. HTTP only: balances, offers and holds come from the domain packages of plugin/.

api.py identifies the shopper before every view; each other API module writes down its routes
(``routes``) and ``init_app`` puts them all on one blueprint.
"""

from __future__ import annotations

from flask import Flask

from plugin.http.routes import blueprint
from widgets import (
    api,
    demo_store,
    games_api,
    offers_api,
    redeem_api,
    referrals_api,
    static_bp,
    strings_api,
    transfers_api,
)

#: Every module with routes under /widget/v1; api first: its before_request identifies the shopper.
MODULES = (api, offers_api, redeem_api, transfers_api, games_api, referrals_api, strings_api)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint("widget_api", api.__name__, MODULES, url_prefix=api.URL_PREFIX))
    app.register_blueprint(static_bp.bp)
    app.register_blueprint(demo_store.bp)
