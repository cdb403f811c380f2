"""The family channel (家属), family side: the worker's card, relayed messages, urgent alert, tip, leaving.

A family member gets exactly what the families' letter asks for, and nothing more: every other
command and button is refused by the access matrix before it reaches a handler. The worker side
(invites, threads, replies, acknowledgments, /inbox) is in handlers.family_staff.
"""

from __future__ import annotations

from typing import Any

from handlers import family_consent, family_staff, family_tips
from handlers.callbacks import FamilyStop, FamilyThread, FamilyUrgent, ReplyToFamily
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.events import Button, Incoming, SendContact
from handlers.family_forms import FORMS
from handlers.media import caption_text
from handlers.menus import set_menu
from handlers.router import Router
from models.access import Action, Principal
from models.outgoing import MediaKind
from models.services.family import contact_cards, leave_channel
from models.services.family_relay import Relayed, RelayStatus, relay_from_family

TEXT_MAX = 2000


def urgent_row(ctx: Ctx) -> tuple[Button, ...]:
    """The always-present urgent button under a family member's messages."""
    return (ctx.button("fam_urgent", FamilyUrgent().pack()),)


def cmd_contact(ctx: Ctx, _arg: str) -> None:
    """/contact: the care team's cards (worker, 专干) as a message, and each as a Telegram contact to save."""
    cards = ctx.call(contact_cards, ctx.identity, now=ctx.now, today=ctx.today)
    if not cards:
        ctx.reply("family/no_worker", (urgent_row(ctx),))
        return
    ctx.reply("family/contact", (urgent_row(ctx),), cards=cards)
    for card in cards:
        if card.work_phone:
            ctx.send(SendContact(ctx.chat_id, card.work_phone, card.name))


def _media_of(incoming: Incoming) -> tuple[MediaKind, str] | None:
    """A photo or voice note sent (its kind and Telegram file_id), or None for plain text."""
    if incoming.photo_file_id:
        return "photo", incoming.photo_file_id
    if incoming.voice_file_id:
        return "voice", incoming.voice_file_id
    return None


def on_family_message(ctx: Ctx, text: str) -> None:
    """Free text, a photo or a voice message: relayed to the worker (held when over the hourly limit)."""
    media = _media_of(ctx.incoming)
    cleaned = "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()[:TEXT_MAX] or None
    if media is None and cleaned is None:
        ctx.reply("errors/unsupported")
        return
    relayed = ctx.call(
        relay_from_family,
        ctx.identity,
        kind=media[0] if media else "text",
        text=cleaned,
        file_id=media[1] if media else None,
        now=ctx.now,
        policy=ctx.policy,
    )
    if relayed.status is RelayStatus.held:
        ctx.reply("family/held", limit=ctx.policy.family_messages_per_hour)
        return
    if relayed.status is RelayStatus.relayed and relayed.worker_chat_id is not None:
        _relay_to_worker(ctx, relayed, media, cleaned)
    ctx.reply(
        "family/relayed",
        (urgent_row(ctx),),
        status=str(relayed.status),
        later=relayed.available_at,
    )


def _relay_to_worker(
    ctx: Ctx, relayed: Relayed, media: tuple[MediaKind, str] | None, text: str | None
) -> None:
    """Queue the message for the worker: a photo or voice note goes as itself, captioned like a text."""
    assert relayed.worker_chat_id is not None
    options: dict[str, Any] = {
        "purpose": "family_relay",
        "dedupe_key": f"family_msg:{relayed.message_id}",
        "buttons": [
            [("fam_reply", ReplyToFamily(relayed.message_id).pack())],
            [("fam_thread", FamilyThread(ctx.identity.person_id).pack())],
        ],
        "available_at": relayed.available_at,
        "person_name": relayed.person_name,
        "relation": relayed.relation,
        "at": ctx.now,
    }
    if media is None:
        ctx.notify(relayed.worker_chat_id, "family/relay", kind="text", text=text, **options)
        return
    ctx.notify(
        relayed.worker_chat_id, "family/relay", media=media, kind=media[0], text=caption_text(text), **options
    )


def cmd_urgent_factory(engine: Engine):  # type: ignore[no-untyped-def]
    def start_urgent(ctx: Ctx, _arg: str) -> None:
        """/urgent or the urgent button: an optional description, then the alert goes out."""
        ctx.answer()
        engine.start(ctx, "family_urgent", {})

    return start_urgent


def cmd_stop(ctx: Ctx, _arg: str) -> None:
    """/stop: ask once before unlinking."""
    ctx.reply("family/stop_confirm", ((ctx.button("fam_stop_confirm", FamilyStop().pack()),),))


def on_stop(ctx: Ctx, _data: FamilyStop) -> None:
    """The confirmed /stop: unlink the account and tell the worker."""
    ctx.answer()
    departure = ctx.call(leave_channel, ctx.identity, now=ctx.now, today=ctx.today)
    if departure is None:
        ctx.reply("errors/not_allowed")
        return
    if departure.worker_chat_id is not None:
        ctx.notify(
            departure.worker_chat_id,
            "family/left",
            purpose="family_left",
            dedupe_key=f"family_left:{ctx.identity.family_member_id}:{ctx.now.isoformat()}",
            person_name=departure.person_name,
            relation=departure.relation,
        )
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "family/stopped")
    else:
        ctx.reply("family/stopped")
    set_menu(ctx, Principal.unlinked)


def register(router: Router, engine: Engine) -> None:
    """The family channel: family commands, the worker side's buttons and /inbox, and the forms."""
    for form in FORMS:
        engine.add(form)
    start_urgent = cmd_urgent_factory(engine)

    def cmd_tip(ctx: Ctx, _arg: str) -> None:
        engine.start(ctx, "family_tip", {})

    router.command("/contact", Action.family_contact, cmd_contact)
    router.command("/urgent", Action.family_urgent, start_urgent)
    router.command("/tip", Action.family_tip, cmd_tip)
    router.command("/stop", Action.family_stop, cmd_stop)
    router.button(FamilyUrgent, Action.family_urgent, start_urgent)
    router.button(FamilyStop, Action.family_stop, on_stop)
    router.free_text(Principal.family, on_family_message)
    family_staff.register(router, engine)
    family_consent.register(router, engine)
    family_tips.register(router)
