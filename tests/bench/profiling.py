"""Profiling for the benchmarks' --profile runs: every SQL statement the plugin runs, timed."""

from __future__ import annotations

import cProfile
import re
import time
from collections.abc import Callable

from benchlib import table


class SqlTimer:
    """Times every statement (and COMMIT) the bound peewee database runs, grouped by SQL text."""

    _PARAMS = re.compile(r"\((?:%s|\?)(?:, (?:%s|\?))*\)")

    def __init__(self) -> None:
        from plugin.core.db import database

        self.db = database.obj
        self.stats: dict[str, list[float]] = {}

    def _add(self, key: str, started: float) -> None:
        entry = self.stats.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - started

    def __enter__(self) -> SqlTimer:
        execute, commit = self.db.execute_sql, self.db.commit
        connect, close = self.db._connect, self.db._close

        def timed_execute(sql, params=None, *args, **kwargs):
            started = time.perf_counter()
            try:
                return execute(sql, params, *args, **kwargs)
            finally:
                self._add(self._PARAMS.sub("(…)", sql)[:150], started)

        def timed_commit():
            started = time.perf_counter()
            try:
                return commit()
            finally:
                self._add("COMMIT", started)

        def timed_connect():
            started = time.perf_counter()
            try:
                return connect()
            finally:
                self._add("CONNECT (new database connection)", started)

        def timed_close(conn):
            started = time.perf_counter()
            try:
                return close(conn)
            finally:
                self._add("CLOSE (database connection)", started)

        self.db.execute_sql, self.db.commit = timed_execute, timed_commit
        self.db._connect, self.db._close = timed_connect, timed_close
        return self

    def __exit__(self, *exc) -> None:
        del self.db.execute_sql, self.db.commit, self.db._connect, self.db._close

    def report(self, units: int, unit: str, wall: float, top: int = 16) -> str:
        total = sum(t for _, t in self.stats.values())
        count = sum(c for c, _ in self.stats.values())
        rows = [[sql[:100], c, f"{c / units:.2f}", f"{t:.2f}", f"{t / wall:.0%}"]
                for sql, (c, t) in sorted(self.stats.items(), key=lambda item: -item[1][1])[:top]]
        return (f"SQL: {count} statements/connects ({count / units:.1f} per {unit}), {total:.2f} s inside "
                f"execute/commit ({total / wall:.0%} of the wall time)\n"
                + table(["statement (normalised)", "count", f"per {unit}", "total s", "share"], rows))


def profiled(work: Callable[[], object]) -> tuple[cProfile.Profile, SqlTimer, float]:
    """Run ``work`` once under cProfile with every SQL statement timed: the profiler, the SQL timer
    and the wall-clock seconds."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with SqlTimer() as sql:
        profiler.enable()
        work()
        profiler.disable()
    return profiler, sql, time.perf_counter() - started
