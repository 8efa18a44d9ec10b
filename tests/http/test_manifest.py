"""manifest.json agrees with the topic registry, the app's routes and the default program."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

MANIFEST_FILE = Path(__file__).resolve().parents[2] / "manifest.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))


def test_every_webhook_path_is_a_post_route_of_the_app(app, document):
    # The manifest names a rule's variables without their converters (<int:shop_id> -> <shop_id>).
    routes = {re.sub(r"<\w+:(\w+)>", r"<\1>", rule.rule): rule.methods for rule in app.url_map.iter_rules()}
    for entry in document["webhooks"]:
        assert "POST" in routes.get(entry["path"], set()), entry["path"]


def test_manifest_route_serves_the_same_document(client, document):
    response = client.get("/manifest.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == document


def test_the_events_out_are_every_message_type_and_their_subscription_route_exists(app, document):
    from plugin.notify.types import TYPES

    declared = document["events_out"]
    assert declared["events"] == list(TYPES)
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule == declared["subscribe"]]
    methods = {method for rule in rules for method in rule.methods}
    assert {"GET", "POST"} <= methods


def test_every_install_address_is_a_route_of_the_app(app, document):
    """What a platform's app settings are given (install, callback, uninstall, login...) is served."""
    routes = {re.sub(r"<\w+:(\w+)>", r"<\1>", rule.rule) for rule in app.url_map.iter_rules()}
    declared = [path for entry in document["install"] for key, path in entry.items() if key != "platform"]
    assert declared and not [path for path in declared if path not in routes]
