"""The program editor: the running document as JSON, field errors by path, a diff before saving.

Saving goes through plugin.program.changes.publish, exactly as the admin API's PUT does (a new
version with the staff member as author; a tier re-evaluation when the tier rules changed).
"""

from __future__ import annotations

import difflib
import json

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from plugin.core import jsonbody
from plugin.core.errors import flatten
from plugin.core.models import ProgramVersion
from plugin.http.routes import Routes
from plugin.program import changes, document, versions

routes = Routes()

HISTORY = 20


def pretty(program: dict) -> str:
    """The document as the editor shows it and the diff compares it: every default spelled out."""
    return json.dumps(document.dump(program), indent=2, ensure_ascii=False) + "\n"


def check(text: str) -> tuple[dict | None, dict[str, list[str]]]:
    """(loaded program, {}) or (None, {field path: messages}); bad JSON is reported on its line."""
    try:
        raw = jsonbody.loads_object(text)  # nested at most 64 deep, storable text
    except jsonbody.MalformedJson as exc:
        return None, exc.fields or {"document": [exc.message]}
    try:
        return document.load(raw), {}
    except ValidationError as exc:
        return None, dict(sorted(flatten(exc.messages).items()))


def diff(running: str, proposed: str, number: int | None) -> list[str]:
    name = f"v{number}" if number else "default"
    return list(difflib.unified_diff(running.splitlines(), proposed.splitlines(),
                                     fromfile=name, tofile="new", lineterm=""))


def versions_shown(shop_id: int, number: int | None) -> tuple[ProgramVersion | None, list]:
    """The running version's row and the latest versions, as both program pages show them."""
    row = ProgramVersion.get_or_none((ProgramVersion.shop == shop_id) & (ProgramVersion.number == number))
    history = (ProgramVersion.select(ProgramVersion.number, ProgramVersion.author, ProgramVersion.created_at)
               .where(ProgramVersion.shop == shop_id).order_by(ProgramVersion.number.desc()).limit(HISTORY))
    return row, list(history)


def _page(text: str, **extra):
    number, _ = versions.current(g.shop.id)
    row, history = versions_shown(g.shop.id, number)
    context = {"errors": {}, "changes": None, "stale": False, "unchanged": False, **extra}
    return render_template("dashboard/program.html", section="program_editor", text=text, number=number,
                           row=row, history=history, base=number or 0, **context)


@routes.get("/program")
def program():
    _, running = versions.current(g.shop.id)
    return _page(pretty(running), saved=request.args.get("saved", type=int),
                 tier_run=request.args.get("tier_run", type=int))


@routes.post("/program")
def program_submit():
    """'review' shows the errors or the diff; 'save' stores it if the running version is still
    the one the diff was made against (two owners editing at once see each other's change)."""
    text = request.form.get("document", "")
    number, running = versions.current(g.shop.id)
    loaded, errors = check(text)
    if errors:
        return _page(text, errors=errors), 422
    lines = diff(pretty(running), pretty(loaded), number)
    if not lines:
        return _page(text, unchanged=True)
    stale = request.form.get("base", type=int) != (number or 0)
    if request.form.get("action") != "save" or stale:
        return _page(text, changes=lines, stale=stale and request.form.get("action") == "save")
    row, _, run = changes.publish(g.shop.id, jsonbody.loads_object(text), author=g.staff.actor)
    return redirect(url_for("dashboard.program", saved=row.number, tier_run=run.id if run else None), 303)
