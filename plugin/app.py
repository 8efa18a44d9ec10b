"""The app factory: it only wires configuration, subsystems and blueprints."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from plugin.config import load_settings
from plugin.core import db, errors
from plugin.core.crypto import Vault
from plugin.http import bodies, converters
from plugin.http.runtime import Runtime
from plugin.pipeline import queue
from webhooks import shopify_payloads


def create_app(test_config: Mapping[str, str] | None = None) -> Flask:
    """Build the app from the environment; ``test_config`` overrides environment variables."""
    settings = load_settings({**os.environ, **(test_config or {})})
    app = Flask(__name__)
    https = settings.public_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_SECURE=https,
        # The dashboard runs in the Shopify admin's iframe: a cross-site, partitioned cookie over
        # https. Lax over plain http (browsers drop SameSite=None without Secure); either way the
        # OAuth state cookie survives Shopify's top-level redirect back.
        SESSION_COOKIE_SAMESITE="None" if https else "Lax",
        SESSION_COOKIE_PARTITIONED=https,
    )
    if settings.secret_is_generated:
        app.logger.warning("LOYALTY_SECRET_KEY is not set: using the development key (SQLite only)")
    converters.init_app(app)
    vault = Vault(settings.secret_key)
    app.extensions["loyalty"] = Runtime(settings=settings, vault=vault)
    shopify_payloads.key_fingerprints(vault)
    db.bind(settings.database_url)
    db.init_app(app)
    queue.configure(settings.redis_url, settings.batch_size)
    errors.init_app(app)
    app.before_request(bodies.refuse_nul_in_url)

    from plugin import dashboard
    from plugin.admin import activities_api, api, codes_api, customers_api, openapi, program_api, tiers_api  # noqa: F401 - they add routes to api.bp
    from plugin.admin import adjustments_api as admin_adjustments  # noqa: F401 - adds routes to api.bp
    from plugin.admin import analytics_api as admin_analytics  # noqa: F401 - adds routes to api.bp
    from plugin.admin import games_api as admin_games  # noqa: F401 - adds routes to api.bp
    from plugin.admin import imports_api as admin_imports  # noqa: F401 - adds routes to api.bp
    from plugin.admin import overview_api as admin_overview  # noqa: F401 - adds routes to api.bp
    from plugin.admin import privacy_api as admin_privacy  # noqa: F401 - adds routes to api.bp
    from plugin.admin import referrals_api as admin_referrals  # noqa: F401 - adds routes to api.bp
    from plugin.http import public
    from plugin.platforms.shopify import install
    from webhooks import judgeme, reviews, shopify
    from widgets import api as widget_api
    from widgets import demo_store, offers_api, redeem_api, static_bp, strings_api, transfers_api  # noqa: F401 - offers_api, redeem_api, strings_api, transfers_api add routes to widget_api.bp
    from widgets import games_api as widget_games  # noqa: F401 - adds routes to widget_api.bp
    from widgets import referrals_api as widget_referrals  # noqa: F401 - adds routes to widget_api.bp

    app.register_blueprint(public.bp)
    app.register_blueprint(install.bp)
    app.register_blueprint(shopify.bp)
    app.register_blueprint(judgeme.bp)
    app.register_blueprint(reviews.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(widget_api.bp)
    app.register_blueprint(static_bp.bp)
    app.register_blueprint(demo_store.bp)
    dashboard.init_app(app)
    return app
