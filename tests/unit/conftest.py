"""Unit tests: pure functions, no app, no database, no Redis (``pytest tests/unit`` runs in seconds)."""

import pytest


@pytest.fixture
def app():
    pytest.fail("a unit test takes no app: a test that needs one belongs in tests/<package>/")
