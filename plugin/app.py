"""The app factory: it only wires configuration, subsystems and blueprints."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

import widgets
from plugin import admin, dashboard
from plugin.config import load_settings
from plugin.core import db
from plugin.core.crypto import Vault
from plugin.http import (
    bodies,
    converters,
    ecwid,
    errors,
    insales,
    oauth,
    public,
    sessions,
    unsubscribe,
    woocommerce,
)
from plugin.http.runtime import Runtime
from plugin.notify.email import transport as mail_transport
from plugin.pipeline import bootstrap, queue
from webhooks import receivers
from webhooks.shopify import payloads


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
    app.session_interface = sessions.CookieSessions()
    if settings.secret_is_generated:
        app.logger.warning("LOYALTY_SECRET_KEY is not set: using the development key (SQLite only)")
    converters.init_app(app)
    vault = Vault(settings.secret_key)
    app.extensions["loyalty"] = Runtime(settings=settings, vault=vault)
    payloads.key_fingerprints(vault)
    db.bind(settings.database_url, server_prepare=settings.prepared_statements)
    db.init_app(app)
    queue.configure(settings.redis_url, settings.batch_size)
    bootstrap.wire()  # requests move points too (redemptions, adjustments): their facts need handlers
    mail_transport.configure(settings)
    errors.init_app(app)
    app.before_request(bodies.refuse_nul_in_url)

    app.register_blueprint(public.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(insales.bp)
    app.register_blueprint(ecwid.bp)
    app.register_blueprint(woocommerce.bp)
    app.register_blueprint(unsubscribe.bp)
    receivers.init_app(app)
    admin.init_app(app)
    widgets.init_app(app)
    dashboard.init_app(app)
    return app
