"""Privacy requests (plugin.privacy): what each privacy webhook asked and what was done, and the
export of a data request as a JSON download, to hand to the customer who asked."""

from __future__ import annotations

import json

from flask import g, render_template, request

from plugin import customers
from plugin.core.errors import NotFound
from plugin.core.models import PrivacyRequest
from plugin.dashboard.layout import NAV
from plugin.dashboard.paging import PAGE_SIZE, cursor, split
from plugin.http.downloads import download
from plugin.http.routes import Routes

routes = Routes()

NAV.append(("nav.privacy", "dashboard.privacy"))


@routes.get("/privacy")
def privacy():
    before = cursor(request.args.get("before"))
    columns = (PrivacyRequest.id, PrivacyRequest.topic, PrivacyRequest.customer_platform_id,
               PrivacyRequest.status, PrivacyRequest.requested_at, PrivacyRequest.completed_at,
               PrivacyRequest.export.is_null(False).alias("has_export"))  # not the export itself
    query = PrivacyRequest.select(*columns).where(PrivacyRequest.shop == g.shop.id)
    if before:
        query = query.where(PrivacyRequest.id < before)
    rows, next_before = split(list(query.order_by(PrivacyRequest.id.desc()).limit(PAGE_SIZE + 1)), PAGE_SIZE)
    return render_template("dashboard/privacy.html", section="privacy", requests=rows,
                           names=customers.names(g.shop.id, (r.customer_platform_id for r in rows)),
                           next_before=next_before)


@routes.get("/privacy/<int:request_id>.json")
def privacy_export(request_id: int):
    """The customer's data of a data request (gone once the customer was redacted)."""
    row = PrivacyRequest.get_or_none((PrivacyRequest.id == request_id) & (PrivacyRequest.shop == g.shop.id))
    if row is None or row.export is None:
        raise NotFound(f"no data export {request_id} in this shop")
    name = f"data-request-{row.customer_platform_id or row.id}.json"
    return download(json.dumps(row.export, ensure_ascii=False, indent=2), name, "application/json")
