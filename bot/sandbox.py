"""The sandbox: the real bot against the project's own local Bot API server, on a synthetic city.

A newcomer or a trainer picks a persona (grid worker, family member, supervisor, stranger) and
talks to the bot in the terminal; buttons are shown numbered and pressed with `#N`. With a script
it plays a conversation non-interactively and prints the transcript.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import mkdtemp

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import migrate
from bot.app import GridcareBot, build_bot, build_runtime, make_transport
from bot.config import Settings
from bot.telegram_api import ChatMessage, LocalBotApi
from handlers.events import Incoming
from models.audit import Actor
from models.people import CareAssignment, CaseRole, FamilyMember, Person, Role, Worker
from models.services import demo
from models.services.invites import invite_family, invite_worker, redeem

SANDBOX_TOKEN = "100000:sandbox"  # noqa: S105 (not a Telegram token: only the local server takes it)
PERSONAS = ("worker", "family", "supervisor", "stranger")
USER_IDS = {"worker": 1001, "family": 1002, "supervisor": 1003, "stranger": 1004}


def _link_personas(session: Session, *, now) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Link the persona accounts: a grid worker with a caseload, a relative of one of their people,
    and the city's supervisor. Returns a one-line description of each."""
    person_id, worker_code = session.execute(
        select(CareAssignment.person_id, Worker.code)
        .join(Worker, Worker.id == CareAssignment.worker_id)
        .where(CareAssignment.case_role == CaseRole.responsible, Worker.role == Role.grid_worker)
        .order_by(CareAssignment.person_id)
        .limit(1)
    ).one()
    person_code = session.scalar(select(Person.code).where(Person.id == person_id))
    supervisor_code = session.scalar(
        select(Worker.code).where(Worker.role == Role.supervisor).order_by(Worker.id).limit(1)
    )
    links = {
        "worker": invite_worker(session, worker_code, actor=Actor.cli(), now=now),
        "family": invite_family(session, person_code, "母亲", actor=Actor.cli(), now=now),
        "supervisor": invite_worker(session, supervisor_code, actor=Actor.cli(), now=now),
    }
    for persona, made in links.items():
        redeem(session, made.code, USER_IDS[persona], now=now)
    assert session.scalar(select(FamilyMember.id).where(FamilyMember.telegram_user_id == USER_IDS["family"]))
    return {
        "worker": f"grid worker {worker_code}",
        "family": f"mother of {person_code}",
        "supervisor": f"supervisor {supervisor_code}",
        "stranger": "an account nobody invited",
    }


@dataclass
class Sandbox:
    api: LocalBotApi
    bot: GridcareBot
    personas: dict[str, str]
    handled: asyncio.Condition
    done: set[int | str]
    polling: asyncio.Task[None]

    async def _wait(self, key: int | str) -> None:
        async with self.handled:
            await asyncio.wait_for(self.handled.wait_for(lambda: key in self.done), timeout=15)

    async def say(self, persona: str, text: str) -> None:
        update = self.api.user_sends(USER_IDS[persona], text)
        await self._wait(update["update_id"])

    async def press(self, persona: str, number: int) -> bool:
        """Press the N-th button (1-based) of the newest message that has buttons."""
        chat = USER_IDS[persona]
        for message in reversed(self.api.transcript(chat)):
            buttons = [(label, data) for label, data in message.buttons if data]
            if buttons:
                if not 1 <= number <= len(buttons):
                    return False
                query = self.api.user_presses(chat, message.message_id, buttons[number - 1][1])
                await self._wait(query)
                return True
        return False

    def transcript(self, persona: str) -> list[ChatMessage]:
        return self.api.transcript(USER_IDS[persona])

    async def close(self) -> None:
        await self.bot.transport.stop()
        await asyncio.wait_for(self.polling, timeout=15)
        await self.bot.close()
        await self.api.stop()


