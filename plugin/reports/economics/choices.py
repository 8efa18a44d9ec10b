"""Which program a simulation runs (the published one, the owner's draft, a past version, or a whole
document), and a run of one program, or of two over the same orders side by side.

A choice that cannot be run is a marshmallow ValidationError under the name of the field that made
it, so the API's 422 and the page's message name ``program`` or ``compare_with``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marshmallow import ValidationError

from plugin.core.models import ProgramVersion, Shop
from plugin.program import document, drafts, versions
from plugin.reports.economics import runs, simulate
from plugin.reports.economics.scenario import Scenario

PUBLISHED, DRAFT, VERSION, DOCUMENT = "published", "draft", "version", "document"


@dataclass(frozen=True)
class Chosen:
    """A loaded program and where it came from (``version``: a version's number; None for the
    built-in default, a draft or a document)."""
    kind: str
    version: int | None
    program: dict

    def describe(self) -> dict:
        return {"kind": self.kind, "version": self.version}


def choose(shop_id: int, choice: str | int | dict, field: str) -> Chosen:
    """The program ``choice`` names, loaded; ``field`` names it in the ValidationError."""
    if choice == PUBLISHED:
        number, program = versions.current(shop_id)
        return Chosen(PUBLISHED, number, program)
    if choice == DRAFT:
        draft = drafts.get(shop_id)
        if draft is None:
            raise ValidationError({field: ["the shop has no draft: save one in the program editor"]})
        return Chosen(DRAFT, None, _loaded(shop_id, draft.document, field))
    if isinstance(choice, int):
        if not ProgramVersion.select().where((ProgramVersion.shop == shop_id)
                                             & (ProgramVersion.number == choice)).exists():
            raise ValidationError({field: [f"the shop has no program version {choice}"]})
        return Chosen(VERSION, choice, versions.at(shop_id, choice))
    return Chosen(DOCUMENT, None, _loaded(shop_id, choice, field))


def _loaded(shop_id: int, raw: dict, field: str) -> dict:
    """A document validated as publishing would (its currency, if it names one, the shop's)."""
    try:
        program = document.load(raw)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    currency = Shop.select(Shop.currency).where(Shop.id == shop_id).scalar()
    if program.get("currency") and program["currency"].upper() != currency:
        raise ValidationError({field: {"currency": [f"the shop's currency is {currency}"]}})
    return program


def versions_of(shop_id: int) -> list[int]:
    """The shop's version numbers, newest first (the page's choices)."""
    return [row.number for row in ProgramVersion.select(ProgramVersion.number)
            .where(ProgramVersion.shop == shop_id).order_by(ProgramVersion.number.desc())]


def run(shop_id: int, a: Chosen, b: Chosen | None, scenario: Scenario, start: date, end: date,
        source: str) -> dict:
    """``a``'s figures over the period; with ``b``, its figures too and what it changes from ``a``."""
    programs = [a.program] + ([b.program] if b else [])
    results = runs.simulate_shop(shop_id, programs, scenario, start, end, source)
    first = results[0].as_dict()
    out = {"program": a.describe(), "from": start.isoformat(), "to": end.isoformat(), "source": source,
           **first}
    if b is not None:
        second = results[1].as_dict()
        out["comparison"] = {"program": b.describe(), **second,
                             "difference": simulate.compare(first, second)}
    return out
