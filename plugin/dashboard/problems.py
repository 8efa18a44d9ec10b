"""Validation messages in the reader's language, translated where they are shown.

The API keeps its English messages (developers read them: marshmallow's defaults, our validators',
the import's and the bulk adjustment's); the dashboard shows each through this table, which maps
a message template to a catalogue key (problem.*) and reads the template's {placeholders} back
out of the message. A message the table does not know is shown as it is.
"""

from __future__ import annotations

import functools
import re

from marshmallow import Schema, fields, validate

from plugin.core.i18n import translate

_RANGE = validate.Range
#: (English template, key); the first template that matches the whole message wins.
TEMPLATES: list[tuple[str, str]] = [
    (fields.Field.default_error_messages["required"], "problem.required"),
    (fields.Field.default_error_messages["null"], "problem.null"),
    (fields.Field.default_error_messages["validator_failed"], "problem.invalid"),
    (Schema._default_error_messages["unknown"], "problem.unknown"),
    (Schema._default_error_messages["type"], "problem.type"),
    (fields.Nested.default_error_messages["type"], "problem.type"),
    (fields.Integer.default_error_messages["invalid"], "problem.integer"),
    (fields.Number.default_error_messages["invalid"], "problem.number"),
    (fields.Number.default_error_messages["too_large"], "problem.too_large"),
    (fields.Decimal.default_error_messages["special"], "problem.special"),
    (fields.String.default_error_messages["invalid"], "problem.string"),
    (fields.Boolean.default_error_messages["invalid"], "problem.boolean"),
    (fields.List.default_error_messages["invalid"], "problem.list"),
    (fields.Dict.default_error_messages["invalid"], "problem.mapping"),
    (fields.Date.default_error_messages["invalid"], "problem.date"),
    (fields.DateTime.default_error_messages["invalid"].replace("{obj_type}", "datetime"), "problem.datetime"),
    (fields.Email.default_error_messages["invalid"], "problem.email"),
    (fields.URL.default_error_messages["invalid"], "problem.url"),
    (validate.OneOf.default_message, "problem.one_of"),
    (validate.Regexp.default_message, "problem.pattern"),
    (validate.Length.message_all, "problem.length_between"),
    (validate.Length.message_min, "problem.length_min"),
    (validate.Length.message_max, "problem.length_max"),
    (validate.Length.message_equal, "problem.length_equal"),
    (_RANGE.message_all.format(min_op=_RANGE.message_gte, max_op=_RANGE.message_lte), "problem.range"),
    (_RANGE.message_min.format(min_op=_RANGE.message_gte), "problem.at_least"),
    (_RANGE.message_min.format(min_op=_RANGE.message_gt), "problem.above"),
    (_RANGE.message_max.format(max_op=_RANGE.message_lte), "problem.at_most"),
    (_RANGE.message_max.format(max_op=_RANGE.message_lt), "problem.below"),
    # the program document (plugin.program.document, versions)
    ("required when kind is {value}", "problem.required_when_kind"),
    ("required when 'when' is {value}", "problem.required_when"),
    ("required for a {kind} reward", "problem.required_for_reward"),
    ("required for a coupon", "problem.required_for_coupon"),
    ("bands must ascend without overlapping", "problem.bands"),
    ("give a rate or a multiplier", "problem.rate_or_multiplier"),
    ("a category rate is a percent or per_amount; bands apply to orders", "problem.category_rate"),
    ("must be after starts_at", "problem.after_start"),
    ("give a multiplier or a bonus", "problem.multiplier_or_bonus"),
    ("must not be below min_points", "problem.below_min_points"),
    ("only an activity step names an action", "problem.step_action"),
    ("the program must be a JSON object", "problem.json_object"),
    ("{value} is used twice", "problem.used_twice"),
    ("at least one tier must be visible", "problem.tier_visible"),
    ("the first tier starts at 0", "problem.first_tier"),
    ("thresholds must ascend", "problem.thresholds"),
    ("unknown point type {value}", "problem.unknown_point_type"),
    ("unknown category {value}", "problem.unknown_category"),
    ("unknown tier {value}", "problem.unknown_tier"),
    ("unknown action {value}", "problem.unknown_action"),
    ("this category has a template already", "problem.template_twice"),
    ("the shop's currency is {currency}: a program names no other (or none)", "problem.currency"),
    # a document that is not JSON (plugin.core.jsonbody)
    ("body must be a JSON object", "problem.json_object"),
    ("body is not valid JSON: {detail}", "problem.json"),
    ("Expecting value", "problem.json_value"),
    ("Expecting {what} delimiter", "problem.json_delimiter"),
    ("Expecting property name enclosed in double quotes", "problem.json_name"),
    ("Extra data", "problem.json_extra"),
    ("Unterminated string starting at", "problem.json_string"),
    ("Invalid control character at", "problem.json_control"),
    ("line {line}, column {column}", "problem.json_place"),
    # imports (plugin.dataio.imports) and bulk adjustments (plugin.ledger.bulk_adjustments)
    ("not a valid CSV row: {detail}", "problem.csv_row"),
    ("{n} cells where the header has {width}", "problem.csv_width"),
    ("neither a customer id nor an email", "problem.no_customer"),
    ("customer id {value} is not an id (at most 64 characters, no spaces)", "problem.customer_id"),
    ("email {value} is not an email address", "problem.email_value"),
    ("a name longer than 255 characters", "problem.long_name"),
    ("points balance {value} is not a whole number of 0 or more", "problem.balance"),
    ("points balance {value} is more than {most}", "problem.balance_max"),
    ("customer {value} is already on line {line}", "problem.duplicate"),
    ("customer {value} (by email) is already on line {line}", "problem.duplicate"),
    ("a whole number of points other than 0, at most {most} either way", "problem.points"),
    ("not a point type of the program: {value}", "problem.point_type"),
    ("a reason is required", "problem.reason"),
    ("at most {most} characters", "problem.reason_length"),
    ("no customer {value} in this shop", "problem.no_such_customer"),
    ("only {have} {type} points can be taken, not {want}", "problem.short"),
    # the notes of an earning rule's snapshot (plugin.program.earning)
    ("order below the minimum of {amount}", "note.min_order"),
    ("first order: at least {points} points", "note.first_order"),
    ("earning limit: {allowance} of {points} points", "note.limit"),
]
FIELD = re.compile(r"^(?P<field>[a-z_]+): (?P<message>.+)$", re.DOTALL)


@functools.cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    out = []
    for template, key in TEMPLATES:
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts))
        out.append((re.compile(f"^{regex}$", re.DOTALL), key))
    return out


def problem(lang: str, message: str) -> str:
    """One message in ``lang``; "points: ...; reason: ..." (a bulk row) part by part."""
    if "; " in message and all(FIELD.match(part) for part in message.split("; ")):
        return "; ".join(problem(lang, part) for part in message.split("; "))
    field = FIELD.match(message)
    if field and not _match(message):
        return f"{field['field']}: {problem(lang, field['message'])}"
    found = _match(message)
    if found is None:
        return message
    key, values = found
    return translate(lang, key, **values)


def _match(message: str) -> tuple[str, dict] | None:
    for pattern, key in _patterns():
        matched = pattern.match(message)
        if matched:
            return key, matched.groupdict()
    return None
