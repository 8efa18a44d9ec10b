"""Activation codes: the shop's batches, a form to generate one, and each batch as CSV (plugin.earn.codes)."""

from __future__ import annotations

import io

from flask import g, redirect, render_template, request, url_for

from plugin.core.errors import LoyaltyError
from plugin.dashboard import bp
from plugin.earn import codes
from plugin.http.downloads import download
from plugin.program import versions

FIELDS = ("count", "points", "point_type", "batch", "prefix")


def _page(form: dict, errors: dict | None = None, created: str | None = None, status: int = 200):
    point_types = list(versions.current(g.shop.id)[1]["point_types"])
    return render_template("dashboard/codes.html", section="codes", batches=codes.batches(g.shop.id),
                           point_types=point_types, form=form, errors=errors or {}, created=created,
                           max_count=codes.MAX_COUNT), status


def _whole(value: str, name: str, errors: dict) -> int:
    try:
        return int(value)
    except ValueError:
        errors[name] = ["must be a whole number"]
        return 0


@bp.get("/codes", endpoint="codes")
def codes_index():
    return _page({"count": "100", "points": "500"}, created=request.args.get("created"))


@bp.post("/codes")
def codes_generate():
    form = {name: request.form.get(name, "").strip() for name in FIELDS}
    errors: dict = {}
    count, points = _whole(form["count"], "count", errors), _whole(form["points"], "points", errors)
    if errors:
        return _page(form, errors, status=422)
    try:
        batch = codes.generate(g.shop.id, count, points, point_type=form["point_type"] or None,
                               batch=form["batch"] or None, prefix=form["prefix"] or None)
    except LoyaltyError as exc:
        return _page(form, exc.fields or {"_": [exc.message]}, status=exc.status)
    return redirect(url_for("dashboard.codes", created=batch.name), 303)


@bp.get("/codes/<batch>.csv")
def codes_csv(batch: str):
    out = io.StringIO()
    codes.write_csv(g.shop.id, batch, out)  # NotFound for another shop's batch
    return download(out.getvalue(), f"activation-codes-{batch}.csv")
