"""The scheduled jobs of reminders (issue 5): morning lists, their refresh, the overdue ladder,
campaign days and programme endings. Each is `fn(jctx) -> int` (messages queued), idempotent:
every message has a dedupe key, so running a job twice queues nothing new.

Nothing here is urgent: quiet hours and open forms hold these messages (the sender's rules), and
on rest days (weekends, public holidays) the jobs send nothing but a campaign day's own reminder.
The sender holds them on rest days too (models.services.outbox.claims.HELD_ON_REST_DAYS), so a reminder
queued late on the eve of a holiday waits for the next working day, not for the holiday's morning.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from handlers.context import JobCtx, Work
from handlers.reminders.views import (
    MAX_LINES,
    Rendered,
    locale_for,
    queue,
    queue_all,
    render_lines,
    render_page,
)
from models.services.appointments.booking import AppointmentView, appointments_on
from models.services.batches import BATCH_WORKERS, area_batches, caseload_areas
from models.services.obligations.due import ObligationRow
from models.services.reminders.due_lists import (
    DueLine,
    DueList,
    Recipient,
    chat_locales,
    codes_of,
    due_list,
    line_of,
    names_of,
    with_names,
    worker_chat,
)
from models.services.reminders.morning import (
    MORNING,
    Revision,
    latest_revision,
    listed_keys,
    mark_morning_done,
    morning_due,
    morning_key,
    morning_owner,
    morning_rows,
    morning_sent,
)
from models.services.reminders.notices import campaign_reminders, case_ending_tasks
from models.services.reminders.overdue import OVERDUE, Escalation, escalations, record_new
from models.services.sql import chunks


def _working(jctx: JobCtx) -> bool:
    return jctx.policy.calendar.is_working_day(jctx.today)


# -- the morning list ----------------------------------------------------------------------------


def send_mornings(
    jctx: JobCtx,
    *,
    area_path: str | None = None,
    everyone: bool = False,
    worker_ids: Collection[int] | None = None,
) -> int:
    """Each worker whose reminder time has come gets today's list once (nothing: no message)."""
    if not _working(jctx):
        return 0
    due = jctx.call(
        morning_due,
        now=jctx.now,
        policy=jctx.policy,
        area_path=area_path,
        everyone=everyone,
        worker_ids=worker_ids,
    )
    if not due:
        return 0
    sent = 0
    for batch in chunks(due, BATCH_WORKERS):  # memory follows a batch, not the whole area
        sent += queue_all(jctx, _morning_messages(jctx, batch), purpose=MORNING)
        jctx.call(mark_morning_done, [r.worker_id for r in batch], day=jctx.today, now=jctx.now)
    return sent


def _morning_messages(jctx: JobCtx, due: Sequence[Recipient]) -> list[tuple[int, Rendered, str]]:
    """Each recipient's morning message (chat, message, dedupe key); none for an empty list."""
    rows = jctx.call(morning_rows, [r.worker_id for r in due], today=jctx.today, policy=jctx.policy)
    meetings = jctx.call(appointments_on, [r.worker_id for r in due], jctx.today, jctx.policy.tz)
    locales = jctx.call(chat_locales, [r.chat_id for r in due])
    listings = {r.worker_id: due_list(rows[r.worker_id], jctx.today) for r in due}
    names = jctx.call(names_of, _first_page_people(listings.values()))
    messages = []
    for recipient in due:
        listing, booked = listings[recipient.worker_id], meetings[recipient.worker_id]
        if listing.open or booked:
            locale = jctx.renderer.locale_of(locales.get(recipient.chat_id))
            named = with_names(listing, names, 0, MAX_LINES)
            message = render_page(jctx.renderer, locale, "reminders/morning", named, appointments=booked)
            messages.append((recipient.chat_id, message, morning_key(recipient.worker_id, jctx.today)))
    return messages


def _first_page_people(listings: Iterable[DueList]) -> set[int]:
    """The people a first page names (the morning list's, and a ladder message's)."""
    return {line.person_id for listing in listings for line in listing.lines[:MAX_LINES]}


def morning(jctx: JobCtx) -> int:
    """早间提醒, all at once in one unit of work (the sweep by hand); each worker's list goes at
    their own time, once a day."""
    return send_mornings(jctx)


