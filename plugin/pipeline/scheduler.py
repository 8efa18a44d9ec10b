"""The periodic jobs without Redis: one thread in the web process, or `loyalty run-due` from cron.

Both run plugin.pipeline.cron.PERIODIC, the very table rq cron runs, so the two schedules cannot drift. A
run is claimed in the database (PeriodicRun, a conditional UPDATE), so several web processes and
a system cron line between them start each job once per interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import PeriodicRun
from plugin.pipeline import cron

log = logging.getLogger(__name__)

#: How often the thread looks for due jobs, in seconds (the shortest interval is the sweep's).
TICK = 1.0


def job_name(func: Callable) -> str:
    return f"{func.__module__}.{func.__name__}"


def _due(now: datetime) -> list[tuple[Callable, int]]:
    last = {run.name: run.last_run_at for run in PeriodicRun.select()}
    return [(func, interval) for func, interval in cron.PERIODIC
            if last.get(job_name(func)) is None
            or last[job_name(func)] <= now - timedelta(seconds=interval)]


def claim(name: str, interval: int, now: datetime) -> bool:
    """Take this run of a job; of two processes claiming the same run, exactly one gets True."""
    PeriodicRun.insert(name=name).on_conflict_ignore().execute()
    return PeriodicRun.update(last_run_at=now).where(
        (PeriodicRun.name == name)
        & (PeriodicRun.last_run_at.is_null()
           | (PeriodicRun.last_run_at <= now - timedelta(seconds=interval)))
    ).execute() == 1


def run_due() -> list[str]:
    """Run each job that is due, once, in its own session; returns the names of those that ran.

    A job that raises is logged and the others still run: one broken job must not stop expiry,
    birthdays and released holds for everyone.
    """
    ran = []
    with session():
        due = _due(clock.now())
    for func, interval in due:
        name = job_name(func)
        with session():
            if not claim(name, interval, clock.now()):
                continue  # another process took this run
        try:
            with session():
                func()
        except Exception:  # noqa: BLE001 - logged with its traceback; the next run tries again
            log.exception("periodic job %s failed", name)
        ran.append(name)
    return ran


class Scheduler(threading.Thread):
    """The embedded default's cron: a daemon thread that runs the due jobs every ``tick`` seconds."""

    def __init__(self, tick: float = TICK) -> None:
        super().__init__(name="loyalty-scheduler", daemon=True)
        self.tick = tick
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.tick):
            try:
                run_due()
            except Exception:  # noqa: BLE001 - the database is unwell: try again next tick
                log.exception("could not look for due periodic jobs")

    def stop(self) -> None:
        self._stopped.set()
        self.join(30)


def start(tick: float = TICK) -> Scheduler:
    thread = Scheduler(tick)
    thread.start()
    return thread
