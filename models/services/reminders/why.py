""" "Why is this due?": an item explains itself with the rule, the colour and the period.

"Orange since 3 March: a meeting twice a week; this week's is not recorded." Everything comes
from the pure rules for the one person (models.schedule through `person_obligations`), the same
source the lists were made from, plus the colour history for "since when".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import audit
from models.people import Colour, ColourChange, Person
from models.policy import Policy
from models.schedule import Obligation, PersonFacts, period_of
from models.services.identity import Identity
from models.services.obligations.due import person_obligations
from models.services.obligations.override import NONE, override_state


@dataclass(frozen=True)
class Why:
    """The explanation of one due item (codes only: it may show on a lock screen)."""

    code: str
    obligation: str
    colour: Colour
    colour_since: date | None  # since when the person has had this colour (None: always)
    unit: str | None  # week | month; None for the registration after release
    every: int
    times: int
    programme_year: int | None  # shown when the rule depends on it
    period_start: date
    period_end: date
    due_date: date
    done: int
    state: str
    days_overdue: int
    current: bool  # the period containing today (else an earlier one still open)
    released_on: date | None  # for the registration (报到)
    previous: bool = True  # (not current) the period just before the current one, else older
    rules: str = NONE  # the person's own rules: none, personal (in force) or invalid (ignored)


def _colour_since(session: Session, person_id: int, day: date, policy: Policy) -> date | None:
    """The first day of the run of the colour in force on `day` (the last change to it, back)."""
    changes = session.execute(
        select(ColourChange.changed_at, ColourChange.to_colour)
        .where(ColourChange.person_id == person_id)
        .order_by(ColourChange.changed_at, ColourChange.id)
    ).all()
    history = [(policy.local_date(at), colour) for at, colour in changes if policy.local_date(at) <= day]
    if not history:
        return None
    since, colour = history[-1]
    for earlier, other in reversed(history[:-1]):
        if other != colour:
            break
        since = earlier
    return since


def explain(
    session: Session,
    person_id: int,
    obligation: str,
    period_start: date | None,
    *,
    who: Identity,
    now: datetime,
    today: date,
    policy: Policy,
) -> Why | None:
    """Why this item is due (the caller has checked rights; the read is audited); None if it is
    not due (any more)."""
    try:
        wanted = Obligation(obligation)
    except ValueError:
        return None
    items = [i for i in person_obligations(session, person_id, today, policy) if i.obligation == wanted]
    if period_start is not None:
        items = [i for i in items if i.period_start == period_start]
    if not items:
        return None
    item = items[0]  # the most urgent (overdue first)
    person = session.get(Person, person_id)
    if person is None:
        return None
    decisive = min(item.period_end, today)
    rule = item.rule
    year = None
    if rule is not None and rule.programme_years is not None:
        facts = PersonFacts(person.status, ((decisive, item.colour),), person.programme_start, None)
        year = facts.programme_year(decisive)
    audit(session, who.actor, "read", "person", person_id, at=now, person_id=person_id, detail="why")
    return Why(
        code=person.code,
        obligation=str(item.obligation),
        colour=item.colour,
        colour_since=_colour_since(session, person_id, decisive, policy),
        unit=str(rule.unit) if rule else None,
        every=rule.every if rule else 1,
        times=item.required,
        programme_year=year,
        period_start=item.period_start,
        period_end=item.period_end,
        due_date=item.due_date,
        done=item.done,
        state=str(item.state),
        days_overdue=item.days_overdue(today),
        current=item.period_start <= today <= item.period_end,
        released_on=person.release_date if rule is None else None,
        previous=rule is None
        or item.period_end == period_of(rule.unit, rule.every, today)[0] - timedelta(days=1),
        rules=override_state(policy.rules, person.schedule_override)[0],
    )
