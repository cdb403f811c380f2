"""A day in one world that makes the bot offer every kind of button, and collects their data.

Run in two identical worlds (tests.security.world), it yields two lists of button data that
differ only in ids; the access walk forges and replays them. The data comes from what the bot
answers in each chat and from what it queues in the outbox for others (alerts, relays, tips,
colour proposals), so it is exactly what a real client could hold or tamper with.
"""

from __future__ import annotations

from itertools import count

from sqlalchemy import func, select

from bot.db import Database
from handlers.core import Core
from handlers.events import Incoming, InKind
from models.audit import Actor
from models.family import Tip
from models.outbox import OutboxMessage
from models.services.directory.invites import invite_family
from tests.security.world import World
from tests.support.chat import BOT_ID, CoreChat

_photos = count(1)
NAV = (":b", ":s", ":x", ":ok")


class Harvest:
    """Button data in the order first seen, and the last outbox row already read."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.data: list[str] = []
        with db.unit_of_work() as s:  # what other worlds queued before is not this world's
            self._outbox_seen = s.scalar(select(func.max(OutboxMessage.id))) or 0

    def add(self, data: str) -> None:
        if data not in self.data:
            self.data.append(data)

    def chat(self, chat: CoreChat) -> None:
        for action in chat.last:
            for row in getattr(action, "buttons", ()):
                for button in row:
                    self.add(button.data)
        self.outbox()

    def outbox(self) -> None:
        with self.db.unit_of_work() as s:
            rows = s.scalars(
                select(OutboxMessage).where(OutboxMessage.id > self._outbox_seen).order_by(OutboxMessage.id)
            ).all()
            for row in rows:
                self._outbox_seen = row.id
                for buttons in row.payload.get("buttons", ()):
                    for _label, data in buttons:
                        self.add(data)


async def photo(chat: CoreChat, file_id: str | None = None) -> None:
    """The user sends a photo (CoreChat has no door for it)."""
    incoming = Incoming(
        BOT_ID,
        900_000 + next(_photos),
        InKind.message,
        chat.user_id,
        chat.user_id,
        photo_file_id=file_id or f"photo-{next(_photos)}",
        message_id=next(chat.message_ids),
    )
    chat.last = await chat.core.handle(incoming)


def choices(chat: CoreChat) -> list[str]:
    """The answer buttons of the form's current question (navigation left out)."""
    return [
        b.data
        for a in chat.last
        for row in getattr(a, "buttons", ())
        for b in row
        if b.data.startswith("d:") and not b.data.endswith(NAV)
    ]


async def pick(chat: CoreChat, n: int = 0) -> None:
    await chat.press(choices(chat)[n])


async def tap(chat: CoreChat, label: str) -> None:
    await chat.press(chat.button(label))


async def run_scenario(db: Database, core: Core, world: World) -> list[str]:
    """Every feature of the world used once; the button data it produced, in order."""
    harvest = Harvest(db)
    worker = CoreChat(core, world.accounts["grid_worker"])
    family = CoreChat(core, world.accounts["family"])
    supervisor = CoreChat(core, world.accounts["supervisor"])
    p1, code = world.person, world.code("P1")

    async def say(chat: CoreChat, text: str) -> None:
        await chat.say(text)
        harvest.chat(chat)

    async def press(chat: CoreChat, data: str) -> None:
        await chat.press(data)
        harvest.chat(chat)

    for command in ("/my", "/today", "/settings", "/lang", f"/history {code}", "/inbox"):
        await say(worker, command)
    await press(worker, f"p:{p1}")
    # the week's meeting (约见): the slots, one booked, the places, one chosen, then cancelled
    await press(worker, f"ap:{p1}")
    await press(worker, worker.button("16:00"))
    await press(worker, worker.button("改地点"))
    await press(worker, worker.button("工作站"))
    await press(worker, worker.button("取消约见"))
    await press(worker, f"fi:{p1}")
    # 状态变更: a 失联 report asks cadre and police (cd:), then a transfer asks the receiving grid (ct:)
    for kind, own_step in (("失联", None), ("转出", 0)):
        await press(worker, f"cc:{p1}")
        await tap(worker, kind)
        await tap(worker, "今天")
        if own_step is not None:
            await pick(worker, own_step)
        await say(worker, "原因")
        await tap(worker, "确认")
        harvest.outbox()
    # a note, and an assessment suggesting another colour (a proposal to police and supervisor)
    await press(worker, f"r:note:{p1}")
    await say(worker, "记录")
    await tap(worker, "确认")
    harvest.chat(worker)
    await press(worker, f"r:assessment:{p1}")
    await tap(worker, "量化评估")
    await tap(worker, "今天")
    await say(worker, "55")
    await say(worker, "近期情绪不稳定")
    await tap(worker, "橙色")
    await tap(worker, "确认")
    harvest.chat(worker)
    # a pause, then its end button
    await press(worker, f"pz:new:{p1}")
    for _ in range(3):
        await pick(worker)
    await tap(worker, "确认")
    await say(worker, f"/pause {code}")
    # a delegation from tomorrow, then its end button
    await say(worker, "/delegate")
    await pick(worker)
    await pick(worker, 1)
    await pick(worker)
    await tap(worker, "确认")
    await say(worker, "/delegate")
    await say(worker, "/cancel")
    # a group session: the picker's tick, all and next buttons, then its form (cancelled)
    await say(worker, "/group")
    await press(worker, worker.button("全选"))
    await press(worker, worker.button("下一步"))
    await say(worker, "/cancel")
    # the family: a message, a photo, an urgent alert, a tip with a photo, the card, /stop's question
    await say(family, "你好")
    await photo(family)
    harvest.chat(family)
    await say(family, "/urgent")
    await tap(family, "跳过")
    await tap(family, "确认")
    harvest.chat(family)
    await say(family, "/tip")
    await say(family, "线索")
    await photo(family)
    await tap(family, "确认")
    harvest.chat(family)
    with db.unit_of_work() as s:  # a tip-photo button as older versions left in police chats
        harvest.add(f"tp:{s.scalar(select(func.max(Tip.id)))}")
    await say(family, "/contact")
    await say(family, "/meetings")  # 面谈提醒: on, and the button that turns it off again
    await press(family, family.button("面谈提醒"))
    await say(family, "/stop")
    await say(worker, "/inbox")
    await press(worker, f"ft:{p1}")
    # the supervisor: digest, its drill-downs, the review queue, the export
    await say(supervisor, "/digest")
    for data in [d for d in harvest.data if d.startswith(("dw:", "dg:"))]:
        await press(supervisor, data)
    await say(supervisor, "/review")
    await say(supervisor, "/export")  # without an argument: this week's and this month's buttons
    # a linked staff account opening a family invite link is asked first (iv: confirm and cancel)
    invite = db.call(invite_family, code, "父亲", actor=Actor.cli(), now=core.clock.now())
    await say(CoreChat(core, world.accounts["colleague"]), f"/start {invite.code}")
    # a new relative links and is shown the privacy notice with its 同意 button (fc:), not yet pressed
    invite = db.call(invite_family, code, "配偶", actor=Actor.cli(), now=core.clock.now())
    await say(CoreChat(core, world.accounts["family"] - 1), f"/start {invite.code}")
    return harvest.data
