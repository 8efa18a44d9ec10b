"""The program editor in forms: a draft kept per shop, checked as the owner types, previewed on
sample carts and recent orders, published as a new version, compared with any other version.

The form <-> document mapping is plugin.program.form; the checks are the document schema's own
(plugin.program.document), so the form, the JSON page and the admin API judge alike.
"""

from __future__ import annotations

import json
import re

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from marshmallow import ValidationError

from plugin.core import jsonbody
from plugin.core.errors import flatten
from plugin.core.i18n import term, translate
from plugin.core.models import ProgramVersion
from plugin.dashboard.problems import problem
from plugin.dashboard.program_page import diff, pretty, versions_shown
from plugin.http.routes import Routes
from plugin.program import document, drafts, form, point_type_name, preview, versions
from plugin.program.document.points import REWARD_KINDS
from plugin.program.ladder import DEFAULT_LADDER

routes = Routes()

LISTS = ("categories", "point_types", "earning.rate.bands", "earning.category_rules", "tiers.tiers",
         "rewards", "campaigns")
ROW = re.compile(rf"^({'|'.join(re.escape(name) for name in LISTS)})\.\d+$")  # an error on a whole row


def _fields() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in ("csrf_token", "base", "json")}


def judge(fields: dict[str, str], base: dict) -> tuple[dict, dict | None, dict[str, list[str]]]:
    """(the draft document, its loaded program or None, {form field: messages in the page's language})."""
    raw, errors = form.to_document(fields, base)
    program = None
    try:
        program = document.load(raw)
    except ValidationError as exc:
        errors = {**flatten(exc.messages), **errors}
    if program is not None and errors:
        program = None
    placed = form.place(errors, fields)
    return raw, program, {path: [problem(g.lang, m) for m in messages] for path, messages in placed.items()}


def _base() -> dict:
    """What the form edits over: the draft, else the running version as dumped."""
    draft = drafts.get(g.shop.id)
    return draft.document if draft else document.dump(versions.current(g.shop.id)[1])


def _extras(program: dict | None, running: dict, number: int | None) -> dict:
    """The preview and the diff against the running version (only for a valid draft)."""
    if program is None:
        return {"preview": None, "changes": None}
    return {"preview": preview.compare(g.shop.id, program, running),
            "changes": diff(pretty(running), pretty(program), number),
            "type_name": lambda name: point_type_name(program, name, g.lang, term)}


def _page(raw: dict, errors: dict, program: dict | None, status: int = 200, **extra):
    number, running = versions.current(g.shop.id)
    fields = form.to_fields(raw)
    counts = {name: form.row_count(fields, name) for name in LISTS}
    sent = set(request.form) if request.method == "POST" else set()
    loose = {path: m for path, m in errors.items() if path not in sent and not ROW.match(path)}
    row, history = versions_shown(g.shop.id, number)
    draft = drafts.get(g.shop.id)
    context = {
        "values": fields, "errors": errors, "loose": loose, "counts": counts, "number": number, "row": row,
        "draft": draft, "base": draft.base if draft else number or 0, "history": history,
        "currency": g.shop.currency,
        "category_names": list(raw.get("categories") or {}), "type_names": list(raw.get("point_types") or {}),
        "reward_kinds": [(kind, translate(g.lang, f"editor.reward.{kind}")) for kind in REWARD_KINDS],
        "ladder_json": json.dumps(form.to_fields({"point_types": {}, "earning": {"rate": {"kind": ""}},
                                                  "tiers": DEFAULT_LADDER}), ensure_ascii=False),
        "json_text": json.dumps(raw, indent=2, ensure_ascii=False) + "\n", "json_errors": {},
        **_extras(program, running, number), **extra}
    return render_template("dashboard/program_editor.html", section="program_editor", **context), status


@routes.get("/program/edit")
def program_editor():
    raw = _base()
    _, program, _ = judge(form.to_fields(raw), raw)  # the script shows a draft's errors as it loads
    return _page(raw, {}, program, saved=request.args.get("saved", type=int),
                 tier_run=request.args.get("tier_run", type=int))


@routes.post("/program/check")
def program_check():
    """The draft as the owner types: kept, judged; {"errors": {field: messages}, "document": JSON,
    "preview": the preview's HTML} (JSON, for the editor's script)."""
    number, running = versions.current(g.shop.id)
    raw, program, errors = judge(_fields(), _base())
    _keep(raw, program, running, request.form.get("base", type=int) or 0)
    extras = _extras(program, running, number)
    html = render_template("dashboard/program_preview.html", currency=g.shop.currency, **extras)
    return jsonify({"errors": errors, "document": json.dumps(raw, indent=2, ensure_ascii=False) + "\n",
                    "preview": html})


def _keep(raw: dict, program: dict | None, running: dict, base: int) -> None:
    """A draft is kept while it differs from the running version (opening the page makes none)."""
    if program is not None and pretty(program) == pretty(running):
        drafts.discard(g.shop.id)
    else:
        drafts.keep(g.shop.id, raw, base, g.staff.actor)


@routes.post("/program/edit")
def program_editor_submit():
    """save: keep the draft; publish: a new version unless the running one moved on since the
    draft began (then the owner sees the newer version's number and publishes again); json: the
    JSON field becomes the draft; discard: back to the running version."""
    action = request.form.get("action")
    number, running = versions.current(g.shop.id)
    if action == "discard":
        drafts.discard(g.shop.id)
        return redirect(url_for("dashboard.program_editor"), 303)
    if action == "json":
        return _from_json(number)
    raw, program, errors = judge(_fields(), _base())
    base = request.form.get("base", type=int) or 0
    _keep(raw, program, running, base)
    if action != "publish":
        return _page(raw, errors, program)
    if errors:
        return _page(raw, errors, None, 422)
    if base != (number or 0):
        drafts.keep(g.shop.id, raw, number or 0, g.staff.actor)
        return _page(raw, {}, program, 409, stale=True)
    row, _, run = drafts.publish(g.shop.id, raw, author=g.staff.actor)
    return redirect(url_for("dashboard.program_editor", saved=row.number,
                            tier_run=run.id if run else None), 303)


def _from_json(number: int | None):
    """The JSON field, when it is a valid program, becomes the draft the form shows."""
    text = request.form.get("json", "")
    try:
        program = document.load(jsonbody.loads_object(text))
    except jsonbody.MalformedJson as exc:
        errors = exc.fields or {"json": [exc.message]}
    except ValidationError as exc:
        errors = flatten(exc.messages)
    else:
        raw = document.dump(program)
        drafts.keep(g.shop.id, raw, request.form.get("base", type=int) or 0, g.staff.actor)
        return _page(raw, {}, program)
    raw = _base()
    shown = {path: [problem(g.lang, m) for m in messages] for path, messages in sorted(errors.items())}
    return _page(raw, {}, None, 422, json_text=text, json_errors=shown)


@routes.get("/program/diff")
def program_diff():
    """Any two versions of the shop's program, side by side as a unified diff."""
    numbers = [n for (n,) in ProgramVersion.select(ProgramVersion.number)
               .where(ProgramVersion.shop == g.shop.id).order_by(ProgramVersion.number).tuples()]
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a not in numbers or b not in numbers:
        abort(404)
    older, newer = pretty(versions.at(g.shop.id, a)), pretty(versions.at(g.shop.id, b))
    lines = [line.replace("+++ new", f"+++ v{b}") for line in diff(older, newer, a)]
    return render_template("dashboard/program_diff.html", section="program_editor", a=a, b=b, numbers=numbers,
                           changes=lines)
