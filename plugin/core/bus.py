"""The message bus: the domain publishes facts (plugin.core.facts) and the packages that react to
them subscribe handlers, so a publisher never imports who reacts (as cosmicpython's messagebus).

Handlers run at once, in the order they were wired, inside the publisher's transaction: what they
write lands or rolls back with the fact. The one place that wires them is plugin.pipeline.bootstrap
(the outbox of outbound notifications is one more line there); a fact nobody handles costs a lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from plugin.core import facts

Handler = Callable[[Any], None]


class MessageBus:
    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Handler, ...]] = {}
        self.wired = False

    def wire(self, table: Mapping[str, Sequence[Handler]]) -> None:
        """Subscribe the handlers of each fact name, in order (replacing any wired before)."""
        unknown = set(table) - set(facts.NAMES)
        if unknown:
            raise ValueError(f"no such fact: {', '.join(sorted(unknown))}")
        self._handlers = {name: tuple(handlers) for name, handlers in table.items()}
        self.wired = True

    def handlers(self, name: str) -> tuple[Handler, ...]:
        return self._handlers.get(name, ())

    def publish(self, fact: Any) -> None:
        """Hand the fact to each of its handlers in turn; a handler's exception propagates."""
        for handler in self._handlers.get(fact.name, ()):
            handler(fact)


BUS = MessageBus()


def publish(fact: Any) -> None:
    BUS.publish(fact)
