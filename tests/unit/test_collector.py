"""Full garbage collections wait for a moment with nothing in flight, but never longer than
LONGEST_DEFERRAL; CPython's own full collections are off meanwhile and come back after."""

from __future__ import annotations

import gc

from telegemini.collector import LONGEST_DEFERRAL, FullCollections


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def full_collections() -> int:
    return gc.get_stats()[2]["collections"]


def test_a_full_collection_waits_for_an_idle_moment_or_the_longest_deferral():
    clock = Clock()
    busy = [True]
    policy = FullCollections(lambda: busy[0], clock=clock)
    before = gc.get_threshold()
    policy.take_over()
    gc.disable()  # no automatic collection in between: the counts below are the test's own
    try:
        assert gc.get_threshold()[:2] == before[:2]
        assert gc.get_threshold()[2] > 10**6  # CPython's own full collections are off
        gc.collect(1)  # a young collection: a full one is now pending
        done = full_collections()
        assert not policy.step()  # busy: waits
        assert full_collections() == done
        busy[0] = False
        assert policy.step()  # idle: collects
        assert full_collections() == done + 1
        assert not policy.step()  # nothing pending any more
        busy[0] = True
        gc.collect(1)
        clock.now += LONGEST_DEFERRAL  # busy for too long: collects anyway
        assert policy.step()
        assert full_collections() == done + 2
    finally:
        gc.enable()
        policy.hand_back()
    assert gc.get_threshold() == before
