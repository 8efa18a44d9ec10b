"""Replacing a shop's program: one way for the admin API and the dashboard to publish a version."""

from __future__ import annotations

from plugin import tiers
from plugin.core.models import ProgramVersion, TierRun
from plugin.program import versions


def publish(shop_id: int, raw: dict, author: str) -> tuple[ProgramVersion, dict, TierRun | None]:
    """Validate and store ``raw`` as the running version (raises ValidationError per field path).

    New tier rules apply to everyone at once: when they changed, a background re-evaluation
    starts, the program running on meanwhile. Returns the version row, the loaded program and
    the tier run (None when the tier rules are the same).
    """
    tiers_before = versions.current(shop_id)[1].get("tiers")
    row = versions.save(shop_id, raw, author=author)
    program = versions.at(shop_id, row.number)
    run = tiers.start_reevaluation(shop_id) if program.get("tiers") != tiers_before else None
    return row, program, run
