"""The periodic job that drains the outbox: fan new messages out, then let each channel send what
is due. Every few seconds under rq cron (and in-process on the embedded default), so a fact reaches
its shopper and its subscribers within seconds and a failed delivery is retried on time.

A run sends round after round (each channel claims up to 200 a round) while rounds still send, for
at most ``BUDGET``: a backlog drains at the channels' pace instead of 200 per channel per run, and
runs that overlap share the work, since each claims its deliveries with a lease."""

from __future__ import annotations

import time

from plugin.core.db import session
from plugin.notify import dispatch

BUDGET = 60.0  # seconds of sending per run; the next run (seconds later) takes over


def drain(budget: float = BUDGET) -> int:
    """Dispatch new messages and send what is due; returns how many deliveries were sent."""
    deadline = time.monotonic() + budget
    sent = 0
    while True:
        dispatch.dispatch()
        with session():
            done = dispatch.send_all()
        sent += done
        if not done or time.monotonic() >= deadline:
            return sent
