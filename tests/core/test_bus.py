"""The message bus: handlers in wired order, the wiring table, and publishers that import no reactor."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from plugin.core import bus, facts
from plugin.earn import handlers as earn
from plugin.pipeline import bootstrap
from plugin.spend import handlers as spend
from plugin.tiers import handlers as tiers

ROOT = Path(__file__).resolve().parents[2]
REACTORS = ("plugin.tiers", "plugin.earn.games", "plugin.earn.referrals", "plugin.spend.redemption",
            "plugin.earn.handlers", "plugin.spend.handlers", "plugin.pipeline.bootstrap")


def imported(path: Path) -> set[str]:
    """Every module a file imports (``from a import b`` counts as a and a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def fact(name: str = facts.ORDER_CANCELLED) -> facts.PointsMoved:
    return facts.PointsMoved(name, shop_id=1, kind="test")


def test_handlers_run_in_the_order_they_were_wired_and_get_the_fact():
    seen = []
    message_bus = bus.MessageBus()
    message_bus.wire({facts.ORDER_CANCELLED: (lambda f: seen.append(("a", f)),
                                              lambda f: seen.append(("b", f)))})
    published = fact()
    message_bus.publish(published)
    assert seen == [("a", published), ("b", published)]


def test_a_fact_nobody_handles_is_published_to_no_one():
    message_bus = bus.MessageBus()
    message_bus.publish(fact(facts.POINTS_EARNED))
    assert not message_bus.wired and message_bus.handlers(facts.POINTS_EARNED) == ()


def test_a_failing_handler_fails_the_publisher_and_stops_the_rest():
    seen = []
    message_bus = bus.MessageBus()

    def fails(_):
        raise RuntimeError("boom")

    message_bus.wire({facts.ORDER_CANCELLED: (fails, seen.append)})
    with pytest.raises(RuntimeError):
        message_bus.publish(fact())
    assert seen == []


def test_wiring_a_name_that_is_no_fact_is_refused():
    with pytest.raises(ValueError, match="order.paid"):
        bus.MessageBus().wire({"order.paid": ()})


def test_every_fact_class_carries_a_known_name():
    assert {cls.name for cls in (facts.OrdersApplied, facts.OrderRefunded, facts.OrderCancelled,
                                 facts.CustomerCreated)} <= set(facts.NAMES)
    assert len(set(facts.NAMES)) == len(facts.NAMES)


def test_paid_orders_are_handled_as_today_referrals_redemption_tiers_then_games():
    assert bootstrap.HANDLERS[facts.ORDER_APPLIED] == (
        earn.referrals_on_orders, spend.orders_applied, tiers.orders_applied, earn.games_on_orders)
    assert bootstrap.HANDLERS[facts.ORDER_CANCELLED] == (spend.order_cancelled,)
    assert bootstrap.HANDLERS[facts.CUSTOMER_CREATED] == (earn.referrals_on_signup,)


def test_wiring_twice_keeps_the_first_wiring():
    message_bus = bus.MessageBus()
    bootstrap.wire(message_bus)
    message_bus.wire({})
    bootstrap.wire(message_bus)
    assert message_bus.handlers(facts.ORDER_APPLIED) == ()


@pytest.mark.parametrize("path", ["plugin/pipeline/apply.py", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "plugin" / "ledger").glob("*.py"))])
def test_publishers_import_none_of_the_packages_that_react(path):
    reached = {name for name in imported(ROOT / path) if name.startswith(REACTORS)}
    assert reached == set(), f"{path} imports {sorted(reached)}"


def test_the_queue_imports_no_job():
    names = imported(ROOT / "plugin/pipeline/queue.py")
    assert {name for name in names if name.startswith("plugin")} == set()
