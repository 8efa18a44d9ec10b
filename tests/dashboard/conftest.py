"""Fixtures of the dashboard tests: a second shop, to prove one session never reaches it."""

from __future__ import annotations

import pytest

from plugin.core.db import session
from plugin.customers import shops


@pytest.fixture
def other_shop(app):
    with session():
        return shops.register("custom", "other.example.com")[0]
