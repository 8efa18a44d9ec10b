"""Threads that hand work in together have it done in one round, each gets its own result."""

from __future__ import annotations

import threading
import time

import pytest

from plugin.core.combining import Combiner


def _until(condition) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the threads never got there"
        time.sleep(0.001)


def test_items_handed_in_while_a_round_runs_are_run_together_each_once():
    rounds: list[list[int]] = []
    release = threading.Event()

    def run(items: list[int]) -> list[int]:
        rounds.append(items)
        if len(rounds) == 1:
            release.wait(10)  # the first round holds the lead until the others are waiting
        return [item * 10 for item in items]

    combiner: Combiner[int, int] = Combiner(run)
    results: dict[int, int] = {}
    first = threading.Thread(target=lambda: results.__setitem__(0, combiner.submit(0)))
    first.start()
    _until(lambda: rounds)
    others = [threading.Thread(target=lambda n=n: results.__setitem__(n, combiner.submit(n)))
              for n in range(1, 8)]
    for thread in others:
        thread.start()
    _until(lambda: len(combiner._waiting) == 7)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert results == {n: n * 10 for n in range(8)}
    assert rounds[0] == [0] and sorted(rounds[1]) == list(range(1, 8)) and len(rounds) == 2


def test_a_round_that_fails_fails_each_of_its_items_and_the_next_round_runs():
    def run(items: list[int]) -> list[int]:
        if 13 in items:
            raise ValueError("unlucky")
        return items

    combiner: Combiner[int, int] = Combiner(run)
    with pytest.raises(ValueError, match="unlucky"):
        combiner.submit(13)
    assert combiner.submit(7) == 7


def test_a_lone_thread_runs_its_own_item_at_once():
    combiner: Combiner[str, str] = Combiner(lambda items: [item.upper() for item in items])
    assert [combiner.submit(word) for word in ("a", "b")] == ["A", "B"]
