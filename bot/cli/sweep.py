"""`gridcare sweep [--dry-run] [--date D] [--area CODE]`: the obligation sweep by hand.

It runs exactly what the scheduled jobs run (models.services.reminders.sending.sweep: every
worker's morning list whatever their time, the overdue ladder, campaign days, programme endings) in
one unit of work, prints the messages it queued, and with --dry-run rolls everything back. Queueing is
idempotent, so a sweep after the scheduled jobs (or a second sweep) queues nothing new.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import date, datetime, time

import typer
from rich.table import Table
from sqlalchemy import func, select

from bot.cli.common import console, fail, runtime
from models.audit import Actor, audit
from models.outbox import OutboxMessage
from models.services.directory.entries import NotFound, area_by_code
from models.services.reminders.morning import unlinked_staff
from models.services.reminders.sending import Day, sweep

_TAGS = re.compile(r"<[^>]+>")


def _plain(text: str, width: int = 70) -> str:
    """The message's first lines as plain text (no HTML tags), cut for a table cell."""
    lines = [html.unescape(_TAGS.sub("", line)).strip() for line in text.splitlines()]
    flat = " / ".join(line for line in lines if line)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def sweep_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="show what would be queued, queue nothing"),
    day: str = typer.Option(
        None, "--date", help="YYYY-MM-DD (default today; another day only with --dry-run)"
    ),
    area: str = typer.Option(None, "--area", help="only this area's subtree (an area code)"),
    limit: int = typer.Option(50, "--limit", min=0, help="messages listed (all are counted)"),
) -> None:
    """Run the obligation sweep now and print what it queues (reminders, escalations, campaigns)."""
    with runtime() as rt:
        now = rt.clock.now()
        today = rt.policy.local_date(now)
        try:
            the_day = date.fromisoformat(day) if day else today
        except ValueError:
            raise fail(f"--date must be YYYY-MM-DD, not {day!r}") from None
        if the_day != today and not dry_run:
            raise fail("a sweep for another day than today can only be a --dry-run")
        moment = now if the_day == today else datetime.combine(the_day, time(9), tzinfo=rt.tz)
        session = rt.db.sessions()
        try:
            area_path = None
            if area:
                try:
                    area_path = area_by_code(session, area).path
                except NotFound:
                    raise fail(f"no area with code {area}") from None
            before = session.scalar(select(func.max(OutboxMessage.id))) or 0
            work = rt.job_context(session, moment)
            with console.status(f"sweeping {area or 'every area'} for {the_day}…"):
                work.call(sweep, work, Day(moment, the_day, rt.policy), area_path=area_path)
            queued = session.scalars(
                select(OutboxMessage).where(OutboxMessage.id > before).order_by(OutboxMessage.id)
            ).all()
            unlinked = unlinked_staff(session, area_path=area_path)
            shown = [(m.purpose, m.chat_id, m.dedupe_key, _plain(m.payload.get("text", ""))) for m in queued]
            if dry_run:
                session.rollback()
            else:
                session.commit()
        finally:
            session.close()
        with rt.db.unit_of_work() as log:  # the run is kept in the audit trail, dry or not
            audit(log, Actor.cli(), "sweep", "outbox", None, at=now, detail=f"n={len(shown)} dry={dry_run}")
        working = rt.policy.calendar.is_working_day(the_day)
    _report(shown, the_day, dry_run=dry_run, limit=limit, unlinked=unlinked, working=working)


def _report(
    shown: list[tuple[str, int, str, str]],
    the_day: date,
    *,
    dry_run: bool,
    limit: int,
    unlinked: int,
    working: bool,
) -> None:
    table = Table("purpose", "to chat", "key", "message", title=f"sweep of {the_day.isoformat()}")
    for purpose, chat, key, text in shown[:limit]:
        table.add_row(purpose, str(chat), key, text)
    if shown:
        console.print(table)
    if len(shown) > limit:
        console.print(f"… and {len(shown) - limit} more")
    by_purpose = Counter(purpose for purpose, *_ in shown)
    summary = ", ".join(f"{n} {p}" for p, n in sorted(by_purpose.items())) or "nothing new"
    verb = "would queue" if dry_run else "queued"
    console.print(f"{verb}: {summary}")
    if not working:
        console.print(
            f"{the_day.isoformat()} is a rest day: no morning lists or escalations (campaign days only)"
        )
    if unlinked:
        console.print(f"{unlinked} active worker(s) have no Telegram account linked and get nothing")
    if dry_run:
        console.print("dry run: nothing was queued")


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `gridcare`."""
    app.command("sweep")(sweep_cmd)
