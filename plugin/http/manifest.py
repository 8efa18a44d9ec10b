"""manifest.json: what the plugin declares to a store, read once and served as it is."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("manifest.json")  # a link to the top-level file


@cache
def manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))

