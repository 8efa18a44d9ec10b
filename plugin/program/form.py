"""The program editor's form: flat fields named by document path <-> the program document.

A field is named for what it sets (``earning.rate.percent``; rows are numbered, as in
``earning.category_rules.0.multiplier``; the named sections, categories and point types, by row
too, their name in ``.name``), so the schema's error paths lead to fields (``place``). Lists are
comma-separated text; a checkbox is "on" or absent. The form covers the sections an owner edits;
the rest of the document (offers, games, activities, transfers, rounding, limits...) is carried
over from the base document untouched. The schema stays the one judge: this module only reshapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from plugin.program.document import LANGUAGES
from plugin.program.ladder import DEFAULT_LADDER

ON = "on"
NAMED = ("categories", "point_types")  # sections keyed by name: a row's name is its key
MATCHERS = ("sku_prefixes", "tags", "product_types", "vendors", "product_ids")
TIER_FIELDS = ("threshold", "discount_percent", "free_shipping_threshold", "earn_multiplier")
REWARD_AMOUNTS = ("amount", "percent", "min_order")
CHOICES = ("kind", "point_type")  # a select always has a value: it alone does not make a row
_ROW = re.compile(r"^(?P<section>.+?)\.(?P<n>\d+)\.(?P<field>.+)$")


# --- document -> form ----------------------------------------------------------------------------

def to_fields(raw: dict) -> dict[str, str]:
    """The form's values for a document as dumped (every default spelled out)."""
    out: dict[str, str] = {}

    def put(name: str, value) -> None:
        if isinstance(value, bool):
            if value:
                out[name] = ON
        elif isinstance(value, list):
            out[name] = ", ".join(str(v) for v in value)
        elif value is not None:
            out[name] = str(value)

    for n, (name, cat) in enumerate((raw.get("categories") or {}).items()):
        put(f"categories.{n}.name", name)
        for matcher in MATCHERS:
            put(f"categories.{n}.{matcher}", cat.get(matcher) or [])
    for n, (name, kind) in enumerate(raw["point_types"].items()):
        row = f"point_types.{n}"
        put(f"{row}.name", name)
        _texts(put, f"{row}.label", kind.get("label"))
        put(f"{row}.expiry.kind", kind["expiry"]["kind"])
        put(f"{row}.expiry.days", kind["expiry"].get("days"))
        cap = kind.get("redemption_cap") or {}
        put(f"{row}.redemption_cap.percent", cap.get("percent"))
        put(f"{row}.redemption_cap.category", cap.get("category"))
    earning = raw["earning"]
    for name in ("point_type", "first_order_min_points", "exclude_categories", "exclude_sale_items",
                 "min_order", "pending_days"):
        put(f"earning.{name}", earning.get(name))
    _rate(put, "earning.rate", earning["rate"])
    for n, band in enumerate(earning["rate"].get("bands") or []):
        for key in ("from", "to", "points"):
            put(f"earning.rate.bands.{n}.{key}", band.get(key))
    for n, rule in enumerate(earning.get("category_rules") or []):
        row = f"earning.category_rules.{n}"
        put(f"{row}.category", rule["category"])
        put(f"{row}.multiplier", rule.get("multiplier"))
        _rate(put, f"{row}.rate", rule.get("rate") or {"kind": ""})
    redemption = raw.get("redemption") or {}
    for name in ("point_value", "exclude_categories", "exclude_sale_items"):
        put(f"redemption.{name}", redemption.get(name))
    for section in ("signup", "birthday", "reviews"):
        for key, value in (raw.get(section) or {}).items():
            put(f"{section}.{key}", value)
    referrals = raw.get("referrals") or {}
    for key in ("referrer_points", "friend_points", "friend_reward_on", "point_type"):
        put(f"referrals.{key}", referrals.get(key))
    tiers = raw.get("tiers")
    if tiers:
        put("tiers.enabled", True)
        for key in ("metric", "window", "grace_days"):
            put(f"tiers.{key}", tiers.get(key))
        for n, tier in enumerate(tiers["tiers"]):
            row = f"tiers.tiers.{n}"
            for key in ("id", *TIER_FIELDS, "entry_bonus", "hidden"):
                put(f"{row}.{key}", tier.get(key))
            _texts(put, f"{row}.title", tier.get("title"))
    for n, reward in enumerate(raw.get("rewards") or []):
        row = f"rewards.{n}"
        for key in ("id", "kind", "point_type", "points", *REWARD_AMOUNTS, "product_id", "valid_days",
                    "tiers"):
            put(f"{row}.{key}", reward.get(key))
        _texts(put, f"{row}.title", reward.get("title"))
    put("widget.launcher", (raw.get("widget") or {}).get("launcher"))
    for n, campaign in enumerate(raw.get("campaigns") or []):
        for key in ("name", "starts_at", "ends_at", "multiplier", "bonus", "categories", "customers"):
            put(f"campaigns.{n}.{key}", campaign.get(key))
    return out


