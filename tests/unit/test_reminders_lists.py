"""Due lists (pure): what goes in which part, what is ticked off, and the "why" button data."""

from __future__ import annotations

from datetime import date

from models.people import Colour
from models.schedule import Obligation, State
from models.services.obligations.due import ObligationRow
from models.services.reminders.due_lists import due_list
from models.services.reminders.morning import WhyOpen, why_data

WEDNESDAY = date(2026, 3, 4)


def _row(
    person: int, obligation: str, start: date, end: date, due: date, state: State, done: int = 0
) -> ObligationRow:
    late = (WEDNESDAY - due).days if state == State.overdue else 0
    return ObligationRow(
        person, f"P{person}", 1, 9, Colour.blue, Obligation(obligation), start, end, due, 1, done, state, late
    )


ROWS = [
    _row(1, "meeting", date(2026, 2, 23), date(2026, 3, 1), date(2026, 3, 2), State.overdue),
    _row(1, "meeting", date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 9), State.due),
    _row(2, "drug_test", date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31), State.due),
    _row(2, "meeting", date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 9), State.done, done=1),
    _row(3, "registration", date(2026, 2, 18), date(2026, 3, 4), date(2026, 3, 4), State.due),
]


def test_items_are_overdue_due_today_or_due_this_week_and_later_ones_are_counted() -> None:
    listing = due_list(ROWS, WEDNESDAY)
    assert [(line.code, line.obligation) for line in listing.bucket("overdue")] == [("P1", "meeting")]
    assert [(line.code, line.obligation) for line in listing.bucket("today")] == [("P3", "registration")]
    assert [(line.code, line.obligation) for line in listing.bucket("week")] == [("P1", "meeting")]
    assert listing.later == 1 and listing.open == 3 and listing.people == 2


def test_an_item_done_since_it_was_listed_is_kept_ticked_off() -> None:
    first = due_list(ROWS, WEDNESDAY)
    done_now = [r._replace(state=State.done, done=1) if r.person_id == 3 else r for r in ROWS]
    gone = [r for r in done_now if not (r.person_id == 1 and r.period_start == date(2026, 2, 23))]
    later = due_list(gone, WEDNESDAY, listed=[line.key for line in first.lines])
    assert [(line.code, line.obligation, line.period_start) for line in later.bucket("done")] == [
        ("P1", "meeting", date(2026, 2, 23)),
        ("P3", "registration", date(2026, 2, 18)),
    ]
    assert later.open == 1 and later.ticked == 2


def test_nothing_open_means_an_empty_list() -> None:
    assert due_list([r for r in ROWS if r.state == State.done], WEDNESDAY).open == 0


def test_why_button_data_fits_telegrams_64_bytes_and_reads_back() -> None:
    data = why_data(123456789012, "comprehensive_assessment", date(2026, 1, 1))
    assert len(data.encode()) <= 64
    assert WhyOpen.parse(data.partition(":")[2]) == WhyOpen(
        123456789012, "comprehensive_assessment", date(2026, 1, 1)
    )
    assert WhyOpen.parse("12:meeting") == WhyOpen(12, "meeting", None)


def test_forged_why_payloads_are_rejected() -> None:
    for payload in ("", "x:meeting", "12", "12:meeting:2026", "12:meeting:20261340", "1:2:3:4", "١٢:meeting"):
        assert WhyOpen.parse(payload) is None
