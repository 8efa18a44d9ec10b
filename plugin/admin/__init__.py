"""The store owner's API: /api/v1, authenticated with the shop's API key, and its OpenAPI document.

api.py authenticates every request and holds the shared schemas; each other module writes down
its routes (``routes``) and ``init_app`` puts them all on one blueprint. It may import the domain
and plugin.http; nothing below the HTTP layer imports it.
"""

from __future__ import annotations

from flask import Flask

from plugin.admin import (
    activities_api,
    adjustments_api,
    analytics_api,
    api,
    codes_api,
    customers_api,
    discount_codes_api,
    economics_api,
    games_api,
    imports_api,
    notifications_api,
    openapi,
    overview_api,
    privacy_api,
    program_api,
    referrals_api,
    suppressions_api,
    tiers_api,
    webhook_subscriptions_api,
)
from plugin.http.routes import blueprint

#: Every module with routes under /api/v1; api first: its before_request authenticates them all.
MODULES = (api, activities_api, codes_api, customers_api, program_api, tiers_api, adjustments_api,
           analytics_api, economics_api, discount_codes_api,
           games_api, imports_api, overview_api, privacy_api, referrals_api,
           notifications_api, webhook_subscriptions_api, suppressions_api)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint("admin_api", api.__name__, MODULES, url_prefix=api.URL_PREFIX))
    app.register_blueprint(openapi.bp)