def _texts(put, prefix: str, texts: dict | None) -> None:
    for lang in LANGUAGES:
        put(f"{prefix}.{lang}", (texts or {}).get(lang))


def _rate(put, prefix: str, rate: dict) -> None:
    put(f"{prefix}.kind", rate["kind"])
    for key in ("percent", "points", "per"):
        put(f"{prefix}.{key}", rate.get(key))


# --- form -> document ----------------------------------------------------------------------------

def to_document(form: Mapping[str, str], base: dict) -> tuple[dict, dict[str, list[str]]]:
    """(the document the form describes over ``base``, {field: messages} the schema cannot see).

    Only what a form can get wrong on its own is reported here (a row without a name, a name used
    twice); everything else is left for the schema, a number that is not one included."""
    form = {key: value.strip() for key, value in form.items() if isinstance(value, str)}
    rows = _rows(form)
    errors: dict[str, list[str]] = {}
    doc = {key: value for key, value in base.items()}
    doc["categories"] = _named(rows.get("categories", []), "categories", errors,
                               lambda row: {m: _list(row.get(m)) for m in MATCHERS})
    old_types = base.get("point_types") or {}
    doc["point_types"] = _named(rows.get("point_types", []), "point_types", errors,
                                lambda row: _point_type(row, old_types.get(row.get("name"))))
    earning = dict(base.get("earning") or {})
    earning.update({
        "point_type": form.get("earning.point_type") or "regular",
        "first_order_min_points": _int(form.get("earning.first_order_min_points")) or 0,
        "exclude_categories": _list(form.get("earning.exclude_categories")),
        "exclude_sale_items": form.get("earning.exclude_sale_items") == ON,
        "min_order": _amount(form.get("earning.min_order")) or "0",
        "pending_days": _int(form.get("earning.pending_days")) or 0,
        "rate": _rate_of(form, "earning.rate", rows.get("earning.rate.bands", [])) or {"kind": ""},
        "category_rules": [_rule(row) for _, row in rows.get("earning.category_rules", [])],
    })
    doc["earning"] = earning
    doc["redemption"] = {**(base.get("redemption") or {}),
                         "point_value": _amount(form.get("redemption.point_value")) or "1",
                         "exclude_categories": _list(form.get("redemption.exclude_categories")),
                         "exclude_sale_items": form.get("redemption.exclude_sale_items") == ON}
    for section in ("signup", "birthday", "reviews"):
        doc[section] = _grant(form, section)
    doc["referrals"] = _referrals(form, base.get("referrals"))
    doc["tiers"] = _tiers(form, rows.get("tiers.tiers", []), base.get("tiers"))
    old_titles = {reward.get("id"): reward.get("title") for reward in base.get("rewards") or []}
    doc["rewards"] = [_reward(row, old_titles.get(row.get("id"))) for _, row in rows.get("rewards", [])]
    doc["campaigns"] = [_campaign(row) for _, row in rows.get("campaigns", [])]
    doc["widget"] = {**(base.get("widget") or {}), "launcher": form.get("widget.launcher") == ON}
    return doc, errors


