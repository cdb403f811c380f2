"""A digest's part of the shared obligation rows: the same rows, in the same order, as filtering them."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.people import Colour
from models.schedule import Obligation, State
from models.services.digest.summary import Shared
from models.services.obligations.due import ObligationRow

DAY = date(2026, 3, 4)
AREAS = range(1, 7)


def make_row(person_id: int, area_id: int, n: int, state: State) -> ObligationRow:
    """The n-th item of a person; items differ, so any reordering shows."""
    due = DAY + timedelta(days=n)
    return ObligationRow(
        person_id, f"P{person_id:04d}", area_id, None, Colour.orange, Obligation.meeting,
        due, due, due, 1, 0, state, 0,
    )  # fmt: skip


people = st.dictionaries(
    st.integers(1, 500),
    st.tuples(st.sampled_from(AREAS), st.lists(st.sampled_from(list(State)), min_size=1, max_size=4)),
    max_size=40,
)


@given(people=people, areas=st.permutations(AREAS), keep=st.integers(0, len(AREAS)))
@settings(max_examples=200, deadline=None)
def test_the_rows_of_some_areas_are_the_shared_rows_filtered_in_their_order(people, areas, keep):
    # As obligation_rows gives them: by person id, each person's items together, in one area.
    rows = [
        make_row(person_id, area_id, n, state)
        for person_id, (area_id, states) in sorted(people.items())
        for n, state in enumerate(states)
    ]
    shared = Shared("/1/", rows, counts=None)  # type: ignore[arg-type]
    wanted = set(areas[:keep])
    assert shared.rows_in(areas[:keep]) == [r for r in rows if r.area_id in wanted]


def test_areas_without_rows_give_no_rows():
    shared = Shared("/1/", [make_row(1, 1, 0, State.due)], counts=None)  # type: ignore[arg-type]
    assert shared.rows_in([2, 3]) == []
