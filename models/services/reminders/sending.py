"""The reminders' use cases: the morning list, its ticks, the overdue ladder, the sweep by hand.

Each works out who is told what, and under which dedupe key, and hands the lists to the runtime's
`ReminderPoster` (handlers/context.py: `Work`), which draws them as pages in the recipient's
language and queues them in this unit of work. Every message has a dedupe key, so running a use
case twice queues nothing new.

Nothing here is urgent: quiet hours and open forms hold these messages (the sender's rules), and
on rest days (weekends, public holidays) nothing is sent but a campaign day's own reminder. The
sender holds them on rest days too (models.services.outbox.claims.HELD_ON_REST_DAYS), so a
reminder queued late on the eve of a holiday waits for the next working day.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.areas import Area
from models.policy import Policy
from models.services.appointments.booking import AppointmentView, appointments_on
from models.services.batches import BATCH_WORKERS, area_batches, caseload_areas
from models.services.jobruns import claim_batch, plan_batches
from models.services.notify import Notifier
from models.services.obligations.due import WeekRows
from models.services.reminders.due_lists import (
    PAGE_LINES,
    DueLine,
    DueList,
    Recipient,
    codes_of,
    due_list,
    line_of,
    names_of,
    with_names,
    worker_chat,
)
from models.services.reminders.morning import (
    Revision,
    latest_revision,
    latest_revisions,
    listed_keys,
    mark_morning_done,
    morning_due,
    morning_key,
    morning_owner_chat,
    morning_rows,
    morning_sent,
)
from models.services.reminders.notices import campaign_reminders, case_ending_tasks
from models.services.reminders.overdue import OVERDUE, Escalation, escalations, record_new
from models.services.sql import chunks, custom_plans, reads_in_memory


@dataclass(frozen=True)
class Morning:
    """A worker's morning list for the day, its first page's people named."""

    chat_id: int
    key: str  # the message's dedupe key (morning_key); an edit's is `<key>:r<n>`
    listing: DueList
    appointments: list[AppointmentView]


@dataclass(frozen=True)
class OverdueItem:
    """One overdue item in a ladder message: the item, and its responsible worker (for the cadre)."""

    line: DueLine
    worker: str | None


@dataclass(frozen=True)
class Ladder:
    """One ladder message: a recipient's overdue items of one rung (`step`) in one sweep."""

    chat_id: int
    step: str
    key: str
    lines: list[DueLine]
    items: list[OverdueItem]


class ReminderPoster(Notifier, Protocol):
    """What the reminders ask of the runtime besides `notify`: their pages drawn and queued."""

    def post_mornings(self, mornings: Sequence[Morning]) -> int:
        """Queue each morning's first page, once per key: how many were new."""
        ...

    def revise_mornings(self, revisions: Sequence[tuple[Morning, Revision]]) -> int:
        """Queue an edit of each morning message that shows something else now: how many."""
        ...

    def post_ladders(self, ladders: Sequence[Ladder]) -> int:
        """Queue the ladder's messages, once per key: how many were new."""
        ...


@dataclass(frozen=True)
class Day:
    """When a use case runs: the moment, the local day, and the locality's rules."""

    now: datetime
    today: date
    policy: Policy

    @property
    def working(self) -> bool:
        return self.policy.calendar.is_working_day(self.today)


# -- the morning list ----------------------------------------------------------------------------


def send_mornings(
    session: Session,
    poster: ReminderPoster,
    day: Day,
    *,
    area_path: str | None = None,
    everyone: bool = False,
    worker_ids: Collection[int] | None = None,
) -> int:
    """Each worker whose reminder time has come gets today's list once (nothing: no message)."""
    if not day.working:
        return 0
    due = morning_due(
        session, now=day.now, policy=day.policy, area_path=area_path, everyone=everyone, worker_ids=worker_ids
    )
    sent = 0
    for batch in chunks(due, BATCH_WORKERS):  # memory follows a batch, not the whole area
        sent += poster.post_mornings(_mornings(session, batch, day))
        mark_morning_done(session, [r.worker_id for r in batch], day=day.today, now=day.now)
    return sent


def morning_batch(session: Session, poster: ReminderPoster, day: Day) -> int:
    """One batch of the scheduled morning: claims up to BATCH_WORKERS workers whose list is due,
    queues their lists and marks them dealt with, in this unit of work; the workers dealt with (0
    when none is left). Every process runs batches until 0, so they share the morning."""
    if not day.working:
        return 0
    due = morning_due(session, now=day.now, policy=day.policy, claim=BATCH_WORKERS)  # marked, too
    if due:
        poster.post_mornings(_mornings(session, due, day))
    return len(due)


