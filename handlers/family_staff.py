"""The family channel, staff side: invite a relative (with a QR code), read a person's family threads,
reply, take an urgent alert, see a tip's photo, /inbox; and the escalation job and reassignment notice.

Every button re-checks the caller's right over the person it names (button data carries no trust);
a refusal says nothing about whether the id exists.
"""

from __future__ import annotations

import io

import segno

from handlers.callbacks import (
    AlertAck,
    AlertCalled,
    FamilyInvite,
    FamilyMedia,
    FamilyThread,
    FamilyUrgent,
    ReplyToFamily,
    TipPhoto,
)
from handlers.context import Ctx, JobCtx, Work
from handlers.dialogs.engine import Engine
from handlers.events import Button, SendContact, SendPhoto
from handlers.router import Router, not_allowed
from models.access import Action
from models.services.family import RELATIONS, invitable_person, invite_for_person, on_reassigned
from models.services.family_alerts import Escalation, escalate_due
from models.services.family_answers import Answered, AnswerHow, answer_alert
from models.services.family_relay import media_of, reply_target
from models.services.family_threads import family_threads, inbox
from models.services.outbox import enqueue
from models.services.tips import tip_photo

INBOX_BUTTONS = 10
THREAD_MESSAGES = 5


def _refuse(ctx: Ctx) -> None:
    if ctx.incoming.callback_id is not None:
        ctx.answer("errors/not_allowed", alert=True)
    else:
        ctx.reply("errors/not_allowed")


def invite_link(ctx: Ctx, code: str) -> str | None:
    """The t.me deep link of an invite, when the bot's username is known to the context."""
    username = getattr(ctx, "bot_username", None)  # filled by the runtime after getMe, when available
    return f"https://t.me/{username}?start={code}" if username else None


def qr_png(text: str) -> bytes:
    """A QR code image (PNG) a relative can scan with the phone's camera or WeChat."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=3)
    return buffer.getvalue()


def on_invite(ctx: Ctx, data: FamilyInvite) -> None:
    """fi:<person>: choose the relation; fi:<person>:<n>: make the invite, as a link and a QR code."""
    person_id, index = data.person_id, data.relation
    if index is None:
        name = ctx.call(invitable_person, ctx.identity, person_id, now=ctx.now)
        if name is None:
            _refuse(ctx)
            return
        ctx.answer()
        labels = [
            ctx.button(f"fam_relation_{i}", FamilyInvite(person_id, i).pack()) for i in range(len(RELATIONS))
        ]
        rows = tuple(tuple(labels[i : i + 3]) for i in range(0, len(labels), 3))
        ctx.reply("family/invite_relation", rows, person_name=name)
        return
    if index >= len(RELATIONS):
        ctx.answer("dialog/stale")
        return
    made = ctx.call(invite_for_person, ctx.identity, person_id, RELATIONS[index], now=ctx.now)
    if made is None:
        _refuse(ctx)
        return
    ctx.answer()
    link = invite_link(ctx, made.code)
    caption = ctx.text("family/invite_link", code=made.code, link=link, expires_at=made.expires_at)
    ctx.send(SendPhoto(ctx.chat_id, data=qr_png(link or f"/start {made.code}"), caption=caption))


def on_thread(ctx: Ctx, data: FamilyThread) -> None:
    """ft:<person>: the person's family threads with their last messages and reply buttons."""
    threads = ctx.call(family_threads, ctx.identity, data.person_id, now=ctx.now, limit=THREAD_MESSAGES)
    if threads is None:
        _refuse(ctx)
        return
    ctx.answer()
    rows = []
    for thread in threads:
        row = []
        if thread.reply_to is not None:
            row.append(
                Button(
                    ctx.label("fam_reply") + f" · {thread.relation}", ReplyToFamily(thread.reply_to).pack()
                )
            )
        photos = [m for m in thread.messages if m.from_family and m.kind == "photo"]
        if photos:
            row.append(
                Button(
                    ctx.label("fam_view_photo") + f" · {thread.relation}", FamilyMedia(photos[-1].id).pack()
                )
            )
        if row:
            rows.append(tuple(row))
    ctx.reply("family/thread", tuple(rows), threads=threads)


def start_reply_factory(engine: Engine):  # type: ignore[no-untyped-def]
    def on_reply(ctx: Ctx, data: ReplyToFamily) -> None:
        """fr:<message>: the worker types an answer, relayed to the family (the form re-checks rights)."""
        target = ctx.call(reply_target, ctx.identity, data.message_id, now=ctx.now)
        if target is None:
            _refuse(ctx)
            return
        ctx.answer()
        data = {
            "message": target.message_id,
            "person": target.person_id,
            "person_name": target.person_name,
            "relation": target.relation,
            "excerpt": target.excerpt,
        }
        engine.start(ctx, "family_reply", data)

    return on_reply


def on_media(ctx: Ctx, data: FamilyMedia) -> None:
    """fm:<message>: show a photo a family member sent (to staff who may answer them)."""
    media = ctx.call(media_of, ctx.identity, data.message_id, now=ctx.now)
    if media is None or media[0] != "photo":
        _refuse(ctx)
        return
    ctx.answer()
    ctx.send(SendPhoto(ctx.chat_id, file_id=media[1]))


def on_tip_photo(ctx: Ctx, data: TipPhoto) -> None:
    """tp:<tip>: the photo of an anonymous tip, for the police officers it reached (no longer sent)."""
    tip_id = data.tip_id
    file_id = ctx.call(tip_photo, ctx.identity, tip_id, now=ctx.now)
    if file_id is None:
        _refuse(ctx)
        return
    ctx.answer()
    ctx.send(
        SendPhoto(ctx.chat_id, file_id=file_id, caption=ctx.text("family/tip_photo_caption", tip_id=tip_id))
    )


