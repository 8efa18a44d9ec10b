"""Idempotency keys as Stripe's work: one request per key, every retry gets its stored answer.

A request claims its (shop, scope, key) with an INSERT committed before any work, so a concurrent
retry finds the claim instead of doing the work a second time. The first request stores its
status and JSON body; a retry waits briefly for that answer and gets it back, or is told the
first is still running. The same key with another request (method, path or body) is refused.
Answers are kept 24 hours, then the key runs anew. The domain's own keys (ledger entries,
holds, batches) stay the last line of defence behind this one. Plain Python: no HTTP here.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee

from plugin.core import clock
from plugin.core.db import session, write_transaction
from plugin.core.errors import Invalid, LoyaltyError
from plugin.core.models import IdempotentRequest
from plugin.core.status import IdempotencyStatus

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)  # stored answers replay this long, as Stripe keeps them
STALE = timedelta(minutes=2)  # a claim this old still in progress lost its process: take it over
WAIT_SECONDS = 5.0  # how long a concurrent retry waits for the first request's answer
POLL_SECONDS = 0.05
RETRY_AFTER = "1"


class KeyReused(Invalid):
    """The key was used for another request (another method, path or body)."""

    code = "idempotency_key_reused"


class InProgress(LoyaltyError):
    """The first request with this key has not finished yet; try again shortly."""

    status, code = 409, "idempotency_in_progress"

    def __init__(self, message: str):
        super().__init__(message)
        self.headers = {"Retry-After": RETRY_AFTER}


@dataclass(frozen=True)
class Stored:
    """The first request's answer, replayed to a retry."""

    status: int
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same one: method, path and body (not query or headers)."""
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def claim(shop_id: int, scope: str, key: str, print_: str) -> int | Stored:
    """The claim's row id when this request is the one to run, else the stored answer.

    Raises KeyReused for the key of another request and InProgress when the first request
    does not finish within WAIT_SECONDS.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    where = ((IdempotentRequest.shop == shop_id) & (IdempotentRequest.scope == scope)
             & (IdempotentRequest.key == key))
    while True:
        now = clock.now()
        row = IdempotentRequest.get_or_none(where)  # read first: waiting retries take no write lock
        if row is None:
            try:
                with write_transaction():
                    return IdempotentRequest.insert(
                        shop=shop_id, scope=scope, key=key, fingerprint=print_,
                        status=IdempotencyStatus.IN_PROGRESS, created_at=now).execute()
            except peewee.IntegrityError:
                continue  # a concurrent request claimed it first: read its claim
        expired = row.created_at <= now - KEEP
        if expired or (row.status == IdempotencyStatus.IN_PROGRESS and row.created_at <= now - STALE):
            if _take_over(row, print_, now):
                return row.id
            continue
        if row.fingerprint != print_:
            raise KeyReused(f"{HEADER} {key!r} was already used for another request; use a new key",
                            fields={HEADER: ["already used for another request"]})
        if row.status == IdempotencyStatus.DONE:
            return Stored(row.response_status, row.response_body)
        if time.monotonic() >= deadline:
            raise InProgress(f"a request with {HEADER} {key!r} is still in progress; retry shortly")
        time.sleep(POLL_SECONDS)


def _take_over(row: IdempotentRequest, print_: str, now: datetime) -> bool:
    """Claim an expired or abandoned key again; of two takers, the one whose update lands wins."""
    return bool(IdempotentRequest.update(
        fingerprint=print_, status=IdempotencyStatus.IN_PROGRESS, response_status=None, response_body=None,
        created_at=now,
    ).where((IdempotentRequest.id == row.id) & (IdempotentRequest.created_at == row.created_at)).execute())


def finish(claim_id: int, status: int, body: str) -> None:
    """Store the answer every retry of this key gets."""
    IdempotentRequest.update(status=IdempotencyStatus.DONE, response_status=status, response_body=body).where(
        IdempotentRequest.id == claim_id).execute()


def drop(claim_id: int) -> None:
    """Forget the claim (the request failed on our side, or its input was invalid): a retry runs."""
    IdempotentRequest.delete().where(IdempotentRequest.id == claim_id).execute()


def purge_expired(batch_size: int = 1000) -> int:
    """RQ cron job: forget answers older than 24 hours (claims still running are taken over anyway)."""
    purged = 0
    with session():
        while True:
            old = [r.id for r in IdempotentRequest.select(IdempotentRequest.id).where(
                IdempotentRequest.created_at <= clock.now() - KEEP).limit(batch_size)]
            if not old:
                return purged
            purged += IdempotentRequest.delete().where(IdempotentRequest.id.in_(old)).execute()