def morning_batch(jctx: JobCtx) -> int:
    """One batch of the scheduled morning: claims up to BATCH_WORKERS workers whose list is due,
    queues their lists and marks them dealt with, in this unit of work; the workers dealt with (0
    when none is left). Every process runs batches until 0, so they share the morning."""
    if not _working(jctx):
        return 0
    due = jctx.call(morning_due, now=jctx.now, policy=jctx.policy, claim=BATCH_WORKERS)
    if due:
        queue_all(jctx, _morning_messages(jctx, due), purpose=MORNING)
        jctx.call(mark_morning_done, [r.worker_id for r in due], day=jctx.today, now=jctx.now)
    return len(due)


def mornings_owed(jctx: JobCtx, worker_ids: Sequence[int]) -> int:
    """Workers who joined late (linked, or given people): today's list now if they had none (it
    may have been empty before), else their list brought up to date with their new people."""
    fresh, count = [], 0
    for worker_id in worker_ids:
        chat_id = jctx.call(worker_chat, worker_id)
        if chat_id is None:
            continue
        if jctx.call(latest_revision, chat_id, morning_key(worker_id, jctx.today)) is None:
            fresh.append(worker_id)
        else:
            count += refresh_worker(jctx, worker_id)
    return count + (send_mornings(jctx, worker_ids=fresh) if fresh else 0)


def _refresh(
    jctx: Work,
    worker_id: int,
    chat_id: int,
    rows: list[ObligationRow],
    revision: Revision,
    booked: list[AppointmentView],
) -> int:
    base = morning_key(worker_id, jctx.today)
    listed = listed_keys(revision)
    known = {r.person_id for r in rows}
    people = jctx.call(codes_of, [k[0] for k in listed if k[0] not in known])
    listing: DueList = due_list(rows, jctx.today, listed=listed, people=people)
    listing = with_names(listing, jctx.call(names_of, _first_page_people([listing])), 0, MAX_LINES)
    message = render_page(
        jctx.renderer, locale_for(jctx, chat_id), "reminders/morning", listing, appointments=booked
    )
    if message.same_as(revision.text, revision.buttons):
        return 0
    key = f"{base}:r{revision.number + 1}"
    return int(queue(jctx, chat_id, message, purpose=MORNING, dedupe_key=key, edit_of=base) is not None)


def refresh_worker(jctx: Work, worker_id: int) -> int:
    """Tick off today's morning message of a worker (1 if an edit was queued, 0 if nothing changed
    or the worker got no morning message today). Works in a chat update's unit of work too."""
    chat_id = jctx.call(worker_chat, worker_id)
    if chat_id is None:
        return 0
    revision = jctx.call(latest_revision, chat_id, morning_key(worker_id, jctx.today))
    if revision is None:  # no morning message today: nothing to tick off, and no list to compute
        return 0
    rows = jctx.call(morning_rows, [worker_id], today=jctx.today, policy=jctx.policy, open_only=False)
    booked = jctx.call(appointments_on, [worker_id], jctx.today, jctx.policy.tz)[worker_id]
    return _refresh(jctx, worker_id, chat_id, rows[worker_id], revision, booked)


def refresh_person(work: Work, person_id: int) -> int:
    """After a record about this person was saved (same unit of work): tick it off in the morning
    message of the worker whose list the person is on today."""
    owner = work.call(morning_owner, person_id, work.today)
    return 0 if owner is None else refresh_worker(work, owner)


def refresh_mornings(jctx: JobCtx) -> int:
    """Bring every morning message of today up to date (a safety net for refresh_worker)."""
    sent = jctx.call(morning_sent, jctx.today, jctx.policy)
    if not sent:
        return 0
    refreshed = 0
    for batch in chunks(sorted(sent), BATCH_WORKERS):
        rows = jctx.call(morning_rows, batch, today=jctx.today, policy=jctx.policy, open_only=False)
        meetings = jctx.call(appointments_on, batch, jctx.today, jctx.policy.tz)
        for worker_id in batch:
            chat_id = sent[worker_id]
            revision = jctx.call(latest_revision, chat_id, morning_key(worker_id, jctx.today))
            if revision is not None:
                refreshed += _refresh(
                    jctx, worker_id, chat_id, rows[worker_id], revision, meetings[worker_id]
                )
    return refreshed


# -- the overdue ladder, campaign days, programme endings ----------------------------------------


