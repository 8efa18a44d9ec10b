"""Profiling for the benchmarks' --profile runs: every SQL statement the plugin runs, timed."""

from __future__ import annotations

import cProfile
import re
import time
from collections.abc import Callable

from benchlib import table


class SqlTimer:
    """Times every statement (and COMMIT) the bound peewee database runs, grouped by SQL text."""

    _PARAMS = re.compile(r"\((?:%s|\?|\d+)(?:, (?:%s|\?|\d+))*\)")  # ids_in writes ids inline
    _SAVEPOINT = re.compile(r'"s[0-9a-f]{32}"')  # peewee names each savepoint afresh

    def __init__(self) -> None:
        from plugin.core.db import database

        self.db = database.obj
        self.stats: dict[str, list[float]] = {}
        self.count, self.seconds = 0, 0.0  # running totals, read by Stages

    def _add(self, key: str, started: float) -> None:
        spent = time.perf_counter() - started
        entry = self.stats.setdefault(self._SAVEPOINT.sub('"s…"', key), [0, 0.0])
        entry[0] += 1
        entry[1] += spent
        self.count += 1
        self.seconds += spent

    def __enter__(self) -> SqlTimer:
        from plugin.core.prepared import statement  # an EXECUTE of a prepared read: timed as its SQL

        execute, commit = self.db.execute_sql, self.db.commit
        connect, close = self.db._connect, self.db._close

        def timed_execute(sql, params=None, *args, **kwargs):
            started = time.perf_counter()
            try:
                return execute(sql, params, *args, **kwargs)
            finally:
                self._add(self._PARAMS.sub("(…)", statement(sql))[:150], started)

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


class Stages:
    """Time spent inside chosen functions (inclusive), by stage: wall, this process's CPU (Python,
    and the driver's share of each statement) and the SQL statements run inside (time waiting
    included). A stage called inside another is its child (a function called from two stages is
    counted under each); a parent's row "(rest)" is what its children do not account for."""

    def __init__(self, sql: SqlTimer) -> None:
        self.sql = sql
        self.totals: dict[tuple[str, ...], list[float]] = {}  # path -> [calls, wall, cpu, statements, sql s]
        self._stack: list[str] = []
        self._undo: list[tuple[Callable, str, object]] = []

    def timed(self, label: str, function: Callable) -> Callable:
        def timed_call(*args, **kwargs):
            self._stack.append(label)
            total = self.totals.setdefault(tuple(self._stack), [0, 0.0, 0.0, 0, 0.0])
            wall, cpu = time.perf_counter(), time.process_time()
            count, seconds = self.sql.count, self.sql.seconds
            try:
                return function(*args, **kwargs)
            finally:
                total[0] += 1
                total[1] += time.perf_counter() - wall
                total[2] += time.process_time() - cpu
                total[3] += self.sql.count - count
                total[4] += self.sql.seconds - seconds
                self._stack.pop()

        return timed_call

    def wrap(self, owner: object, attr: str, label: str) -> None:
        """Time ``owner.attr`` (a module's function, a dict's entry) until ``restore``."""
        if isinstance(owner, dict):
            original, setter = owner[attr], owner.__setitem__
        else:
            original, setter = getattr(owner, attr), lambda name, value: setattr(owner, name, value)
        self._undo.append((setter, attr, original))
        setter(attr, self.timed(label, original))

    def restore(self) -> None:
        for setter, attr, original in reversed(self._undo):
            setter(attr, original)
        self._undo.clear()

    def report(self, units: int, unit: str) -> str:
        rows = []
        for path in self._tree(()):
            calls, wall, cpu, count, seconds = self.totals[path]
            depth = "  " * (len(path) - 1)
            rows.append(self._row(depth + path[-1], calls, wall, cpu, count, seconds, units))
            children = [self.totals[child] for child in self.totals if child[:-1] == path]
            if children:
                rest = [self.totals[path][i] - sum(c[i] for c in children) for i in range(1, 5)]
                rows.append(self._row(depth + "  (rest)", "", *rest, units))
        ms = f"ms/{unit}"
        return table(["stage (inclusive)", "calls", f"wall {ms}", f"CPU {ms}", f"SQL/{unit}",
                      f"SQL {ms}"], rows)

    def _tree(self, parent: tuple[str, ...]) -> list[tuple[str, ...]]:
        """Paths depth first, each stage's children in the order they were first called."""
        out = []
        for path in self.totals:
            if path[:-1] == parent:
                out += [path, *self._tree(path)]
        return out

    @staticmethod
    def _row(label, calls, wall, cpu, count, seconds, units) -> list:
        return [label, calls, f"{wall / units * 1e3:.3f}", f"{cpu / units * 1e3:.3f}",
                f"{count / units:.2f}", f"{seconds / units * 1e3:.3f}"]


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
