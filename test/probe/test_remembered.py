"""What the traced primitives touched, kept weakly and made plain again when tracing stops."""

from __future__ import annotations

import gc
import threading

import threadline
from threadline.capture.locks.remembered import Remembered


class Thing:
    pass


def test_only_the_living_are_given_back_and_the_dead_do_not_pile_up():
    remembered = Remembered()
    kept = []
    for i in range(50_000):
        thing = Thing()
        remembered.add(thing)
        if i % 1000 == 0:
            kept.append(thing)
    del thing
    assert {id(x) for x in remembered} == {id(x) for x in kept}
    assert len(remembered) < 10_000, "dead references are pruned as the list grows"


def test_objects_touched_long_before_the_end_of_a_trace_are_made_plain():
    gc.collect()
    with threadline.trace(display=False):
        first = threading.Event()  # the learner's: its state lives in its __dict__ while tracing
        first.set()
        first.wait()
        for _ in range(20_000):  # the standard library's own events, dropped at once
            threading.Thread(target=int)
        last = threading.Event()
        assert any(key.startswith("_tl_") for key in vars(first))
    for event in (first, last):
        assert not [key for key in vars(event) if key.startswith("_tl_")]
