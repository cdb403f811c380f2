"""The family channel's forms: urgent alert and anonymous tip (family side), reply (worker side)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.callbacks import AlertAck, AlertCalled, FamilyUrgent, ReplyToFamily, TipTakeUp
from handlers.context import Ctx
from handlers.dialogs.common import free_text
from handlers.dialogs.engine import Dialog, Step
from handlers.family_staff import notify_escalation, tell_answered
from models.access import Action, Principal
from models.services.family_alerts import escalate_alert, raise_alert, urgent_routing
from models.services.family_relay import FamilyReply, send_reply
from models.services.rights import may
from models.services.tips import submit_tip

URGENT_MAX = 1000
REPLY_TEXT = free_text()


def send_urgent(ctx: Ctx, data: dict[str, Any], key: str) -> None:
    """紧急情况: reach worker, cadre and police at once, any hour, each with "I am handling it"."""
    alert = ctx.call(raise_alert, ctx.identity, data.get("description"), now=ctx.now, today=ctx.today)
    if alert is None:
        ctx.reply("errors/not_allowed")
        return
    # A second alert while one is open is news for the same staff: a new key per form run.
    suffix = f":{key}" if alert.joined_open else ""
    reached = 0
    reply = [("fam_reply", ReplyToFamily(alert.message_id).pack())]  # the care team only
    called = [("fam_called", AlertCalled(alert.alert_id).pack())]  # a call answers like a claim
    for responder in alert.responders:
        if responder.chat_id is None:
            continue
        reached += 1
        ctx.notify(
            responder.chat_id,
            "family/urgent_more" if alert.joined_open else "family/urgent_alert",
            purpose="urgent_alert",
            dedupe_key=f"alert:{alert.alert_id}:{responder.worker_id}{suffix}",
            buttons=[[("fam_ack", AlertAck(alert.alert_id).pack())] + reply * responder.on_team, called],
            urgent=True,
            alert_id=alert.alert_id,
            person_name=alert.person_name,
            relation=alert.relation,
            description=alert.description,
            at=ctx.now,
        )
    if reached == 0 and not alert.joined_open:
        # Nobody on the team can be reached (no linked account): waiting out the time-out helps no one.
        escalation = ctx.call(escalate_alert, alert.alert_id, now=ctx.now)
        reached = notify_escalation(ctx, escalation) if escalation is not None else 0
    ctx.reply(
        "family/urgent_sent",
        reached=reached,
        joined_open=alert.joined_open,
        told=alert.responders,
        unreached=alert.unreached,
    )


def urgent_views(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """The confirm screen names whom sending reaches: the very routing `raise_alert` then uses."""
    person_id = ctx.identity.person_id
    if person_id is None:
        return {"alert": None}
    return {"alert": ctx.call(urgent_routing, person_id, today=ctx.today)}


URGENT = Dialog(
    name="family_urgent",
    steps=(Step("description", "family/urgent_prompt", parse=free_text(URGENT_MAX), skippable=True),),
    summary="family/urgent_summary",
    finish=send_urgent,
    confirm="send",
    authorize=lambda ctx, data: ctx.identity.principal is Principal.family,
    views=urgent_views,
)


def send_tip(ctx: Ctx, data: dict[str, Any], key: str) -> None:
    """举报涉毒线索: to the police of the community only; the tipster stays sealed."""
    assert ctx.keys is not None, "the key ring is needed to seal the tipster"
    tip = ctx.call(submit_tip, ctx.identity, data["text"], data.get("photo"), keys=ctx.keys, now=ctx.now)
    if tip is None:
        ctx.reply("errors/not_allowed")
        return
    photo = data.get("photo")
    for officer in tip.police:
        if officer.chat_id is None:
            continue
        ctx.notify(
            officer.chat_id,
            "family/tip",
            purpose="tip",
            dedupe_key=f"tip:{tip.tip_id}:{officer.worker_id}",
            buttons=[[("tip_take_up", TipTakeUp(tip.tip_id).pack())]],
            tip_id=tip.tip_id,
            area_name=tip.area_name,
            text=data["text"],
            has_photo=bool(photo),
            at=ctx.now,
        )
        if photo:
            # The photo itself, by file_id, captioned with the tip's number only (nothing of the tipster).
            ctx.notify(
                officer.chat_id,
                "family/tip_photo_caption",
                media=("photo", photo),
                purpose="tip",
                dedupe_key=f"tip_photo:{tip.tip_id}:{officer.worker_id}",
                tip_id=tip.tip_id,
            )
    ctx.reply("family/tip_sent", tip_id=tip.tip_id)


TIP = Dialog(
    name="family_tip",
    steps=(
        Step("text", "family/tip_text", parse=free_text()),
        Step("photo", "family/tip_photo", photo=True, skippable=True),
    ),
    summary="family/tip_summary",
    finish=send_tip,
    confirm="send",
    authorize=lambda ctx, data: ctx.identity.principal is Principal.family,
)


@dataclass(frozen=True)
class ReplyAnswer:
    """A worker's answer to a family: typed text, or a photo (its Telegram file_id)."""

    text: str | None
    photo: str | None


def typed_reply(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, str]:
    """A typed answer, kept as {"text": ...}: the engine stores a photo as its bare file_id."""
    return {"text": REPLY_TEXT(ctx, data, text)}


def reply_answer(data: dict[str, Any]) -> ReplyAnswer:
    """The answer the reply form holds, whichever way it was given."""
    answer = data.get("answer")
    if isinstance(answer, dict):
        return ReplyAnswer(str(answer["text"]), None)
    if answer is None and isinstance(data.get("text"), str):
        return ReplyAnswer(data["text"], None)  # a form opened before photos were accepted (step "text")
    return ReplyAnswer(None, str(answer) if answer else None)


def send_worker_reply(ctx: Ctx, data: dict[str, Any], key: str) -> None:
    """Relay a worker's answer back to the family thread (rights re-checked by the service)."""
    answer = reply_answer(data)
    reply = ctx.call(
        send_reply,
        ctx.identity,
        int(data["message"]),
        answer.text,
        now=ctx.now,
        today=ctx.today,
        photo_file_id=answer.photo,
    )
    if reply is None:
        ctx.reply("errors/not_allowed")
        return
    if reply.family_chat_id is None:
        ctx.reply("family/reply_undelivered")
    else:
        _relay_reply(ctx, reply.family_chat_id, reply, answer)
    for answered in reply.answered:  # a reply answers the family's urgent alert as a claim would
        tell_answered(ctx, answered)


def _relay_reply(ctx: Ctx, chat_id: int, reply: FamilyReply, answer: ReplyAnswer) -> None:
    options: dict[str, Any] = {
        "purpose": "family_reply",
        "dedupe_key": f"family_reply:{reply.reply_id}",
        "buttons": [[("fam_urgent", FamilyUrgent().pack())]],
        "worker_name": reply.worker_name,
        "worker_role": reply.worker_role,
        "text": answer.text,
    }
    if answer.photo is not None:
        ctx.notify(chat_id, "family/reply", media=("photo", answer.photo), **options)
    else:
        ctx.notify(chat_id, "family/reply", **options)


REPLY = Dialog(
    name="family_reply",
    steps=(Step("answer", "family/reply_prompt", parse=typed_reply, photo=True),),
    summary="family/reply_summary",
    finish=send_worker_reply,
    confirm="send",
    authorize=lambda ctx, data: ctx.call(
        may, ctx.identity, Action.reply_family, int(data["person"]), now=ctx.now
    ),
    views=lambda ctx, data: {"answer": reply_answer(data)},
)

FORMS = (URGENT, TIP, REPLY)
