"""The store owner's dashboard: server-rendered pages at /admin, and the public rules page.

Pages are Jinja templates (templates/dashboard/), in Russian and English (i18n.py), signed in per
shop (auth.py). Each page module adds its routes to ``bp``; ``init_app`` imports them and
registers the blueprints.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("dashboard", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")


def init_app(app: Flask) -> None:
    from plugin.dashboard import (  # noqa: F401 - each adds its routes to bp
        adjust_page,
        analytics_page,
        auth,
        bulk_page,
        codes_page,
        customers_page,
        events_page,
        imports_page,
        layout,
        overview,
        privacy_page,
        program_page,
        rules_page,
    )

    app.register_blueprint(bp)
    app.register_blueprint(rules_page.bp)