async def start_sandbox(settings: Settings, *, persons: int = 200) -> Sandbox:
    """Local Bot API server, a fresh synthetic city on SQLite, the bot polling, personas linked."""
    api = LocalBotApi(tokens=[SANDBOX_TOKEN])
    await api.start()
    for persona, user_id in USER_IDS.items():
        api.add_user(user_id, persona.capitalize(), language_code="zh-hans")
    database = Path(mkdtemp(prefix="gridcare-sandbox-")) / "sandbox.db"
    settings = settings.model_copy(
        update={
            "database_url": f"sqlite:///{database}",
            "bot_token": SecretStr(SANDBOX_TOKEN),
            "api_url": api.base_url,
            "secret_key": None,
        }
    )
    migrate.upgrade(settings.database_url)
    runtime = build_runtime(settings)
    now = runtime.clock.now()
    runtime.db.call(demo.generate_demo_city, persons=persons, seed=1, keys=runtime.keys, now=now)
    personas = runtime.db.call(_link_personas, now=now)
    bot = build_bot(runtime, make_transport(settings, polling_timeout=1))
    handled, done = asyncio.Condition(), set()

    async def on_incoming(incoming: Incoming) -> None:
        try:
            await bot.on_incoming(incoming)
        finally:
            async with handled:
                done.add(incoming.callback_id or incoming.update_id)
                handled.notify_all()

    bot.transport.on_incoming(on_incoming)
    polling = asyncio.create_task(bot.run_polling())
    return Sandbox(api, bot, personas, handled, done, polling)


def render_message(message: ChatMessage) -> str:
    """A bot message as terminal text, its buttons numbered #1, #2, …"""
    lines = [message.text or message.caption or ""]
    if message.photo:
        lines.append("[photo]")
    if message.document:
        lines.append(f"[document {message.document.file_name}]")
    if message.contact:
        lines.append(f"[contact {message.contact.get('first_name')} {message.contact.get('phone_number')}]")
    buttons = [label for label, data in message.buttons if data]
    if buttons:
        lines.append("  ".join(f"#{i} {label}" for i, label in enumerate(buttons, 1)))
    return "\n".join(line for line in lines if line)


async def play(sandbox: Sandbox, lines: list[str], emit: Callable[[str], None]) -> None:
    """Play a script: `as PERSONA`, `#N` to press a button, anything else is typed as that persona."""
    persona = "worker"
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("--"):
            continue
        if line.startswith("as "):
            persona = line[3:].strip()
            if persona not in PERSONAS:
                raise ValueError(f"unknown persona {persona!r}; choose from {', '.join(PERSONAS)}")
            emit(f"=== {persona}: {sandbox.personas[persona]}")
            continue
        seen = {(m.message_id, m.edit_count) for m in sandbox.transcript(persona)}
        if line.startswith("#") and line[1:].isdigit():
            emit(f"{persona} presses {line}")
            if not await sandbox.press(persona, int(line[1:])):
                emit("(no such button)")
        else:
            emit(f"{persona} > {line}")
            await sandbox.say(persona, line)
        for message in sandbox.transcript(persona):
            if (message.message_id, message.edit_count) not in seen:
                edited = " (edited)" if message.edit_count else ""
                emit(f"bot{edited} < " + render_message(message).replace("\n", "\n      "))


async def interactive(sandbox: Sandbox, emit: Callable[[str], None]) -> None:
    """A terminal chat: type as the persona; `#N` presses a button, `:persona` switches, `:q` quits."""
    emit("Gridcare sandbox: a synthetic city, nothing real. Personas:")
    for name in PERSONAS:
        emit(f"  :{name:<10} {sandbox.personas[name]}")
    persona = "worker"
    emit(f"You are the {persona}. Try /help, /my, /note; `:q` quits.")
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == ":q":
            return
        if line.startswith(":") and line[1:].strip() in PERSONAS:
            persona = line[1:].strip()
            emit(f"You are now the {persona}: {sandbox.personas[persona]}")
            continue
        await play(
            sandbox, [f"as {persona}", line], lambda text: None if text.startswith("===") else emit(text)
        )
