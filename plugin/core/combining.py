"""Work that threads of one process need done at the same moment, done by one of them for all.

A thread hands its item in; if no round is running it leads one: it takes every item waiting and
runs them together (``run(items) -> results``, one result per item, in order), then hands the lead
to the first thread that arrived meanwhile. So under load the work is batched without a thread of
its own or a timer, and alone a thread runs its item at once. The webhook receivers' INSERTs share
one statement and one commit this way (webhooks.inbox).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("error", "item", "leads", "ready", "result")

    def __init__(self, item: T):
        self.item, self.leads, self.ready = item, False, threading.Event()
        self.result: R | None = None
        self.error: BaseException | None = None


class Combiner(Generic[T, R]):
    def __init__(self, run: Callable[[list[T]], list[R]]):
        self._run = run
        self._lock = threading.Lock()
        self._waiting: list[_Slot[T, R]] = []
        self._busy = False

    def submit(self, item: T) -> R:
        """``item``'s result, run in a round with whatever other threads handed in meanwhile;
        an exception of the round is raised in every thread whose item was in it."""
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            leads, self._busy = not self._busy, True
        if not leads:
            slot.ready.wait()
        if leads or slot.leads:
            self._round()
        if slot.error is not None:
            raise slot.error
        return slot.result

    def _round(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            results = self._run([slot.item for slot in batch])
            for slot, result in zip(batch, results, strict=True):
                slot.result = result
        except BaseException as exc:
            for slot in batch:
                slot.error = exc
        finally:
            with self._lock:
                if self._waiting:  # the next round is led by the first thread that came meanwhile
                    self._waiting[0].leads = True
                    self._waiting[0].ready.set()
                else:
                    self._busy = False
            for slot in batch:
                slot.ready.set()