def _mornings(session: Session, due: Sequence[Recipient], day: Day) -> list[Morning]:
    """The recipients' morning lists; none for a worker with nothing listed and nothing booked."""
    reads_in_memory(session)  # the batch's people by id, not every person hashed
    custom_plans(session)  # each statement planned for its batch's ids (sql.one_of)
    ids = [r.worker_id for r in due]
    weeks = morning_rows(session, ids, today=day.today, policy=day.policy)
    meetings = appointments_on(session, ids, day.today, day.policy.tz)
    listings = {w: due_list(week.rows, day.today, later=week.later_items) for w, week in weeks.items()}
    names = names_of(session, _first_page_people(listings.values()))
    return [
        Morning(
            r.chat_id,
            morning_key(r.worker_id, day.today),
            with_names(listings[r.worker_id], names, 0, PAGE_LINES),
            meetings[r.worker_id],
        )
        for r in due
        if listings[r.worker_id].open or meetings[r.worker_id]
    ]


def _first_page_people(listings: Iterable[DueList]) -> set[int]:
    """The people a first page names (the morning list's, and a ladder message's)."""
    return {line.person_id for listing in listings for line in listing.lines[:PAGE_LINES]}


def mornings_owed(session: Session, poster: ReminderPoster, worker_ids: Sequence[int], day: Day) -> int:
    """Workers who joined late (linked, or given people): today's list now if they had none (it
    may have been empty before), else their list brought up to date with their new people."""
    fresh, count = [], 0
    for worker_id in worker_ids:
        chat_id = worker_chat(session, worker_id)
        if chat_id is None:
            continue
        if latest_revision(session, chat_id, morning_key(worker_id, day.today)) is None:
            fresh.append(worker_id)
        else:
            count += refresh_worker(session, poster, worker_id, day)
    return count + (send_mornings(session, poster, day, worker_ids=fresh) if fresh else 0)


@dataclass(frozen=True)
class _Stale:
    """A morning message to bring up to date: where it went, what it showed, what is due now."""

    chat_id: int
    revision: Revision
    week: WeekRows
    booked: list[AppointmentView]


def _revise(session: Session, poster: ReminderPoster, stale: Sequence[_Stale], day: Day) -> int:
    """Each list as it is now, against what its message showed (its items read back from it); the
    codes of items gone from the lists and the names of their first pages read once for them all."""
    listed = [listed_keys(s.revision) for s in stale]
    gone = set()
    for s, keys in zip(stale, listed, strict=True):
        gone |= {k[0] for k in keys} - {r.person_id for r in s.week.rows}
    people = codes_of(session, gone)
    listings = [
        due_list(s.week.rows, day.today, later=s.week.later_items, listed=keys, people=people)
        for s, keys in zip(stale, listed, strict=True)
    ]
    names = names_of(session, _first_page_people(listings))
    return poster.revise_mornings(
        [
            (
                Morning(s.chat_id, s.revision.base_key, with_names(listing, names, 0, PAGE_LINES), s.booked),
                s.revision,
            )
            for s, listing in zip(stale, listings, strict=True)
        ]
    )


def refresh_worker(session: Session, poster: ReminderPoster, worker_id: int, day: Day) -> int:
    """Tick off today's morning message of a worker (1 if an edit was queued, 0 if nothing changed
    or the worker got no morning message today). Works in a chat update's unit of work too."""
    chat_id = worker_chat(session, worker_id)
    return 0 if chat_id is None else _refresh(session, poster, worker_id, chat_id, day)


def refresh_person(session: Session, poster: ReminderPoster, person_id: int, day: Day) -> int:
    """After a record about this person was saved (same unit of work): tick it off in the morning
    message of the worker whose list the person is on today."""
    owner = morning_owner_chat(session, person_id, day.today)
    return 0 if owner is None else _refresh(session, poster, *owner, day)


def _refresh(session: Session, poster: ReminderPoster, worker_id: int, chat_id: int, day: Day) -> int:
    revision = latest_revision(session, chat_id, morning_key(worker_id, day.today))
    if revision is None:  # no morning message today: nothing to tick off, and no list to compute
        return 0
    weeks = morning_rows(session, [worker_id], today=day.today, policy=day.policy)
    booked = appointments_on(session, [worker_id], day.today, day.policy.tz)[worker_id]
    return _revise(session, poster, [_Stale(chat_id, revision, weeks[worker_id], booked)], day)


def refresh_mornings(session: Session, poster: ReminderPoster, day: Day) -> int:
    """Bring every morning message of today up to date (a safety net for refresh_worker)."""
    reads_in_memory(session)  # each batch's people by id, as the morning reads them
    custom_plans(session)
    sent = morning_sent(session, day.today, day.policy)
    refreshed = 0
    for batch in chunks(sorted(sent), BATCH_WORKERS):
        weeks = morning_rows(session, batch, today=day.today, policy=day.policy)
        meetings = appointments_on(session, batch, day.today, day.policy.tz)
        revisions = latest_revisions(session, {w: sent[w] for w in batch}, day.today, day.policy)
        stale = [_Stale(sent[w], revisions[w], weeks[w], meetings[w]) for w in batch if w in revisions]
        refreshed += _revise(session, poster, stale, day)
    return refreshed


