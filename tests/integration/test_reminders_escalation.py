"""The overdue ladder: the worker on day 1, the care team's cadre after 3 days, the digest after 7;
and the "case ending" task a month before a programme ends. Each message once, whatever reruns."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import event

from bot.db import Database
from handlers.reminders.jobs import case_endings, escalate
from handlers.render import masked
from models.outbox import OutboxMessage
from models.outgoing import Send
from models.records import RecordKind
from models.services.digest.scope import AreaRef
from models.services.digest.summary import Digest, Period, PeriodKind, build_digest
from models.services.obligations.due import ObligationRow
from models.services.outbox.queue import enqueue
from models.services.reminders.due_lists import PAGE_LINES
from models.services.reminders.overdue import overdue_for_digest
from tests.integration.reminders_city import City, at, build_city


def _city(db: Database) -> City:
    """One person whose only open work is the meeting of the week of 2 March."""
    city = build_city(db)
    person = city.person(created=at(date(2026, 2, 1)))
    city.all_done_before(person, date(2026, 3, 2))
    return city


def _overdue(city: City) -> dict[str, OutboxMessage]:
    return {k: r for k, r in city.outbox().items() if k.startswith("overdue:")}


def test_on_the_first_day_overdue_the_worker_is_told(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    assert city.run(escalate, at(date(2026, 3, 9))) == 0  # due today: not yet overdue
    assert city.run(escalate, at(date(2026, 3, 10))) == 1
    [row] = _overdue(city).values()
    assert row.chat_id == city.worker.telegram_user_id
    assert row.dedupe_key.startswith(f"overdue:worker:{city.worker.id}:2026-03-10:")
    text = row.payload["text"]
    assert "1 项工作已逾期" in text and person.code in text and person.name not in text
    assert [d for _, d in row.payload["buttons"][0]] == [f"why:{person.id}:meeting:20260302"]
    assert masked(person.name) in row.payload["buttons"][0][0][0] and person.code in text


def test_a_repeated_sweep_queues_nothing_new(db: Database) -> None:
    city = _city(db)
    city.run(escalate, at(date(2026, 3, 10)))
    inserts: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO overdue_notices"):
            inserts.append(len(parameters) if executemany else 1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert city.run(escalate, at(date(2026, 3, 10), time(15))) == 0
        assert city.run(escalate, at(date(2026, 3, 11))) == 0  # day 2: still the first rung
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(_overdue(city)) == 1
    assert inserts == []  # the rungs told before are read, not inserted again to find they exist


def test_items_reaching_a_rung_together_come_in_one_message(db: Database) -> None:
    city = build_city(db)
    first, second = city.person(created=at(date(2026, 2, 1))), city.person(created=at(date(2026, 2, 1)))
    # February's work of both (due 28 February), last year's assessments and the meetings of the
    # weeks of 9 and 16 February (due 24 February, after the Spring Festival): 14 items, two messages
    assert city.run(escalate, at(date(2026, 3, 2))) == 2
    [row] = [r for r in _overdue(city).values() if r.chat_id == city.worker.telegram_user_id]
    assert "14 项工作已逾期" in row.payload["text"]
    assert first.code in row.payload["text"] and second.code in row.payload["text"]
    # one button per item, a page's worth (no message carries more than 12), the rest counted
    assert len(row.payload["buttons"]) == PAGE_LINES and "另有 6 项" in row.payload["text"]


def test_after_three_days_the_cadre_of_the_care_team_is_told(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    city.run(escalate, at(date(2026, 3, 10)))
    assert city.run(escalate, at(date(2026, 3, 12))) == 1
    [row] = [
        r for k, r in _overdue(city).items() if k.startswith(f"overdue:cadre:{city.cadre.id}:2026-03-12:")
    ]
    assert row.chat_id == city.cadre.telegram_user_id
    assert person.code in row.payload["text"] and city.worker.name in row.payload["text"]  # whom to ask
    assert city.run(escalate, at(date(2026, 3, 13))) == 0


def test_both_rungs_catch_up_on_the_first_working_day_after_a_holiday(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 8, 1)))
    city.all_done_before(person, date(2026, 9, 1))
    assert city.run(escalate, at(date(2026, 10, 1))) == 0  # National Day: nothing is sent
    assert city.run(escalate, at(date(2026, 10, 8))) == 2
    chats = {r.chat_id: r.payload["text"] for r in _overdue(city).values()}
    assert set(chats) == {city.worker.telegram_user_id, city.cadre.telegram_user_id}
    assert all("吸毒检测（9月1日–9月30日）" in text for text in chats.values())


def test_the_digest_gets_what_is_seven_days_overdue(db: Database) -> None:
    city = build_city(db)
    # February's work was due on Saturday 28 February 2026: a swapped working day (调休).
    person = city.person(created=at(date(2026, 2, 1)))
    with db.unit_of_work() as session:
        six = overdue_for_digest(session, today=date(2026, 3, 6), policy=city.policy)
        seven = overdue_for_digest(session, today=date(2026, 3, 7), policy=city.policy)
    assert [str(r.obligation) for r in six if r.period_start == date(2026, 2, 1)] == []
    late = {
        (r.person_id, str(r.obligation), r.days_overdue) for r in seven if r.period_start == date(2026, 2, 1)
    }
    assert late == {(person.id, o, 7) for o in ("drug_test", "education", "thought_report")}


def test_a_case_ending_task_comes_a_month_before_the_programme_ends_once(db: Database) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 1, 5)), programme_end=date(2026, 4, 3))
    assert city.run(case_endings, at(date(2026, 3, 2))) == 0
    assert city.run(case_endings, at(date(2026, 3, 3))) == 1
    assert city.run(case_endings, at(date(2026, 3, 4))) == 0
    row = city.outbox()[f"case_end:{person.id}:2026-04-03:{city.worker.id}"]
    assert row.chat_id == city.worker.telegram_user_id and person.code in row.payload["text"]


def test_a_case_ending_task_queued_under_the_key_without_its_recipient_counts_as_told(
    db: Database,
) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 1, 5)), programme_end=date(2026, 4, 3))
    with db.unit_of_work() as session:
        enqueue(
            session,
            message=Send(city.worker.telegram_user_id, "told before the key named its recipient"),
            purpose="case_end",
            dedupe_key=f"case_end:{person.id}:2026-04-03",
            now=at(date(2026, 3, 3), time(8)),
        )
    assert city.run(case_endings, at(date(2026, 3, 3))) == 0


def _digest(city: City, today: date) -> Digest:
    grid = city.grid
    ref = AreaRef(grid.id, grid.code, grid.name, grid.level, grid.path)
    with city.db.unit_of_work() as session:
        return build_digest(
            session, ref, Period.of(PeriodKind.day, today), policy=city.policy, now=at(today, time(18))
        )


def test_a_missed_week_climbs_the_whole_ladder_across_two_week_boundaries(db: Database) -> None:
    city = _city(db)
    person = city.people[0]
    city.meet(person, at(date(2026, 3, 10)))  # the weeks after are met: only the week of 2 March is missed
    city.meet(person, at(date(2026, 3, 16)))
    assert city.run(escalate, at(date(2026, 3, 10))) == 1  # day 1 (due Monday 9 March): the worker
    assert city.run(escalate, at(date(2026, 3, 12))) == 1  # day 3: the cadre
    six = overdue_for_digest_of(city, date(2026, 3, 15))
    assert six == []  # Sunday, day 6: not yet for the supervisor
    seven = overdue_for_digest_of(city, date(2026, 3, 16))  # Monday of the week after next
    assert [(r.person_id, str(r.obligation), r.period_start, r.days_overdue) for r in seven] == [
        (person.id, "meeting", date(2026, 3, 2), 7)
    ]
    digest = _digest(city, date(2026, 3, 16))
    assert digest.escalated == 1
    assert [(p.person_code, p.days_overdue, p.obligations) for p in digest.worst] == [
        (person.code, 7, ("meeting",))
    ]
    assert city.run(escalate, at(date(2026, 3, 16))) == 0  # every rung told once
    assert overdue_for_digest_of(city, date(2026, 3, 17)) == []  # the ladder has run: it drops off
    assert _digest(city, date(2026, 3, 17)).escalated == 0


def test_a_week_missed_before_national_day_reaches_the_cadre_on_the_first_working_day_after(
    db: Database,
) -> None:
    city = build_city(db)
    person = city.person(created=at(date(2026, 8, 1)))
    city.all_done_before(person, date(2026, 9, 21))
    for kind, subkind, result in (
        (RecordKind.drug_test, "urine", "negative"),
        (RecordKind.education, None, None),
        (RecordKind.thought_report, None, None),
    ):
        city.record(person, kind, at(date(2026, 9, 22)), subkind, result)  # September's work
    city.record(person, RecordKind.assessment, at(date(2026, 6, 1)), "quantitative")  # the half-year's
    city.meet(person, at(date(2026, 9, 29)))  # the week of 28 September; that of 21 September is missed
    assert city.run(escalate, at(date(2026, 9, 29))) == 1  # due Monday 28 September: day 1, the worker
    assert city.run(escalate, at(date(2026, 10, 1))) == 0  # day 3 is National Day: nothing is sent
    [late] = overdue_for_digest_of(city, date(2026, 10, 5))  # the digest, day 7, in the holidays
    assert (late.period_start, late.days_overdue) == (date(2026, 9, 21), 7)
    assert city.run(escalate, at(date(2026, 10, 8))) == 1  # first working day, day 10: the cadre
    [row] = [r for k, r in _overdue(city).items() if k.startswith(f"overdue:cadre:{city.cadre.id}:")]
    assert person.code in row.payload["text"]
    assert overdue_for_digest_of(city, date(2026, 10, 9)) == []


def overdue_for_digest_of(city: City, today: date) -> list[ObligationRow]:
    with city.db.unit_of_work() as session:
        return overdue_for_digest(session, today=today, policy=city.policy)


def test_the_rungs_told_before_are_read_by_index_whatever_the_statistics_say(db: Database) -> None:
    """PostgreSQL: the ladder reads which rungs were told before by the notices' index, even when
    the statistics say the table is empty (a first day's ladder fills it before autovacuum analyzes
    it, and a sequential scan per 500 persons would read every notice)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no such setting")
    city = _city(db)
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE overdue_notices")
    city.run(escalate, at(date(2026, 3, 10)))  # the first rung told: one notice, statistics of none
    plans: list[str] = []

    def explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT overdue_notices.person_id"):
            found = cursor.connection.execute("EXPLAIN " + statement, parameters).fetchall()
            plans.append("\n".join(row[0] for row in found))

    event.listen(db.engine, "before_cursor_execute", explain)
    try:
        assert city.run(escalate, at(date(2026, 3, 11))) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", explain)
    assert plans and all("Seq Scan" not in plan for plan in plans), plans
