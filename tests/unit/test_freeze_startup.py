"""`gridcare run` moves what start-up built out of the collector's sight, after collecting."""

from __future__ import annotations

import gc
import weakref

from bot.cli.serve import freeze_startup


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_startup_objects_are_frozen_and_startup_garbage_is_collected_first() -> None:
    kept = _Node()  # lives on, as the bot does
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage  # unreachable, but a cycle: still alive until a collection
    assert gone() is not None
    before = gc.get_freeze_count()
    try:
        freeze_startup()
        assert gone() is None, "start-up's garbage was frozen instead of freed"
        assert gc.get_freeze_count() > before
        young = {id(o) for o in gc.get_objects()}  # the generations a collection walks
        assert id(kept) not in young, "what start-up built is still walked by every collection"
    finally:
        gc.unfreeze()  # the rest of the suite collects as usual
