"""`gridcare obligations verify|rebuild [--area CODE]`: each person's kept obligations, checked or redone.

What each person owes is kept as data (models.services.obligations.state), rewritten by whatever
changes it and rolled with the days by the night job. `verify` recomputes it from the records and
lists every difference (codes, obligations, periods and counts: nothing personal), exit 1 if there
is any; `rebuild` works everybody's items out again, a batch per unit of work: after a change of
the locality's rules file, a bulk import, or to repair what verify found. Both are audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from bot.app import Runtime
from bot.cli.common import console, fail, progress_bar, runtime
from bot.cli.errors import ExitCode
from bot.obligations import Progress, catch_up, rebuild
from models.areas import Area
from models.audit import Actor, audit, audit_persons
from models.services.directory.entries import NotFound, area_by_code
from models.services.obligations.state import Difference, Kept, not_holding, people_within, verify

obligations_app = typer.Typer(help="Each person's kept obligations (what is due).", no_args_is_help=True)


def _area(session: Session, code: str | None) -> Area | None:
    if code is None:
        return None
    try:
        return area_by_code(session, code)
    except NotFound:
        raise fail(f"no area with code {code}") from None


def _count(done: int, required: int) -> str:
    return f"{done}/{required}"


def difference_rows(difference: Difference) -> list[tuple[str, str, str, str, str, str]]:
    """A person's difference as table rows: code, obligation, period, kept, recomputed, and what
    else differs (the due date, the colour whose rule applies); an item on one side only shows "—";
    and the kept earliest open due date beside the recomputed one, if they differ."""
    kept = {(k[0], k[1]): k for k in difference.kept}
    fresh = {(k[0], k[1]): k for k in difference.recomputed}
    rows = []
    for key in sorted(kept.keys() | fresh.keys()):
        have, want = kept.get(key), fresh.get(key)
        if have == want:
            continue
        some: Kept = have or want  # type: ignore[assignment]  # one of them is there
        period = f"{some[1]} – {some[2]}"
        also = []
        if have is not None and want is not None:
            also = [name for name, i in (("due date", 3), ("colour", 6)) if have[i] != want[i]]
        rows.append(
            (
                difference.code,
                some[0],
                period,
                _count(have[5], have[4]) if have else "—",
                _count(want[5], want[4]) if want else "—",
                ", ".join(also),
            )
        )
    if difference.first_open_due is not None:  # the stamp's own date, whether the items agree or not
        kept_due, fresh_due = (str(d) if d else "—" for d in difference.first_open_due)
        rows.append((difference.code, "earliest open due", "", kept_due, fresh_due, ""))
    return rows


def verify_cmd(
    area: str = typer.Option(None, "--area", help="only this area's subtree (an area code)"),
    on: str = typer.Option(None, "--on", help="YYYY-MM-DD (default: today in the configured time zone)"),
) -> None:
    """Recompute everybody's obligations from the records and list where the kept ones differ."""
    with runtime() as rt:
        now = rt.clock.now()
        try:
            day = date.fromisoformat(on) if on else rt.policy.local_date(now)
        except ValueError:
            raise fail(f"--on must be YYYY-MM-DD, not {on!r}") from None
        with rt.db.unit_of_work() as session, console.status(f"verifying {area or 'every area'}…"):
            found = _area(session, area)
            people = people_within(found.path if found else None)
            checked, differences = verify(session, people, day, rt.policy)
            skipped = not_holding(session, people, day, rt.policy)
            where = found.id if found else None
            detail = f"on={day} checked={checked} differences={len(differences)}"
            audit(session, Actor.cli(), "verify", "obligations", where, at=now, detail=detail)
            ids = [d.person_id for d in differences]  # their codes and counts are shown
            audit_persons(
                session, Actor.cli(), "verify", "obligations", where, ids, at=now, detail=f"on={day}"
            )
    table = Table(
        "person", "obligation", "period", "kept", "recomputed", "also differs", title=f"differences on {day}"
    )
    for difference in differences:
        for row in difference_rows(difference):
            table.add_row(*row)
    if differences:
        console.print(table)
    console.print(f"checked {checked} persons, {len(differences)} differences")
    if skipped:
        console.print(
            f"{skipped} of them have no items kept for {day} (never worked out, stale, or a closed case) "
            "and were not compared: a reader works them out first, or run gridcare obligations rebuild"
        )
    if differences:
        console.print("gridcare obligations rebuild works them out again from the records")
        raise typer.Exit(ExitCode.failed)


@contextmanager
def _bar(label: str) -> Iterator[Progress]:
    with progress_bar() as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def rebuild_everybody(rt: Runtime, *, area_path: str | None = None, label: str = "working out") -> int:
    """`rebuild` for today, with a progress bar; the number of persons done."""
    with _bar(f"{label} obligations") as advance:
        return rebuild(
            rt.db, rt.policy.local_date(rt.clock.now()), rt.policy, area_path=area_path, progress=advance
        )


def catch_up_everybody(rt: Runtime) -> int:
    """`catch_up` for today, with a progress bar; the number of persons done."""
    with _bar("working out obligations") as advance:
        return catch_up(rt.db, rt.policy.local_date(rt.clock.now()), rt.policy, progress=advance)


def rebuild_cmd(
    area: str = typer.Option(None, "--area", help="only this area's subtree (an area code)"),
) -> None:
    """Work everybody's obligations out again from the records (after a rules change or an import)."""
    with runtime() as rt:
        now = rt.clock.now()
        with rt.db.unit_of_work() as session:
            found = _area(session, area)
            path, where = (found.path, found.id) if found else (None, None)
        done = rebuild_everybody(rt, area_path=path, label="rebuilding")
        with rt.db.unit_of_work() as log:  # a count, nothing about whom
            audit(log, Actor.cli(), "rebuild", "obligations", where, at=now, detail=f"n={done}")
        today = rt.policy.local_date(now)
    console.print(f"worked out the obligations of {done} persons for {today}")


def register(app: typer.Typer) -> None:
    """Adds `obligations verify` and `obligations rebuild` to `gridcare`."""
    obligations_app.command("verify")(verify_cmd)
    obligations_app.command("rebuild")(rebuild_cmd)
    app.add_typer(obligations_app, name="obligations")