def _rows(form: dict[str, str]) -> dict[str, list[tuple[int, dict[str, str]]]]:
    """Numbered rows per section, in their numbers' order; a row left all blank is no row."""
    found: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in form.items():
        matched = _ROW.match(key)
        if matched and len(matched["n"]) < 6:
            found.setdefault(matched["section"], {}).setdefault(int(matched["n"]), {})[
                matched["field"]] = value
    return {section: [(n, row) for n, row in sorted(numbered.items())
                      if any(v for k, v in row.items() if not k.endswith(CHOICES))]
            for section, numbered in found.items()}


def _named(rows, section: str, errors: dict, build) -> dict:
    out: dict = {}
    for n, row in rows:
        name = row.get("name", "")
        if not name:
            errors[f"{section}.{n}.name"] = ["Missing data for required field."]
        elif name in out:
            errors[f"{section}.{n}.name"] = [f"{name!r} is used twice"]
        else:
            out[name] = build(row)
    return out


def _point_type(row: dict[str, str], old: dict | None) -> dict:
    kind = row.get("expiry.kind") or "never"
    cap = _amount(row.get("redemption_cap.percent"))
    return {"label": _texts_of(row, "label", (old or {}).get("label")),
            "expiry": {"kind": kind, "days": _int(row.get("expiry.days")) if kind == "days" else None},
            "redemption_cap": None if cap is None else {
                "percent": cap, "category": row.get("redemption_cap.category") or None}}


def _rate_of(row: Mapping[str, str], prefix: str, bands=()) -> dict | None:
    kind = row.get(f"{prefix}.kind")
    if kind == "percent":
        return {"kind": kind, "percent": _amount(row.get(f"{prefix}.percent"))}
    if kind == "per_amount":
        return {"kind": kind, "points": _int(row.get(f"{prefix}.points")),
                "per": _amount(row.get(f"{prefix}.per"))}
    if kind == "bands":
        return {"kind": kind, "bands": [{"from": _amount(b.get("from")), "to": _amount(b.get("to")),
                                         "points": _int(b.get("points"))} for _, b in bands]}
    return {"kind": kind} if kind else None


def _rule(row: dict[str, str]) -> dict:
    return {"category": row.get("category", ""), "rate": _rate_of(row, "rate"),
            "multiplier": _amount(row.get("multiplier"))}


def _grant(form: Mapping[str, str], section: str) -> dict | None:
    points = _int(form.get(f"{section}.points"))
    if points is None:
        return None
    grant = {"points": points, "point_type": form.get(f"{section}.point_type") or "regular"}
    if section == "reviews":
        grant["monthly_cap"] = _int(form.get("reviews.monthly_cap"))
    return grant


def _referrals(form: Mapping[str, str], base: dict | None) -> dict | None:
    referrer, friend = _int(form.get("referrals.referrer_points")), _int(form.get("referrals.friend_points"))
    if referrer is None and friend is None:
        return None
    return {**(base or {}), "referrer_points": referrer if referrer is not None else 0,
            "friend_points": friend if friend is not None else 0,
            "friend_reward_on": form.get("referrals.friend_reward_on") or "first_order",
            "point_type": form.get("referrals.point_type") or "regular"}


def _tiers(form: Mapping[str, str], rows, base: dict | None) -> dict | None:
    """Off, or the ladder the rows give; turned on with no rows, the market's default ladder."""
    if form.get("tiers.enabled") != ON:
        return None
    if not rows:
        return {**DEFAULT_LADDER, "tiers": [dict(tier) for tier in DEFAULT_LADDER["tiers"]]}
    ladder = {key: value for key, value in (base or DEFAULT_LADDER).items() if key != "tiers"}
    ladder["metric"] = form.get("tiers.metric") or "points_earned"
    ladder["window"] = form.get("tiers.window") or ladder.get("window") or "lifetime"
    grace = _int(form.get("tiers.grace_days"))
    if grace is not None:
        ladder["grace_days"] = grace
    titles = {tier.get("id"): tier.get("title") for tier in (base or {}).get("tiers") or []}
    ladder["tiers"] = [{"id": row.get("id", ""), "title": _texts_of(row, "title", titles.get(row.get("id"))),
                        "threshold": _amount(row.get("threshold")) or "0",
                        "discount_percent": _amount(row.get("discount_percent")) or "0",
                        "free_shipping_threshold": _amount(row.get("free_shipping_threshold")),
                        "earn_multiplier": _amount(row.get("earn_multiplier")) or "1",
                        "entry_bonus": _int(row.get("entry_bonus")) or 0,
                        "hidden": row.get("hidden") == ON} for _, row in rows]
    return ladder


