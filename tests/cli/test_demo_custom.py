"""`loyalty demo --platform custom`: a custom store's events, signed with Standard Webhooks, earn,
refund pro rata, cancel, and a body that does not fit is a 422; a second run is all duplicates."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from plugin.cli.main import main
from tests.helpers import UNSET

# From plugin/cli/demo_data/custom_events.json: 5% rounded down, +100 at sign-up.
# Иван: 100 + 195 (3000 + 900) - 75 (one tea of 1500 back) + 100 - 100 (cancelled) = 220.
# Maria: 100 + 120 (2400) - 40 (one honey of 800, the refund that came first) = 180.
BALANCES = {"C-1": 220, "C-2": 180}


@pytest.fixture
def demo_env(tmp_path) -> dict:
    return {**UNSET, "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "LOYALTY_REDIS_URL": ""}


def run_demo(env: dict) -> str:
    result = CliRunner().invoke(main, ["demo", "--platform", "custom", "--no-serve", "--port", "0"], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def outcomes(output: str) -> list[list[str]]:
    block = output.split("Demo webhooks, signed and posted to the running plugin:\n")[1].split("\n\n")[0]
    return [line.split()[:3] for line in block.splitlines()]


def test_custom_demo_earns_refunds_cancels_and_answers_422(demo_env):
    output = run_demo(demo_env)
    for customer, points in BALANCES.items():
        assert f"(customer {customer}): {points} points" in output
    lines = outcomes(output)
    assert lines[3] == ["200", "order.paid", "duplicate"]
    assert lines[-1] == ["422", "order.shipped", "invalid"]
    assert "/api/v1/discount-codes/" in output and "/demo/checkout" not in output


def test_a_second_run_is_all_duplicates_with_the_same_balances(demo_env):
    run_demo(demo_env)
    output = run_demo(demo_env)
    assert {line[2] for line in outcomes(output)[:-1]} == {"duplicate"}
    for customer, points in BALANCES.items():
        assert f"(customer {customer}): {points} points" in output
