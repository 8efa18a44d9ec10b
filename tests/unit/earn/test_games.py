"""Badges, challenges, quests and the opt-in leaderboard, driven by real webhooks and API calls."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from plugin.core.db import session
from plugin.core.models import Badge, Customer
from plugin.program import document

BOB, ANN, CAT = "207119551", "300", "400"
TITLE = {"en": "A title", "ru": "Название"}


def badges(customer: str = BOB) -> list[str]:
    with session():
        return [b.badge_id for b in Badge.select().join(Customer).where(Customer.platform_id == customer)]


def test_a_tier_badge_must_name_a_tier_of_the_program():
    with pytest.raises(ValidationError) as error:
        document.load({**document.DEFAULT, "games": {"badges": [
            {"id": "gold", "title": TITLE, "when": "tier_reached", "tier": "gold"}]}})
    assert error.value.messages == {"games": {"badges": {0: {"tier": ["unknown tier 'gold'"]}}}}
