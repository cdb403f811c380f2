"""The family channel's forms: urgent alert and anonymous tip (family side), reply (worker side)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.context import Ctx
from handlers.dialogs.common import free_text
from handlers.dialogs.engine import Dialog, Step
from models.access import Action, Principal
from models.services.family.alerts import urgent_routing
from models.services.family.notices import reply_to_family
from models.services.family.notices import send_tip as send_tip_to_police
from models.services.family.urgent import send_urgent as send_urgent_alert
from models.services.rights import may

URGENT_MAX = 1000
REPLY_TEXT = free_text()


def send_urgent(ctx: Ctx, data: dict[str, Any], key: str) -> None:
    """紧急情况: reach worker, cadre and police at once, any hour (models.services.family.urgent)."""
    sent = ctx.call(
        send_urgent_alert,
        ctx,
        ctx.identity,
        data.get("description"),
        form_key=key,
        now=ctx.now,
        today=ctx.today,
    )
    alert = sent.alert
    if alert is None:
        ctx.reply("errors/not_allowed")
        return
    ctx.reply(
        "family/urgent_sent",
        reached=sent.reached,
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
    tip = ctx.call(
        send_tip_to_police, ctx, ctx.identity, data["text"], data.get("photo"), keys=ctx.keys, now=ctx.now
    )
    if tip is None:
        ctx.reply("errors/not_allowed")
        return
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
        reply_to_family,
        ctx,
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