# -- the overdue ladder, campaign days, programme endings ----------------------------------------


def escalate(
    session: Session,
    poster: ReminderPoster,
    day: Day,
    *,
    area_path: str | None = None,
    worker_ids: Collection[int] | None = None,
) -> int:
    """Overdue items to the worker (day 1) and the care team's cadre (day 3): each item once per
    rung, the items of one sweep in one message per recipient and rung. The sweep goes by batches
    of whole communities (models.services.batches), so only someone whose people lie in
    communities of different batches (a delegate from another community) gets one per batch.
    With `worker_ids`, only to these workers (who joined late): the areas of their people."""
    if not day.working:
        return 0
    batches = area_batches(session, area_path)
    if worker_ids is not None:  # their people's areas, batched as the sweep batches them
        theirs = set(caseload_areas(session, worker_ids, day=day.today))
        batches = [[a for a in areas if a in theirs] for areas in batches]
    count = 0
    for areas in batches:
        if areas:
            wanted = None if worker_ids is None else set(worker_ids)
            count += poster.post_ladders(_ladders(session, areas, day, wanted))
    return count


LADDER = "escalate"


def plan_ladder(session: Session, day: Day) -> int:
    """The day's ladder as batches of whole communities (models.services.batches), each a range of
    area paths planned once for every process to claim (`ladder_batch`); the batches planned."""
    if not day.working:
        return 0
    firsts = [areas[0] for areas in area_batches(session, None)]
    paths = {i: p for i, p in session.execute(select(Area.id, Area.path).where(Area.id.in_(firsts)))}
    return plan_batches(session, LADDER, day.today, [paths[a] for a in firsts], now=day.now)


def ladder_batch(session: Session, poster: ReminderPoster, day: Day) -> int:
    """One planned batch of the day's ladder, claimed by this process: its areas' messages queued
    and the batch marked done, in this unit of work; the areas dealt with (0 when none is left).
    The same messages as `escalate` over the same batches."""
    claimed = claim_batch(session, LADDER, day.today, now=day.now)
    if claimed is None:
        return 0
    low, high = claimed
    in_range = Area.path >= low if high is None else (Area.path >= low) & (Area.path < high)
    areas = list(session.scalars(select(Area.id).where(in_range).order_by(Area.path)))
    poster.post_ladders(_ladders(session, areas, day, None))
    return max(len(areas), 1)


def _ladders(
    session: Session, areas: Sequence[int], day: Day, worker_ids: Collection[int] | None
) -> list[Ladder]:
    """The ladder's messages about the persons of these areas (a batch), to these workers if given."""
    found = escalations(session, today=day.today, policy=day.policy, area_ids=areas)
    if worker_ids is not None:
        found = [e for e in found if e.to.worker_id in worker_ids]
    groups: dict[tuple[str, int], list[Escalation]] = defaultdict(list)
    for e in record_new(session, found, now=day.now):
        groups[(e.step, e.to.worker_id)].append(e)
    names = names_of(session, {e.row.person_id for items in groups.values() for e in items[:PAGE_LINES]})
    ladders = []
    for (step, worker_id), items in groups.items():
        lines = [line_of(e.row)._replace(name=names.get(e.row.person_id, "")) for e in items]
        view = [OverdueItem(line, e.worker_name) for line, e in zip(lines, items, strict=True)]
        digest = hashlib.sha256("|".join(map(str, sorted(e.key for e in items))).encode()).hexdigest()[:10]
        key = f"{OVERDUE}:{step}:{worker_id}:{day.today.isoformat()}:{digest}"
        ladders.append(Ladder(items[0].to.chat_id, step, key, lines, view))
    return ladders


@dataclass(frozen=True)
class SweepCounts:
    morning: int
    overdue: int
    campaigns: int
    case_endings: int


def sweep(session: Session, poster: ReminderPoster, day: Day, *, area_path: str | None = None) -> SweepCounts:
    """The whole sweep at once, by hand (`gridcare sweep`): every worker's morning list regardless
    of their time, the ladder, campaign days and programme endings."""
    return SweepCounts(
        send_mornings(session, poster, day, area_path=area_path, everyone=True),
        escalate(session, poster, day, area_path=area_path),
        campaign_reminders(session, poster, policy=day.policy, today=day.today, area_path=area_path),
        case_ending_tasks(session, poster, policy=day.policy, today=day.today, area_path=area_path),
    )
