"""Bulk adjustments from a CSV file: upload, preview, apply as a batch, undo within a day.

plugin.ledger.bulk_adjustments does every step; this page only carries the file between them. The
preview sends the file's text back with the confirm form (with a key made for that preview, so a
double click applies once); applying plans the file again, inside its transaction.
"""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from plugin import customers
from plugin.core.errors import Invalid, LoyaltyError
from plugin.core.i18n import translate
from plugin.dashboard.adjust_page import fresh_key
from plugin.dashboard.layout import NAV
from plugin.dashboard.paging import PAGE_SIZE, cursor, split
from plugin.dashboard.upload import csv_text, file_error
from plugin.http.routes import Routes
from plugin.ledger import bulk_adjustments
from plugin.ledger.adjustments import Conflict

routes = Routes()
SHOWN_ROWS = 500  # preview rows listed on the page; the totals count them all

NAV.insert(NAV.index(("nav.customers", "dashboard.customers")) + 1,
           ("nav.adjustments", "dashboard.adjustments"))


def _list(status: int = 200, **extra):
    before = cursor(request.args.get("before"))
    rows, next_before = split(bulk_adjustments.page(g.shop.id, before=before, limit=PAGE_SIZE + 1), PAGE_SIZE)
    return render_template("dashboard/adjustments.html", section="adjustments", batches=rows,
                           next_before=next_before,
                           window=bulk_adjustments.UNDO_WINDOW, applied=request.args.get("applied", type=int),
                           undone=request.args.get("undone", type=int), **extra), status


@routes.get("/adjustments")
def adjustments():
    return _list()


def _preview(text: str, status: int = 200, alert: str | None = None):
    plan = bulk_adjustments.preview(g.shop.id, text)
    names = customers.names(g.shop.id, (row["customer_id"] for row in plan["rows"][:SHOWN_ROWS]))
    return render_template("dashboard/adjustments_preview.html", section="adjustments", plan=plan,
                           names=names, text=text, key=fresh_key(), shown=SHOWN_ROWS, alert=alert), status


@routes.post("/adjustments/preview")
def bulk_preview():
    try:
        return _preview(csv_text())
    except Invalid as exc:
        return _list(422, file_error=file_error(exc))


@routes.post("/adjustments/apply")
def bulk_apply():
    text = request.form.get("text", "")
    try:
        batch, _ = bulk_adjustments.apply(g.shop.id, text, actor=g.staff.actor,
                                          key=request.form.get("key", ""))
    except Invalid as exc:
        if (exc.fields or {}).get("file"):  # the header itself is wrong: nothing to preview
            return _list(422, file_error=file_error(exc))
        return _preview(text, 422, translate(g.lang, "bulk.nothing_to_apply"))
    except Conflict:
        return _preview(text, 409, translate(g.lang, "bulk.conflict"))
    return redirect(url_for("dashboard.adjustments", applied=batch.id), 303)


@routes.post("/adjustments/<int:batch_id>/undo")
def bulk_undo(batch_id: int):
    try:
        bulk_adjustments.undo(g.shop.id, batch_id, actor=g.staff.actor)
    except (bulk_adjustments.AlreadyUndone, bulk_adjustments.UndoExpired, bulk_adjustments.CannotUndo) as exc:
        return _list(exc.status, undo_error=_undo_error(exc, batch_id))
    return redirect(url_for("dashboard.adjustments", undone=batch_id), 303)


def _undo_error(exc: LoyaltyError, batch_id: int) -> str:
    if isinstance(exc, bulk_adjustments.AlreadyUndone):
        return translate(g.lang, "bulk.already_undone", batch=str(batch_id))
    if isinstance(exc, bulk_adjustments.UndoExpired):
        return translate(g.lang, "bulk.undo_expired", batch=str(batch_id))
    lines = ", ".join(name.removeprefix("line ") for name in exc.fields or {})
    return translate(g.lang, "bulk.cannot_undo", batch=str(batch_id), lines=lines)
