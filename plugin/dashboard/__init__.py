"""The store owner's dashboard: server-rendered pages at /admin, and the public rules page.

Pages are Jinja templates (templates/dashboard/), in Russian and English (i18n.py), signed in per
shop (auth.py). Each page module writes down its routes (``routes``); ``init_app`` puts them on
the dashboard's blueprint and registers it with the rules page's.
"""

from __future__ import annotations

from flask import Flask

from plugin.dashboard import (
    adjust_page,
    analytics_page,
    auth,
    bulk_page,
    codes_page,
    customers_page,
    economics_page,
    editor_page,
    events_page,
    imports_page,
    layout,
    messages_page,
    notifications_page,
    notify_templates_page,
    overview,
    privacy_page,
    program_page,
    rules_page,
    webhooks_page,
)
from plugin.http.routes import blueprint

#: Every module with routes under /admin, in the order their hooks run (auth signs the owner in).
MODULES = (customers_page, adjust_page, auth, layout, analytics_page, economics_page, bulk_page, codes_page,
           events_page, imports_page, overview, privacy_page, program_page, editor_page, notifications_page,
           messages_page, webhooks_page, notify_templates_page)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint("dashboard", __name__, MODULES, url_prefix="/admin",
                                     template_folder="templates", static_folder="static",
                                     static_url_path="/static"))
    app.register_blueprint(rules_page.bp)
