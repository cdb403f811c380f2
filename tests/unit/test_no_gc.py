"""`no_gc` pauses cyclic garbage collection while a batch's rows are made, and always resumes it."""

from __future__ import annotations

import gc

import pytest

from models.services.obligations.due import no_gc


def test_collection_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with no_gc():
        assert not gc.isenabled()
        with no_gc():  # nested (the morning job around obligation_rows): the inner one leaves it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_resumes_collection() -> None:
    with pytest.raises(RuntimeError), no_gc():
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_it_leaves_collection_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with no_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
