"""The family channel told: a family's message relayed to its worker, the worker's reply relayed
back, a family member leaving, a new responsible worker, and anonymous tips to the police.

Each message's dedupe key is built here; handlers.family.relatives, .family_forms, .family_staff and
.family_tips only show the caller what happened, and the CLI's imports and hand-overs call
`tell_reassignment` as a reassignment in the chat does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from models.buttons import FamilyThread, FamilyUrgent, ReplyToFamily, TipTakeUp
from models.crypto import KeyRing
from models.outgoing import MediaKind, SendContact
from models.policy import Policy
from models.services.family.channel import Departure, leave_channel, on_reassigned
from models.services.family.relay import FamilyReply, Relayed, RelayStatus, relay_from_family, send_reply
from models.services.family.tips import TakenUp, TipDelivered, submit_tip, take_up_tip
from models.services.family.urgent import tell_answered
from models.services.identity import Identity
from models.services.notify import Notifier
from models.services.outbox.queue import enqueue


def relay_to_worker(
    session: Session,
    notifier: Notifier,
    who: Identity,
    *,
    media: tuple[MediaKind, str] | None,
    text: str | None,
    caption: str | None,
    now: datetime,
    policy: Policy,
) -> Relayed:
    """Keep a family's message in its thread (models.services.family.relay: held past the hourly
    limit, delayed to office hours) and queue it for the worker: a photo or voice note goes as
    itself under `caption` (the sender's words as a caption can hold them), a text as text."""
    relayed = relay_from_family(
        session,
        who,
        kind=media[0] if media else "text",
        text=text,
        file_id=media[1] if media else None,
        now=now,
        policy=policy,
    )
    if relayed.status is not RelayStatus.relayed or relayed.worker_chat_id is None:
        return relayed
    assert relayed.message_id is not None and who.person_id is not None  # a relayed message has both
    options: dict[str, Any] = {
        "purpose": "family_relay",
        "dedupe_key": f"family_msg:{relayed.message_id}",
        "buttons": [
            [("fam_reply", ReplyToFamily(relayed.message_id).pack())],
            [("fam_thread", FamilyThread(who.person_id).pack())],
        ],
        "available_at": relayed.available_at,
        "person_name": relayed.person_name,
        "relation": relayed.relation,
        "at": now,
    }
    if media is None:
        notifier.notify(relayed.worker_chat_id, "family/relay", kind="text", text=text, **options)
    else:
        notifier.notify(
            relayed.worker_chat_id, "family/relay", media=media, kind=media[0], text=caption, **options
        )
    return relayed


def reply_to_family(
    session: Session,
    notifier: Notifier,
    who: Identity,
    message_id: int,
    text: str | None,
    *,
    now: datetime,
    today: date,
    photo_file_id: str | None = None,
) -> FamilyReply | None:
    """Relay a worker's answer back to the family thread (rights re-checked by
    models.services.family.relay.send_reply); it answers the family's open urgent alert as a claim."""
    reply = send_reply(session, who, message_id, text, now=now, today=today, photo_file_id=photo_file_id)
    if reply is None:
        return None
    if reply.family_chat_id is not None:
        options: dict[str, Any] = {
            "purpose": "family_reply",
            "dedupe_key": f"family_reply:{reply.reply_id}",
            "buttons": [[("fam_urgent", FamilyUrgent().pack())]],
            "worker_name": reply.worker_name,
            "worker_role": reply.worker_role,
            "text": text,
        }
        if photo_file_id is not None:
            notifier.notify(reply.family_chat_id, "family/reply", media=("photo", photo_file_id), **options)
        else:
            notifier.notify(reply.family_chat_id, "family/reply", **options)
    for answered in reply.answered:
        tell_answered(session, notifier, answered)
    return reply


def leave(
    session: Session, notifier: Notifier, who: Identity, *, now: datetime, today: date
) -> Departure | None:
    """/stop confirmed: unlink the caller from the family channel and tell the worker."""
    departure = leave_channel(session, who, now=now, today=today)
    if departure is not None and departure.worker_chat_id is not None:
        notifier.notify(
            departure.worker_chat_id,
            "family/left",
            purpose="family_left",
            dedupe_key=f"family_left:{who.family_member_id}:{now.isoformat()}",
            person_name=departure.person_name,
            relation=departure.relation,
        )
    return departure


def tell_reassignment(
    session: Session,
    notifier: Notifier,
    person_id: int,
    old_worker_id: int | None,
    new_worker_id: int,
    *,
    now: datetime,
) -> int:
    """Tell a person's family their worker changed, with the new card; call after set_responsible.

    Returns how many family accounts were told. `old_worker_id` only guards against a non-change.
    """
    if old_worker_id == new_worker_id:
        return 0
    change = on_reassigned(session, person_id, new_worker_id=new_worker_id, now=now)
    if change is None:
        return 0
    for family in change.families:
        key = f"family_reassigned:{family.family_member_id}:{new_worker_id}:{now.isoformat()}"
        notifier.notify(
            family.chat_id,
            "family/reassigned",
            purpose="family_reassigned",
            dedupe_key=key,
            buttons=[[("fam_urgent", FamilyUrgent().pack())]],
            card=change.card,
        )
        if change.card.work_phone:
            # The new worker as a Telegram contact too, as /contact gives it (nothing to render).
            contact = SendContact(family.chat_id, change.card.work_phone, change.card.name)
            contact_key = f"{key}:contact"
            enqueue(session, message=contact, purpose="family_reassigned", dedupe_key=contact_key, now=now)
    return len(change.families)


def send_tip(
    session: Session,
    notifier: Notifier,
    who: Identity,
    text: str,
    photo: str | None,
    *,
    keys: KeyRing,
    now: datetime,
) -> TipDelivered | None:
    """举报涉毒线索: store the tip (the tipster sealed) and tell the police of the community only; a
    photo goes by its file_id, captioned with the tip's number only (nothing of the tipster)."""
    tip = submit_tip(session, who, text, photo, keys=keys, now=now)
    if tip is None:
        return None
    for officer in tip.police:
        if officer.chat_id is None:
            continue
        notifier.notify(
            officer.chat_id,
            "family/tip",
            purpose="tip",
            dedupe_key=f"tip:{tip.tip_id}:{officer.worker_id}",
            buttons=[[("tip_take_up", TipTakeUp(tip.tip_id).pack())]],
            tip_id=tip.tip_id,
            area_name=tip.area_name,
            text=text,
            has_photo=bool(photo),
            at=now,
        )
        if photo:
            notifier.notify(
                officer.chat_id,
                "family/tip_photo_caption",
                media=("photo", photo),
                purpose="tip",
                dedupe_key=f"tip_photo:{tip.tip_id}:{officer.worker_id}",
                tip_id=tip.tip_id,
            )
    return tip


def take_up(
    session: Session, notifier: Notifier, who: Identity, tip_id: int, *, keys: KeyRing, now: datetime
) -> TakenUp | None:
    """已受理: the first press records it and tells the tipster only that the police took it up, and
    the other officers who got the tip who took it (models.services.family.tips.take_up_tip)."""
    taken = take_up_tip(session, who, tip_id, keys=keys, now=now)
    if taken is None or not taken.first:
        return taken
    if taken.tipster_chat is not None:
        notifier.notify(
            taken.tipster_chat, "family/tip_taken_up", purpose="tip", dedupe_key=f"tip-taken:{taken.tip_id}"
        )
    for officer in taken.police:
        if officer.chat_id is not None and officer.worker_id != who.worker_id:
            notifier.notify(
                officer.chat_id,
                "family/tip_taken_colleague",
                purpose="tip",
                dedupe_key=f"tip-taken:{taken.tip_id}:{officer.worker_id}",
                tip_id=taken.tip_id,
                by_name=taken.by,
            )
    return taken
