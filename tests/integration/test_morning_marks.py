"""A worker's morning is dealt with once a day (models.services.reminders.morning): the day's marks
alone decide, and marks older than a week are forgotten by the housekeeping job; the refresh pass
finds each morning message's latest edit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, event, select, text, update

from handlers.reminders.jobs import morning
from models.outbox import MorningMark
from models.outgoing import Button, Send
from models.people import CareAssignment, CaseRole, Worker
from models.policy import Policy
from models.services.outbox.queue import enqueue
from models.services.reminders.morning import (
    KEEP_MARKS,
    Revision,
    latest_revision,
    latest_revisions,
    mark_morning_done,
    morning_due,
    morning_key,
    morning_sent,
    prune_morning_marks,
)
from models.services.reminders.sending import Day, Morning, morning_batch, refresh_mornings, refresh_worker
from tests.factories import make_tree, make_worker
from tests.integration.reminders_city import at, build_city

AT = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai
TODAY = date(2026, 3, 5)


def _workers(db) -> list[int]:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        ids = [make_worker(s, tree["G1"]).id for _ in range(3)]
        s.execute(update(Worker).where(Worker.id.in_(ids)).values(telegram_user_id=Worker.id + 7_000_000))
    return ids


def test_yesterday_s_mark_leaves_today_s_morning_due_and_today_s_is_claimed_once(db) -> None:
    ids = _workers(db)
    policy = Policy()
    with db.unit_of_work() as s:
        mark_morning_done(s, ids, day=TODAY - timedelta(days=1), now=AT - timedelta(days=1))
        assert mark_morning_done(s, ids[:1], day=TODAY, now=AT) == ids[:1]
        assert mark_morning_done(s, ids[:1], day=TODAY, now=AT) == []  # twice: still one mark
    with db.unit_of_work() as s:
        due = {r.worker_id for r in morning_due(s, now=AT, policy=policy)} & set(ids)
        claimed = {r.worker_id for r in morning_due(s, now=AT, policy=policy, claim=100)} & set(ids)
        marks = s.scalars(select(MorningMark.worker_id).where(MorningMark.day == TODAY)).all()
    assert due == claimed == set(ids[1:])
    assert sorted(marks) == sorted(ids)  # the claim marked what it claimed
    with db.unit_of_work() as s:
        assert not {r.worker_id for r in morning_due(s, now=AT, policy=policy, claim=100)} & set(ids)


def test_a_claim_starts_above_the_day_s_highest_mark_then_finds_those_below(db) -> None:
    """Claims go up the workers' ids: the next starts above the highest worker marked today (not
    walking past every mark of the day again); a worker below it, left by a process that died or
    whose time came later, is found by a claim from the start once none is left above."""
    ids = _workers(db)
    claims: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FOR UPDATE" in statement or "SKIP LOCKED" in statement or "morning_marks" in statement:
            claims.append(statement)

    with db.unit_of_work() as s:
        mark_morning_done(s, ids[:1], day=TODAY, now=AT)
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.unit_of_work() as s:
            above = [r.worker_id for r in morning_due(s, now=AT, policy=Policy(), claim=100)]
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert above == ids[1:]
    first_claim = next(c for c in claims if "ORDER BY workers.id" in c)
    assert "workers.id >" in first_claim  # it started above the highest mark
    with db.unit_of_work() as s:
        s.execute(delete(MorningMark).where(MorningMark.worker_id == ids[1]))  # as if its claim died
        below = [r.worker_id for r in morning_due(s, now=AT, policy=Policy(), claim=100)]
    assert below == [ids[1]]


def test_marks_older_than_a_week_are_pruned_and_the_week_s_are_kept(db) -> None:
    ids = _workers(db)
    old, kept = TODAY - KEEP_MARKS - timedelta(days=1), TODAY - KEEP_MARKS
    with db.unit_of_work() as s:
        for day in (old, kept, TODAY):
            mark_morning_done(s, ids, day=day, now=AT)
    with db.unit_of_work() as s:
        assert prune_morning_marks(s, today=TODAY) == len(ids)
        days = set(s.scalars(select(MorningMark.day).where(MorningMark.worker_id.in_(ids))))
    assert days == {kept, TODAY}


def test_the_claim_reads_the_day_s_marks_once_even_when_the_statistics_say_there_are_none(db) -> None:
    """PostgreSQL plans the claim's `NOT EXISTS` over the day's marks from its statistics: analyzed
    before the day's first mark, they say none, and a nested loop would read every mark of the day
    for each worker (1.1 s a claim at a country's 28,000 marks). The claim is planned without one."""
    with db.unit_of_work() as s:
        tree = make_tree(s)
        ids = [make_worker(s, tree["G1"]).id for _ in range(60)]
        s.execute(update(Worker).where(Worker.id.in_(ids)).values(telegram_user_id=Worker.id + 7_000_000))
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        with db.engine.connect() as c:
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE morning_marks")
    with db.unit_of_work() as s:
        mark_morning_done(s, ids[:40], day=TODAY, now=AT)
    plans: list[str] = []

    def explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "SKIP LOCKED" in statement and "morning_marks" in statement:
            found = cursor.connection.execute("EXPLAIN " + statement, parameters).fetchall()
            plans.append("\n".join(row[0] for row in found))

    event.listen(db.engine, "before_cursor_execute", explain)
    try:
        with db.unit_of_work() as s:
            claimed = {r.worker_id for r in morning_due(s, now=AT, policy=Policy(), claim=100)} & set(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", explain)
    assert claimed == set(ids[40:])
    if postgres:
        assert plans and all("Nested Loop" not in plan for plan in plans), plans


class _Lists:
    """The morning's poster, keeping what it was given (the runtime renders and queues it)."""

    def __init__(self) -> None:
        self.mornings: list[Morning] = []

    def post_mornings(self, mornings: Sequence[Morning]) -> int:
        self.mornings.extend(mornings)
        return len(mornings)


def test_a_morning_batch_and_the_refresh_read_their_people_by_index_the_setting_ending_with_them(
    db,
) -> None:
    """On PostgreSQL a morning batch's reads are costed as a database in memory: at the default
    random_page_cost PostgreSQL hashes every person and every kept item for each batch of a few
    thousand persons (BENCHMARKS.md section 14). Each statement is planned for its batch's ids: one
    plan for any array searched it element by element (section 15). The settings end with the
    batch's transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no such setting")
    ids = _workers(db)
    setting = text("SELECT current_setting('random_page_cost'), current_setting('plan_cache_mode')")
    batch = ("1.1", "force_custom_plan")  # and each statement planned for its batch's ids (sql.one_of)
    with db.unit_of_work() as s:
        default = tuple(s.execute(setting).one())
    lists = _Lists()
    with db.unit_of_work() as s:
        assert morning_batch(s, lists, Day(AT, TODAY, Policy())) >= len(ids)  # type: ignore[arg-type]
        assert tuple(s.execute(setting).one()) == batch
    with db.unit_of_work() as s:
        assert tuple(s.execute(setting).one()) == default != batch and default[1] == "auto"
        refresh_mornings(s, lists, Day(AT, TODAY, Policy()))  # type: ignore[arg-type]
        assert tuple(s.execute(setting).one()) == batch  # the backstop reads the same lists the same way


def test_the_refresh_reads_each_worker_s_latest_revision_at_once_as_one_by_one(db) -> None:
    """`latest_revisions` (the refresh pass, one read per batch) gives each worker what
    `latest_revision` gives: the day's message or its last edit, numbered; not yesterday's, not
    another purpose's, not another worker's in the same chat."""
    first, second, _ = _workers(db)
    policy = Policy()
    chat = {w: w + 7_000_000 for w in (first, second)}

    def queue(s, worker: int, key: str, text: str, purpose: str = "morning", day: date = TODAY) -> None:
        at = datetime.combine(day, datetime.min.time(), tzinfo=policy.tz).replace(hour=10)
        send = Send(chat[worker], text, ((Button(text, f"why:1:meeting:{day:%Y%m%d}"),),))
        enqueue(s, message=send, purpose=purpose, dedupe_key=key, now=at)

    with db.unit_of_work() as s:
        queue(s, first, morning_key(first, TODAY), "first, as sent")
        queue(s, first, morning_key(first, TODAY) + ":r1", "first, ticked once")
        queue(s, first, morning_key(first, TODAY) + ":r2", "first, ticked twice")
        queue(s, first, f"overdue:worker:{first}:{TODAY}:x", "another purpose, same chat", purpose="overdue")
        queue(
            s,
            second,
            morning_key(second, TODAY - timedelta(days=1)),
            "yesterday's",
            day=TODAY - timedelta(days=1),
        )
        queue(s, second, morning_key(second, TODAY), "second, as sent")
        queue(s, second, morning_key(first, TODAY) + ":r9", "a key of the first worker's in another chat")
    with db.unit_of_work() as s:
        sent = morning_sent(s, TODAY, policy)
        assert sent == {first: chat[first], second: chat[second]}
        one_by_one = {w: latest_revision(s, c, morning_key(w, TODAY)) for w, c in sent.items()}
        assert latest_revisions(s, sent, TODAY, policy) == one_by_one
    assert one_by_one[first] is not None and one_by_one[first].number == 2
    assert one_by_one[first].text == "first, ticked twice"
    assert one_by_one[second] is not None and one_by_one[second].number == 0


class _Edits:
    """The refresh's poster, keeping every list it was asked to compare (as if each had changed)."""

    def __init__(self) -> None:
        self.revised: list[tuple[Morning, int]] = []

    def revise_mornings(self, revisions: Sequence[tuple[Morning, Revision]]) -> int:
        self.revised.extend((morning, revision.number) for morning, revision in revisions)
        return len(revisions)


def test_the_refresh_pass_revises_every_list_as_one_by_one_reading_codes_and_names_once(db) -> None:
    """The refresh pass over three workers gives each the list `refresh_worker` gives (an item
    ticked off; a person moved to another worker, kept on the list as ticked off by code), and
    reads the codes of items gone and the names of the first pages once for all the lists."""
    cities = [build_city(db, prefix=prefix) for prefix in "ABC"]
    for city in cities:
        for _ in range(2):
            city.person(created=at(date(2026, 2, 1)))
    first, second, third = cities
    wednesday = date(2026, 3, 4)
    first.run(morning, at(wednesday, time(8, 30)))
    first.meet(first.people[0], at(wednesday, time(10)))
    moved = second.people[1]
    with db.unit_of_work() as s:
        s.execute(
            update(CareAssignment)
            .where(CareAssignment.person_id == moved.id, CareAssignment.case_role == CaseRole.responsible)
            .values(worker_id=third.worker.id)
        )
    day = Day(at(wednesday, time(11)), wednesday, first.policy)
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    pass_edits = _Edits()
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.unit_of_work() as s:
            assert refresh_mornings(s, pass_edits, day) == 3  # type: ignore[arg-type]
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    one_by_one = _Edits()
    with db.unit_of_work() as s:
        for city in cities:
            refresh_worker(s, one_by_one, city.worker.id, day)  # type: ignore[arg-type]
    assert sorted(pass_edits.revised, key=repr) == sorted(one_by_one.revised, key=repr)
    lists = {m.key: m.listing for m, _ in pass_edits.revised}
    gone = lists[morning_key(second.worker.id, wednesday)]
    assert any(line.person_id == moved.id and line.ticked for line in gone.lines)
    assert any(line.person_id == moved.id for line in lists[morning_key(third.worker.id, wednesday)].lines)
    codes = [s for s in statements if s.startswith("SELECT persons.id, persons.code, persons.colour \nFROM")]
    names = [s for s in statements if s.startswith("SELECT persons.id, persons.name \nFROM")]
    assert len(codes) == 1 and len(names) == 1, statements
