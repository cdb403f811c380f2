"""Group sessions (集中教育, campaign-day activities): one session, one education record per person.

Concentrated legal education and the activities of 6·3, 6·26 and 12·4 are held for many people
at once. The worker picks the people from their caseload, confirms one summary, and each person
gets their own record (RecordKind.education, subkind "group"), saved through the same door as
every report (models.services.reporting.records.save_record: rights checked, audited per person), all in
the one unit of work of the confirming update. Each record's idempotency key is the session's key
and the person, so a repeated confirmation saves nothing more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from models.access import Action
from models.records import RecordKind
from models.services.identity import Identity
from models.services.reporting.records import NewRecord, NotAllowed, save_record
from models.services.rights import may

LEGAL = "legal"  # 集中法制教育; any other kind is a campaign day's key
WINDOW_DAYS = 7  # a session may be recorded this many days after it was held (today is the first)
MAX_PEOPLE = 180  # the picker's selection travels in button data (64 bytes): one bit per person


@dataclass(frozen=True)
class GroupSession:
    """What the worker confirmed: the kind, the topic (legal education), the day and the people."""

    kind: str
    people: tuple[int, ...]
    occurred_at: datetime
    topic: str | None = None  # a label key, or "text:<typed topic>"
    notes: str | None = None
    campaign_on: date | None = None


@dataclass(frozen=True)
class GroupFiled:
    """What confirming did: the record of each person, and how many this call created."""

    records: tuple[int, ...]
    created: int
    late: bool = False
    people: tuple[int, ...] = field(default=())


def session_details(group: GroupSession) -> dict[str, object]:
    """The details every record of the session carries: what it was about and how many were there."""
    about: dict[str, object] = {"kind": group.kind, "size": len(group.people)}
    if group.campaign_on is not None:
        about["campaign_on"] = group.campaign_on.isoformat()
    details: dict[str, object] = {"group": about}
    if group.topic:
        if group.topic.startswith("text:"):
            details["topic"] = group.topic.removeprefix("text:")
        else:
            details["topic_key"] = group.topic
    elif group.kind != LEGAL:
        details["campaign"] = group.kind
    return details


def file_group_session(
    session: Session, who: Identity, group: GroupSession, *, now: datetime, today: date, key: str
) -> GroupFiled:
    """One education record per person, all or none: every person is checked before any is written.

    Raises NotAllowed if any of them is no longer in the caller's care (the refusal is audited).
    """
    people = tuple(dict.fromkeys(group.people))
    if not people or len(people) > MAX_PEOPLE:
        raise NotAllowed(RecordKind.education)
    for person_id in people:
        if not may(session, who, Action.write_record, person_id, now=now, today=today):
            raise NotAllowed(RecordKind.education)
    details = session_details(group)
    ids, created, late = [], 0, False
    for person_id in people:
        filed = save_record(
            session,
            who,
            NewRecord(
                person_id=person_id,
                kind=RecordKind.education,
                subkind="group",
                occurred_at=group.occurred_at,
                notes=group.notes,
                details=details,
            ),
            now=now,
            idempotency_key=f"{key}:{person_id}",
            today=today,
        )
        ids.append(filed.id)
        created += filed.created
        late = late or filed.late
    return GroupFiled(tuple(ids), created, late, people)


# -- the picker's selection, carried in button data ----------------------------------------------


def fingerprint(person_ids: Sequence[int]) -> str:
    """Six hex digits naming a caseload as listed: a selection made on another list is stale."""
    return hashlib.sha256(",".join(map(str, person_ids)).encode()).hexdigest()[:6]


def pack_selection(chosen: Sequence[bool]) -> str:
    """The ticked positions as hex (bit i: the i-th person of the list); "0" for none."""
    bits = sum(1 << i for i, on in enumerate(chosen) if on)
    return format(bits, "x")


def unpack_selection(text: str, size: int) -> list[bool] | None:
    """The ticked positions of a list of `size`, or None for junk or bits beyond the list."""
    if not text or len(text) > (MAX_PEOPLE + 3) // 4 or any(c not in "0123456789abcdef" for c in text):
        return None
    bits = int(text, 16)
    if bits >> size:
        return None
    return [bool(bits >> i & 1) for i in range(size)]
