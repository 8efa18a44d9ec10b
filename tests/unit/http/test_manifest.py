"""manifest.json agrees with the topic registry, the app's routes and the default program."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from plugin.http import manifest
from plugin.program.document import DEFAULT as DEFAULT_PROGRAM
from webhooks.shopify.topics import COMPLIANCE_TOPICS as SHOPIFY_COMPLIANCE_TOPICS
from webhooks.shopify.topics import TOPICS as SHOPIFY_TOPICS
from webhooks.topics import REGISTRY

MANIFEST_FILE = Path(__file__).resolve().parents[3] / "manifest.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))


def _topics(document: dict, platform: str, *, compliance: bool | None = None) -> Counter:
    return Counter(
        topic
        for entry in document["webhooks"]
        if entry["platform"] == platform
        and (compliance is None or bool(entry.get("compliance")) == compliance)
        for topic in entry["topics"]
    )


def test_plugin_reads_the_top_level_manifest(document):
    assert manifest.manifest() == document


@pytest.mark.parametrize("key", ["id", "name", "version", "scopes", "webhooks", "widgets", "settings"])
def test_manifest_has_required_key(document, key):
    assert key in document


def test_shopify_topics_equal_the_registry_exactly(document):
    assert _topics(document, "shopify") == Counter(list(REGISTRY["shopify"]))


def test_shopify_api_entry_lists_the_subscribed_topics(document):
    assert _topics(document, "shopify", compliance=False) == Counter(list(SHOPIFY_TOPICS))


def test_shopify_compliance_entry_lists_the_compliance_topics(document):
    assert _topics(document, "shopify", compliance=True) == Counter(list(SHOPIFY_COMPLIANCE_TOPICS))


def test_every_platform_in_the_manifest_has_a_registry(document):
    assert {entry["platform"] for entry in document["webhooks"]} <= set(REGISTRY)


def _setting(document: dict, key: str) -> dict:
    (found,) = [s for s in document["settings"] if s["key"] == key]
    return found


def test_earn_percent_default_is_the_program_rule(document):
    setting = _setting(document, "earn_percent")
    assert setting["type"] == "decimal"
    assert Decimal(setting["default"]) == Decimal(DEFAULT_PROGRAM["earning"]["rate"]["percent"])


def test_signup_bonus_default_is_the_program_rule(document):
    setting = _setting(document, "signup_bonus")
    assert setting["type"] == "integer"
    assert setting["default"] == DEFAULT_PROGRAM["signup"]["points"]


@pytest.mark.parametrize("platform", ["judgeme", "reviews", "custom"])
def test_body_typed_platforms_declare_exactly_their_registry(document, platform):
    assert _topics(document, platform) == Counter(list(REGISTRY[platform]))