@dataclass(frozen=True)
class OverdueItem:
    """One overdue item in a ladder message: the item, and its responsible worker (for the cadre)."""

    line: DueLine
    worker: str | None


def escalate(jctx: JobCtx, *, area_path: str | None = None, worker_ids: Collection[int] | None = None) -> int:
    """Overdue items to the worker (day 1) and the care team's cadre (day 3): each item once per
    rung, the items of one sweep in one message per recipient and rung. The sweep goes by batches
    of whole communities (models.services.batches), so only someone whose people lie in
    communities of different batches (a delegate from another community) gets one per batch.
    With `worker_ids`, only to these workers (who joined late): the areas of their people."""
    if not _working(jctx):
        return 0
    batches = jctx.call(area_batches, area_path)
    if worker_ids is not None:  # their people's areas, batched as the sweep batches them
        theirs = set(jctx.call(caseload_areas, worker_ids, day=jctx.today))
        batches = [[a for a in areas if a in theirs] for areas in batches]
    count = 0
    for areas in batches:
        if areas:
            count += _escalate_in(jctx, areas, None if worker_ids is None else set(worker_ids))
    return count


def _escalate_in(jctx: JobCtx, areas: Sequence[int], worker_ids: Collection[int] | None = None) -> int:
    """The ladder's messages about the persons of these areas (a batch), to these workers if given."""
    found = jctx.call(escalations, today=jctx.today, policy=jctx.policy, area_ids=areas)
    if worker_ids is not None:
        found = [e for e in found if e.to.worker_id in worker_ids]
    new = jctx.call(record_new, found, now=jctx.now)
    groups: dict[tuple[str, int], list[Escalation]] = defaultdict(list)
    for e in new:
        groups[(e.step, e.to.worker_id)].append(e)
    locales = jctx.call(chat_locales, [items[0].to.chat_id for items in groups.values()])
    names = jctx.call(names_of, {e.row.person_id for items in groups.values() for e in items[:MAX_LINES]})
    messages = []
    for (step, worker_id), items in groups.items():
        chat_id = items[0].to.chat_id
        lines = [line_of(e.row)._replace(name=names.get(e.row.person_id, "")) for e in items]
        view = [OverdueItem(line, e.worker_name) for line, e in zip(lines, items, strict=True)]
        message = render_lines(
            jctx.renderer,
            jctx.renderer.locale_of(locales.get(chat_id)),
            f"reminders/overdue_{step}",
            lines,
            items=view,
            after=jctx.policy.escalate_to_cadre_after_days,
        )
        digest = hashlib.sha256("|".join(map(str, sorted(e.key for e in items))).encode()).hexdigest()[:10]
        messages.append((chat_id, message, f"{OVERDUE}:{step}:{worker_id}:{jctx.today.isoformat()}:{digest}"))
    return queue_all(jctx, messages, purpose=OVERDUE)


def campaigns(
    jctx: JobCtx, *, area_path: str | None = None, worker_ids: Collection[int] | None = None
) -> int:
    """Campaign-day reminders due today (models.services.reminders.notices.campaign_reminders)."""
    return jctx.call(
        campaign_reminders,
        jctx,
        policy=jctx.policy,
        today=jctx.today,
        area_path=area_path,
        worker_ids=worker_ids,
    )


def case_endings(
    jctx: JobCtx, *, area_path: str | None = None, worker_ids: Collection[int] | None = None
) -> int:
    """ "Case ending" tasks a month before a programme ends (models.services.reminders.notices)."""
    return jctx.call(
        case_ending_tasks,
        jctx,
        policy=jctx.policy,
        today=jctx.today,
        area_path=area_path,
        worker_ids=worker_ids,
    )


@dataclass(frozen=True)
class SweepCounts:
    morning: int
    overdue: int
    campaigns: int
    case_endings: int


def sweep(jctx: JobCtx, *, area_path: str | None = None) -> SweepCounts:
    """The whole sweep at once, by hand (`gridcare sweep`): every worker's morning list regardless
    of their time, the ladder, campaign days and programme endings."""
    return SweepCounts(
        send_mornings(jctx, area_path=area_path, everyone=True),
        escalate(jctx, area_path=area_path),
        campaigns(jctx, area_path=area_path),
        case_endings(jctx, area_path=area_path),
    )
