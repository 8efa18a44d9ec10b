"""manifest.json: what the plugin declares to a store, read once and served as it is."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("manifest.json")  # a link to the top-level file


@cache
def manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def subscriptions(platform: str, *, compliance: bool = False) -> list[tuple[str, str]]:
    """(topic, path) pairs the manifest declares for a platform: API ones, or compliance ones."""
    return [
        (topic, entry["path"])
        for entry in manifest()["webhooks"]
        if entry["platform"] == platform and bool(entry.get("compliance")) == compliance
        for topic in entry["topics"]
    ]
