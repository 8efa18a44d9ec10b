"""The README's "Connect any store" examples, run as written against a live server: the bash
blocks with bash, curl and openssl, the Python blocks with exec. Only the placeholders (the app's
URL and the secrets ``loyalty shops add`` prints) are filled in."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from plugin import ledger
from plugin.cli import demo as demo_module
from plugin.core.db import session
from plugin.core.models import Customer
from plugin.core.status import HoldStatus
from plugin.program import document, versions
from tests.helpers import REVIEWS, api_key, fixture_json, shopper_headers, webhook_secret
from tests.webhooks.conftest import CUSTOM_DOMAIN
from webhooks.signatures import standard_secret
from widgets import identity

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = README.read_text("utf-8").split("## Connect any store\n", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```(bash|python)\n(.*?)```", SECTION, re.S)
BASH = [code for lang, code in BLOCKS if lang == "bash"]
PYTHON = [code for lang, code in BLOCKS if lang == "python"]
EXAMPLE_CODE = "LOY-7K2M9QX4TB"
pytestmark = pytest.mark.skipif(not all(map(shutil.which, ("bash", "curl", "openssl"))),
                                reason="the README's bash examples need bash, curl and openssl")


@pytest.fixture
def live(app, custom_shop):
    """The app served on a free port; yields a function filling the README's placeholders."""
    server = demo_module.start_server(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_port}"
    with session():
        widget = identity.widget_secret(app.extensions["loyalty"].vault, custom_shop)
    values = {"https://loyalty.example.com": base,
              "<webhook_secret from shops add>": standard_secret(webhook_secret(app, custom_shop)),
              "<widget_secret from shops add>": widget, "<api_key from shops add>": api_key(app, custom_shop)}

    def fill(code: str) -> str:
        for placeholder, value in values.items():
            code = code.replace(placeholder, value)
        return code

    yield fill
    server.shutdown()


def bash(script: str) -> list[dict]:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def ledger_of(shop, customer_id: str) -> list[int]:
    with session():
        customer = Customer.get((Customer.shop == shop.id) & (Customer.platform_id == customer_id))
        return [entry.delta for entry in reversed(ledger.entries(customer))]


def test_the_section_has_its_examples():
    assert BASH[0].startswith("loyalty shops add --platform custom") and "send()" in BASH[2]
    assert len(BASH) == 5 and len(PYTHON) == 2


def test_the_readme_events_are_the_fixtures():
    sent = [json.loads(body) for body in re.findall(r"^send '(.*?)'$", BASH[2], re.S | re.M)]
    assert [body["type"] for body in sent] == ["customer.created", "order.paid", "order.refunded",
                                                "review.published", "review.unpublished", "order.cancelled"]
    for body in sent:
        assert body == fixture_json(f"custom/{body['type']}.json")


def test_the_curl_examples_earn_refund_review_cancel_and_redeem(app, client, custom_shop, live, drain):
    with session():
        versions.save(custom_shop.id, {**document.DEFAULT, "reviews": REVIEWS}, author="owner@example.com")
    settings = live(BASH[1])
    answers = bash(settings + live(BASH[2]))
    assert [answer["status"] for answer in answers] == ["accepted"] * 6
    drain()
    # sign-up; 5% of 3900; one tea of two back (1500 of 3900); the review and its removal; the rest
    assert ledger_of(custom_shop, "C-1001") == [100, 195, -75, 50, -50, -120]

    account = bash(settings + live(BASH[3]))[0]  # the widget, as the shopper with the bash token
    assert account["balance"] == {"regular": 100}
    redeemed = client.post("/widget/v1/redeem", json={"points": 50, "cart": {
        "lines": [{"product_id": "P-10", "price": "1500.00", "quantity": 1}], "currency": "RUB"}},
        headers=shopper_headers(app, custom_shop, "C-1001", key="readme-0001"))
    assert redeemed.status_code == 201, redeemed.get_json()
    code = redeemed.get_json()["redemption"]["code"]
    worth = bash(settings + live(BASH[4]).replace(EXAMPLE_CODE, code))[0]
    assert (worth["code"], worth["status"], worth["valid"]) == (code, HoldStatus.HELD, True)
    assert worth["points"] == 50


def test_the_python_examples_send_and_sign_as_written(app, client, custom_shop, live, drain):
    sender: dict = {}
    exec(compile(live(PYTHON[0]), "README.md", "exec"), sender)  # noqa: S102 - the README's own code
    drain()
    assert ledger_of(custom_shop, "C-2002") == [100, 100]  # sign-up; 5% of 2000
    assert sender["DOMAIN"] == CUSTOM_DOMAIN
    again = sender["send"]("order.paid", {"id": "A-6001", "currency": "RUB", "customer": {"id": "C-2002"},
                                          "lines": [{"id": "1", "quantity": 1, "price": "2000.00"}]})
    assert again["status"] == "duplicate"

    tokens: dict = {}
    exec(compile(live(PYTHON[1]), "README.md", "exec"), tokens)  # noqa: S102
    with session():
        assert identity.read_token(app.extensions["loyalty"].vault, custom_shop, tokens["token"]) == "C-1001"
