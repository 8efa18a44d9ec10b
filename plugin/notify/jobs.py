"""The periodic job that drains the outbox: fan new messages out, then let each channel send what
is due. Every few seconds under rq cron (and in-process on the embedded default), so a fact reaches
its shopper and its subscribers within seconds and a failed delivery is retried on time."""

from __future__ import annotations

from plugin.core.db import session
from plugin.notify import dispatch


def drain() -> int:
    """Dispatch new messages and send what is due; returns how many deliveries were sent."""
    dispatch.dispatch()
    with session():
        return dispatch.send_all()