def _reward(row: dict[str, str], old_title: dict | None) -> dict:
    return {"id": row.get("id", ""), "kind": row.get("kind", ""), "title": _texts_of(row, "title", old_title),
            "point_type": row.get("point_type") or "regular", "points": _int(row.get("points")),
            "amount": _amount(row.get("amount")), "percent": _amount(row.get("percent")),
            "min_order": _amount(row.get("min_order")) or "0", "product_id": row.get("product_id") or None,
            "valid_days": _int(row.get("valid_days")), "tiers": _list(row.get("tiers"))}


def _campaign(row: dict[str, str]) -> dict:
    return {"name": row.get("name", ""), "starts_at": row.get("starts_at") or None,
            "ends_at": row.get("ends_at") or None, "multiplier": _amount(row.get("multiplier")),
            "bonus": _int(row.get("bonus")) or 0, "categories": _list(row.get("categories")),
            "customers": _list(row.get("customers"))}


def _texts_of(row: dict[str, str], prefix: str, old: dict | None = None) -> dict[str, str]:
    """The form's languages from the row; any other language the entry had (by its name or id) kept."""
    kept = {lang: text for lang, text in (old or {}).items() if lang not in LANGUAGES}
    return {**kept, **{lang: row[f"{prefix}.{lang}"] for lang in LANGUAGES if row.get(f"{prefix}.{lang}")}}


def _int(text: str | None):
    """A whole number, None when blank; anything else as typed, for the schema to name."""
    if not text:
        return None
    compact = text.replace(" ", "").replace("\u00a0", "")
    return int(compact) if re.fullmatch(r"-?\d{1,18}", compact) else text


def _amount(text: str | None) -> str | None:
    """An amount as the schema reads it: spaces between thousands and a decimal comma allowed."""
    if not text:
        return None
    return text.replace(" ", "").replace("\u00a0", "").replace(",", ".")


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def row_count(fields: Mapping[str, str], section: str) -> int:
    """How many rows a list has in ``fields`` (one past its highest row number)."""
    numbers = [int(m["n"]) for key in fields if (m := _ROW.match(key)) and m["section"] == section]
    return max(numbers, default=-1) + 1


# --- errors -> fields ----------------------------------------------------------------------------

def place(errors: dict[str, list[str]], form: Mapping[str, str]) -> dict[str, list[str]]:
    """The schema's errors by the form's fields (``form``: every field the page has): a named
    section's key becomes its row; a path with no field of its own goes to its choice (``.kind``)
    or the nearest row or field above it, else it stays as it is (the page lists it on top)."""
    rows = {(m["section"], form[key]): m["n"] for key in form
            if (m := _ROW.match(key)) and m["field"] == "name" and m["section"] in NAMED}
    targets = set(form) | {f"{m['section']}.{m['n']}" for key in form if (m := _ROW.match(key))}
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        parts = path.split(".")
        if parts[0] in NAMED and len(parts) > 1 and (parts[0], parts[1]) in rows:
            parts[1] = rows[(parts[0], parts[1])]
            if len(parts) == 2:
                parts.append("name")
        name = ".".join(parts)
        while name not in targets and f"{name}.kind" not in targets and "." in name:
            name = name.rsplit(".", 1)[0]
        if f"{name}.kind" in targets and name not in targets:
            name = f"{name}.kind"
        out.setdefault(name if name in targets else path, []).extend(messages)
    return out
