"""`one_of` (models.services.sql): the same rows as `IN (…)` on both databases, for ids, Telegram
chat ids beyond 32 bits and text keys, none or many, more than SQLite's limit of parameters; the
values go as one parameter (a morning batch's thousands of ids are not rendered, split and parsed
as thousands)."""

from __future__ import annotations

from sqlalchemy import event, select, update

from models.people import Worker
from models.services.sql import bound_one_of, one_of
from tests.factories import make_tree, make_worker


def test_one_of_selects_what_in_selects_with_one_parameter(db) -> None:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        ids = [make_worker(s, tree["G1"]).id for _ in range(5)]
        s.execute(
            update(Worker).where(Worker.id.in_(ids[:4])).values(telegram_user_id=Worker.id + 9_000_000_000)
        )
    chats = [i + 9_000_000_000 for i in ids]  # the fifth has no account: a value that matches nothing
    parameters: list[int] = []

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        parameters.append(len(params))

    with db.unit_of_work() as s:
        codes = list(s.scalars(select(Worker.code).where(Worker.id.in_(ids))))
        cases = [
            (Worker.id, ids[1:4]),
            (Worker.id, []),
            (Worker.telegram_user_id, chats),
            (Worker.code, codes[:2]),
            (Worker.id, [*ids, *range(10**9, 10**9 + 40_000)]),  # beyond SQLite's 32,766 parameters
        ]
        for column, values in cases:
            # the reference: IN over the first five (beyond them, nothing matches; SQLite could not take all)
            wanted = set(s.scalars(select(Worker.id).where(column.in_(values[:5]))))
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                found = set(s.scalars(select(Worker.id).where(one_of(s, column, values))))
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            assert found == wanted, column
        assert [len(v) for _, v in cases] == [3, 0, 5, 2, 40_005]
    assert parameters == [1] * 5  # the values as one array (JSON on SQLite), whatever their number


def test_a_statement_built_once_with_bound_one_of_selects_each_run_s_values(db) -> None:
    with db.unit_of_work() as s:
        tree = make_tree(s)
        ids = [make_worker(s, tree["G1"]).id for _ in range(4)]
    kept = select(Worker.id).where(bound_one_of(db.engine.dialect.name, Worker.id, "ids"))
    with db.unit_of_work() as s:
        for values in (ids[:2], ids[2:], [], ids):  # one statement object, different values each run
            assert set(s.scalars(kept, {"ids": values})) == set(values)