def tell_answered(work: Work, answered: Answered) -> None:
    """Tell the other staff the alert reached and the family who took it (only the first answer)."""
    if not answered.taken:
        return
    view = {"alert_id": answered.alert_id, "by_name": answered.by_name, "by_role": answered.by_role}
    for other in answered.others:
        if other.chat_id is not None:
            work.notify(
                other.chat_id,
                "family/ack_others",
                purpose="alert_taken",
                dedupe_key=f"alert_taken:{answered.alert_id}:{other.worker_id}",
                urgent=True,
                person_name=answered.person_name,
                **view,
            )
    if answered.family_chat_id is not None:
        work.notify(
            answered.family_chat_id,
            "family/urgent_taken",
            purpose="alert_taken",
            dedupe_key=f"alert_taken_family:{answered.alert_id}",
            urgent=True,
            **view,
        )


def _answer(ctx: Ctx, alert_id: int, how: AnswerHow) -> None:
    result = ctx.call(answer_alert, ctx.identity, alert_id, how, now=ctx.now, today=ctx.today)
    if result is None:
        _refuse(ctx)
        return
    if not result.taken:
        ctx.answer("family/ack_already", alert=True, by_name=result.by_name, by_role=result.by_role)
        return
    ctx.answer("family/ack_done")
    template = "family/call_logged" if how is AnswerHow.call else "family/ack_mine"
    ctx.reply(template, alert_id=result.alert_id, person_name=result.person_name)
    tell_answered(ctx, result)


def on_acknowledge(ctx: Ctx, data: AlertAck) -> None:
    """ack:<alert>: "I am handling it". The first answer wins; the others and the family are told."""
    _answer(ctx, data.alert_id, AnswerHow.claim)


def on_called(ctx: Ctx, data: AlertCalled) -> None:
    """acl:<alert>: "I have phoned them", a call logged against the alert; it answers it like a claim."""
    _answer(ctx, data.alert_id, AnswerHow.call)


def cmd_inbox(ctx: Ctx, _arg: str) -> None:
    """/inbox: family threads waiting for my answer, oldest first, with reply buttons."""
    lines = ctx.call(inbox, ctx.identity, now=ctx.now, today=ctx.today)
    rows = tuple(
        (
            Button(
                f"{ctx.label('fam_reply')} · {line.person_name} {line.relation}",
                ReplyToFamily(line.reply_to).pack(),
            ),
        )
        for line in lines[:INBOX_BUTTONS]
    )
    ctx.reply("family/inbox", rows, lines=lines)


def notify_escalation(work: Work, item: Escalation) -> int:
    """Alert the area supervisors of an urgent alert nobody took; how many were reachable."""
    reached = 0
    for supervisor in item.supervisors:
        if supervisor.chat_id is None:
            continue
        reached += 1
        work.notify(
            supervisor.chat_id,
            "family/urgent_escalated",
            purpose="alert_escalated",
            dedupe_key=f"alert_escalated:{item.alert_id}:{supervisor.worker_id}",
            buttons=[
                [("fam_ack", AlertAck(item.alert_id).pack())],
                [("fam_called", AlertCalled(item.alert_id).pack())],
            ],
            urgent=True,
            alert_id=item.alert_id,
            person_name=item.person_name,
            relation=item.relation,
            description=item.description,
            at=item.created_at,
            minutes=int((work.now - item.created_at).total_seconds() // 60),
        )
    return reached


def escalate_alerts(jctx: JobCtx) -> int:
    """Job, every minute: alerts nobody took within Policy.alert_ack_timeout go to the area supervisor."""
    escalations = jctx.call(escalate_due, now=jctx.now, timeout=jctx.policy.alert_ack_timeout)
    for item in escalations:
        notify_escalation(jctx, item)
    return len(escalations)


def notify_reassignment(work: Work, person_id: int, old_worker_id: int | None, new_worker_id: int) -> int:
    """Tell a person's family their worker changed, with the new card; call after set_responsible.

    Returns how many family accounts were told. `old_worker_id` only guards against a non-change.
    """
    if old_worker_id == new_worker_id:
        return 0
    change = work.call(on_reassigned, person_id, new_worker_id=new_worker_id, now=work.now)
    if change is None:
        return 0
    for family in change.families:
        key = f"family_reassigned:{family.family_member_id}:{new_worker_id}:{work.now.isoformat()}"
        work.notify(
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
            work.call(
                enqueue,
                message=contact,
                purpose="family_reassigned",
                dedupe_key=f"{key}:contact",
                now=work.now,
            )
    return len(change.families)


def register(router: Router, engine: Engine) -> None:
    """The staff side of the family channel."""
    router.command("/inbox", Action.view_inbox, cmd_inbox)
    router.button(FamilyInvite, Action.invite_family, on_invite, junk=not_allowed)
    router.button(FamilyThread, Action.view_card, on_thread, junk=not_allowed)
    router.button(ReplyToFamily, Action.reply_family, start_reply_factory(engine), junk=not_allowed)
    router.button(FamilyMedia, Action.reply_family, on_media, junk=not_allowed)
    router.button(TipPhoto, Action.view_card, on_tip_photo, junk=not_allowed)
    router.button(AlertAck, Action.acknowledge_alert, on_acknowledge, junk=not_allowed)
    router.button(AlertCalled, Action.acknowledge_alert, on_called, junk=not_allowed)
