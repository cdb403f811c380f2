"""The family channel, staff side: invite a relative (with a QR code), read a person's family threads,
reply, take an urgent alert, see a tip's photo, /inbox; and the escalation job. What others are told
(the alert taken, escalated; a new worker) is told by models.services.family.urgent and
.family_notices.

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
    ReplyToFamily,
    TipPhoto,
)
from handlers.context import Ctx, JobCtx
from handlers.events import Button, SendPhoto
from handlers.router import Router, not_allowed
from models.access import Action
from models.services.family.answers import AnswerHow
from models.services.family.channel import RELATIONS, invitable_person, invite_for_person
from models.services.family.relay import media_of, reply_target
from models.services.family.threads import family_threads, inbox
from models.services.family.tips import tip_photo
from models.services.family.urgent import answer_urgent
from models.services.family.urgent import escalate_alerts as escalate

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


def on_reply(ctx: Ctx, data: ReplyToFamily) -> None:
    """fr:<message>: the worker types an answer, relayed to the family (the form re-checks rights)."""
    target = ctx.call(reply_target, ctx.identity, data.message_id, now=ctx.now)
    if target is None:
        _refuse(ctx)
        return
    ctx.answer()
    start = {
        "message": target.message_id,
        "person": target.person_id,
        "person_name": target.person_name,
        "relation": target.relation,
        "excerpt": target.excerpt,
    }
    ctx.dialogs.start(ctx, "family_reply", start)


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


def _answer(ctx: Ctx, alert_id: int, how: AnswerHow) -> None:
    result = ctx.call(answer_urgent, ctx, ctx.identity, alert_id, how, now=ctx.now, today=ctx.today)
    if result is None:
        _refuse(ctx)
        return
    if not result.taken:
        ctx.answer("family/ack_already", alert=True, by_name=result.by_name, by_role=result.by_role)
        return
    ctx.answer("family/ack_done")
    template = "family/call_logged" if how is AnswerHow.call else "family/ack_mine"
    ctx.reply(template, alert_id=result.alert_id, person_name=result.person_name)


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


def escalate_alerts(jctx: JobCtx) -> int:
    """Job, every minute: alerts nobody took within Policy.alert_ack_timeout go to the area supervisor."""
    return jctx.call(escalate, jctx, now=jctx.now, timeout=jctx.policy.alert_ack_timeout)


def register(router: Router) -> None:
    """The staff side of the family channel."""
    router.command("/inbox", Action.view_inbox, cmd_inbox)
    router.button(FamilyInvite, Action.invite_family, on_invite, junk=not_allowed)
    router.button(FamilyThread, Action.view_card, on_thread, junk=not_allowed)
    router.button(ReplyToFamily, Action.reply_family, on_reply, junk=not_allowed)
    router.button(FamilyMedia, Action.reply_family, on_media, junk=not_allowed)
    router.button(TipPhoto, Action.view_card, on_tip_photo, junk=not_allowed)
    router.button(AlertAck, Action.acknowledge_alert, on_acknowledge, junk=not_allowed)
    router.button(AlertCalled, Action.acknowledge_alert, on_called, junk=not_allowed)
