"""The overview: live counts of the shop (plugin.reports.shop_status); the analytics slot adds charts."""

from __future__ import annotations

from flask import g, render_template

from plugin.http.routes import Routes
from plugin.reports import shop_status

routes = Routes()


@routes.get("/overview")
def overview():
    return render_template("dashboard/overview.html", section="overview", **shop_status.overview(g.shop.id))
