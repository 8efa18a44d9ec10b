"""manifest.json agrees with the topic registry (every platform's path, subscribed and compliance topics,
and nothing else), the app's routes and the default program."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from plugin.http import manifest
from plugin.program.document import DEFAULT as DEFAULT_PROGRAM
from plugin.program.document import load as load_program
from webhooks.topics import INBOUND

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


@pytest.mark.parametrize("platform", sorted(INBOUND))
def test_the_subscribed_entry_lists_exactly_the_topics_a_shop_subscribes(document, platform):
    assert _topics(document, platform, compliance=False) == Counter(INBOUND[platform].subscribed)


@pytest.mark.parametrize("platform", sorted(INBOUND))
def test_the_compliance_entry_lists_exactly_the_platforms_compliance_topics(document, platform):
    assert _topics(document, platform, compliance=True) == Counter(INBOUND[platform].compliance)


@pytest.mark.parametrize("platform", sorted(INBOUND))
def test_every_declared_topic_is_one_the_receiver_stores(document, platform):
    assert set(_topics(document, platform)) <= set(INBOUND[platform].topics)


@pytest.mark.parametrize("platform", sorted(INBOUND))
def test_every_entry_of_a_platform_names_its_receivers_path(document, platform):
    paths = {entry["path"] for entry in document["webhooks"] if entry["platform"] == platform}
    assert paths == {INBOUND[platform].path}


def test_every_platform_in_the_manifest_has_a_registry(document):
    assert {entry["platform"] for entry in document["webhooks"]} <= set(INBOUND)


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


def test_widget_launcher_default_is_the_program_documents(document):
    setting = _setting(document, "widget_launcher")
    assert setting["type"] == "boolean"
    assert setting["default"] is load_program(DEFAULT_PROGRAM)["widget"]["launcher"]
