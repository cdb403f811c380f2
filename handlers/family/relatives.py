"""The family channel (家属), family side: the worker's card, relayed messages, urgent alert, tip, leaving.

A family member gets exactly what the families' letter asks for, and nothing more: every other
command and button is refused by the access matrix before it reaches a handler. The worker side
(invites, threads, replies, acknowledgments, /inbox) is in handlers.family.staff.
"""

from __future__ import annotations

from handlers.callbacks import FamilyStop, FamilyUrgent
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.events import Button, Incoming, SendContact
from handlers.family import consent as family_consent
from handlers.family import staff as family_staff
from handlers.family import tips as family_tips
from handlers.family.forms import FORMS
from handlers.family.media import caption_text
from handlers.menus import set_menu
from handlers.router import Router
from models.access import Action, Principal
from models.outgoing import MediaKind
from models.services.family.channel import contact_cards
from models.services.family.notices import leave, relay_to_worker
from models.services.family.relay import RelayStatus

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
        relay_to_worker,
        ctx,
        ctx.identity,
        media=media,
        text=cleaned,
        caption=caption_text(cleaned),
        now=ctx.now,
        policy=ctx.policy,
    )
    if relayed.status is RelayStatus.held:
        ctx.reply("family/held", limit=ctx.policy.family_messages_per_hour)
        return
    ctx.reply(
        "family/relayed",
        (urgent_row(ctx),),
        status=str(relayed.status),
        later=relayed.available_at,
    )


def start_urgent(ctx: Ctx, _arg: str) -> None:
    """/urgent or the urgent button: an optional description, then the alert goes out."""
    ctx.answer()
    ctx.dialogs.start(ctx, "family_urgent", {})


def cmd_tip(ctx: Ctx, _arg: str) -> None:
    """/tip: the family's tip form."""
    ctx.dialogs.start(ctx, "family_tip", {})


def cmd_stop(ctx: Ctx, _arg: str) -> None:
    """/stop: ask once before unlinking."""
    ctx.reply("family/stop_confirm", ((ctx.button("fam_stop_confirm", FamilyStop().pack()),),))


def on_stop(ctx: Ctx, _data: FamilyStop) -> None:
    """The confirmed /stop: unlink the account and tell the worker."""
    ctx.answer()
    departure = ctx.call(leave, ctx, ctx.identity, now=ctx.now, today=ctx.today)
    if departure is None:
        ctx.reply("errors/not_allowed")
        return
    if ctx.incoming.message_id is not None:
        ctx.edit(ctx.incoming.message_id, "family/stopped")
    else:
        ctx.reply("family/stopped")
    set_menu(ctx, Principal.unlinked)


def register(router: Router, engine: Engine) -> None:
    """The family channel: family commands, the worker side's buttons and /inbox, and the forms."""
    for form in FORMS:
        engine.add(form)
    router.command("/contact", Action.family_contact, cmd_contact)
    router.command("/urgent", Action.family_urgent, start_urgent)
    router.command("/tip", Action.family_tip, cmd_tip)
    router.command("/stop", Action.family_stop, cmd_stop)
    router.button(FamilyUrgent, Action.family_urgent, start_urgent)
    router.button(FamilyStop, Action.family_stop, on_stop)
    router.free_text(Principal.family, on_family_message)
    family_staff.register(router)
    family_consent.register(router)
    family_tips.register(router)
