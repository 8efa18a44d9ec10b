"""Writing outbound messages: insert-or-ignore on (shop, key), inside the caller's transaction.

The key is the fact's own idempotency key (a lot's key, a tier change's id, a hold's id), so a
fact replayed writes no second message, and a message rolls back with its fact.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from plugin.core import clock
from plugin.core.db import insert_rows
from plugin.core.models import OutboxMessage
from plugin.notify.types import TYPES


def new_uid() -> str:
    return "msg_" + uuid.uuid4().hex


def record(shop_id: int, type: str, key: str, data: dict, *, customer_id: int | None = None,
           at: datetime | None = None) -> None:
    record_many(shop_id, [{"type": type, "key": key, "customer": customer_id, "data": data}], at=at)


def record_many(shop_id: int, messages: list[dict], *, at: datetime | None = None) -> None:
    """Messages ``{"type", "key", "customer", "data"}`` of one shop; keys already written are skipped."""
    if not messages:
        return
    unknown = {m["type"] for m in messages} - set(TYPES)
    if unknown:
        raise ValueError(f"no such message type: {', '.join(sorted(unknown))}")
    now = at or clock.now()
    insert_rows(OutboxMessage, [
        {"shop": shop_id, "uid": new_uid(), "type": m["type"], "key": m["key"][:255],
         "customer": m.get("customer"), "data": m["data"], "created_at": now}
        for m in messages
    ], ignore_conflicts=True)
