"""Statuses and kinds are spelled once (plugin.core.status, plugin.core.kinds); code names members.

No app and no database: the sources are read with ``ast``, the models only imported.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import pytest

from plugin.core import kinds, status
from plugin.core.models import (
    Activity,
    AdjustmentBatch,
    DashboardSession,
    Event,
    Hold,
    IdempotentRequest,
    ImportRun,
    LedgerEntry,
    Notice,
    OfferEvent,
    PrivacyRequest,
    Referral,
    TierRun,
)

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = {ROOT / "plugin/core/status.py", ROOT / "plugin/core/kinds.py"}
SOURCES = sorted(p for folder in ("plugin", "webhooks", "widgets") for p in (ROOT / folder).rglob("*.py")
                 if p not in VOCABULARY)


def _enums(module) -> list[type[StrEnum]]:
    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum]


ENUMS = _enums(status) + _enums(kinds)
STATE_VALUES = {m.value for enum in _enums(status) for m in enum}
KIND_VALUES = {m.value for enum in _enums(kinds) for m in enum}
#: the names a state or a kind is stored under, and the values that must be named there
FIELDS = {"status": STATE_VALUES, "outcome": STATE_VALUES, "via": STATE_VALUES,
          "attributed_via": STATE_VALUES, "kind": KIND_VALUES}
#: every stored state field and the one enum that lists its values
COLUMNS = [
    (Event.status, status.EventStatus), (Hold.status, status.HoldStatus), (TierRun.status, status.RunStatus),
    (ImportRun.status, status.RunStatus), (Referral.status, status.ReferralStatus),
    (Referral.attributed_via, status.ReferralVia), (AdjustmentBatch.status, status.BatchStatus),
    (PrivacyRequest.status, status.PrivacyStatus), (IdempotentRequest.status, status.IdempotencyStatus),
    (Activity.outcome, status.ActivityOutcome), (DashboardSession.via, status.SessionVia),
    (LedgerEntry.kind, kinds.EntryKind), (Event.kind, kinds.EventKind),
    (OfferEvent.kind, kinds.OfferEventKind), (Notice.kind, kinds.NoticeKind),
]


def _field(node: ast.AST) -> str | None:
    """The state field an expression reads: ``x.status``, ``status``, ``d["status"]``, ``d.get("status")``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and isinstance(node.args[0], ast.Constant)):
        return node.args[0].value
    return None


def _strings(node: ast.AST | None) -> list[ast.Constant]:
    """The string constants an expression can evaluate to (through tuples and conditionals)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [c for e in node.elts for c in _strings(e)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _uses(tree: ast.AST):
    """(field, value expression) for every place a state field is compared, set or filtered."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for side in sides:
                for other in sides:
                    if other is not side:
                        yield _field(side), other
        elif isinstance(node, ast.Call):
            yield from ((kw.arg, kw.value) for kw in node.keywords)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "in_" and node.args:
                yield _field(node.func.value), node.args[0]
        elif isinstance(node, ast.Dict):
            yield from ((k.value, v) for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    yield from ((_field(t), v) for t, v in zip(target.elts, node.value.elts, strict=False))
                else:
                    yield _field(target), node.value


def _respelled(tree: ast.Module) -> list[str]:
    """Module constants that spell an enum member again (``HELD = "held"``) instead of naming it."""
    members = {(m.name, m.value) for enum in ENUMS for m in enum}
    return [f"{t.id} = {node.value.value!r}" for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant)
            and (t.id, node.value.value) in members]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_states_and_kinds_are_named_not_spelled(path):
    tree = ast.parse(path.read_text(), str(path))
    spelled = sorted({f"{path.relative_to(ROOT)}:{c.lineno} {name}={c.value!r}"
                      for name, value in _uses(tree) if name in FIELDS
                      for c in _strings(value) if c.value in FIELDS[name]})
    assert spelled + _respelled(tree) == []


def test_the_scan_finds_what_it_is_for():
    source = """
Hold.update(status="held")
if event.status in ("failed", "invalid"): pass
row.status, note = "ignored", "why"
ledger.grant(customer, 5, kind="bonus")
x = [i for i in items if i.get("kind") == "order.paid"]
APPLIED = "applied"
"""
    tree = ast.parse(source)
    found = sorted(c.value for name, value in _uses(tree) if name in FIELDS for c in _strings(value)
                   if c.value in FIELDS[name])
    assert found == ["bonus", "failed", "held", "ignored", "invalid", "order.paid"]
    assert _respelled(tree) == ["APPLIED = 'applied'"]


@pytest.mark.parametrize("column, enum", COLUMNS, ids=[f"{c.model.__name__}.{c.name}" for c, _ in COLUMNS])
def test_each_state_column_holds_its_enum(column, enum):
    assert column.default is None or isinstance(column.default, enum)
    assert max(len(m) for m in enum) <= column.max_length


def test_members_are_the_stored_strings():
    assert status.EventStatus.PENDING == "pending" and f"{kinds.EventKind.ORDER_PAID}:1" == "order.paid:1"
    assert all(m == m.value and str(m) == m.value for enum in ENUMS for m in enum)
