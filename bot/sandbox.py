"""The sandbox: the real bot against the project's own local Bot API server, on a synthetic city.

A newcomer or a trainer picks a persona (grid worker, family member, supervisor, stranger) and
talks to the bot in the terminal (`bot.sandbox_chat`). Everything lives in a temporary folder
that is removed on exit; files the bot sends are kept in `files_dir`, where the terminal says.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from tempfile import mkdtemp
from urllib.parse import quote

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import migrate
from bot.app import GridcareBot, build_bot, build_runtime, clock_from, make_transport, policy_from
from bot.config import Settings
from bot.demo import generate_demo_city
from bot.miniapp.server import MiniApp, miniapp_app
from bot.obligations import catch_up
from bot.telegram_api import ChatMessage, LocalBotApi
from bot.webhook import WebhookServer
from handlers.events import Incoming
from handlers.miniapp.initdata import sign_init_data
from models.audit import Actor
from models.outbox import OutboxMessage, OutboxStatus
from models.people import ACTIVE_STATUSES, CareAssignment, CaseRole, FamilyMember, Person, Role, Worker
from models.policy import Policy
from models.services.casework.places import grids_near
from models.services.directory.invites import invite_family, invite_worker, redeem
from models.services.outbox import claims

SANDBOX_TOKEN = "100000:sandbox"  # noqa: S105 (not a Telegram token: only the local server takes it)
PERSONAS = ("worker", "family", "supervisor", "stranger", "police", "receiver")
USER_IDS = {
    "worker": 1001,
    "family": 1002,
    "supervisor": 1003,
    "stranger": 1004,
    "police": 1005,  # the police officer of the worker's first person (confirms status changes)
    "receiver": 1006,  # a grid worker of another grid nearby (accepts a transfer)
}
SETTLE_TIMEOUT = 30.0  # seconds to wait for pushed messages; the outbox paces 1 a second per chat
LATE_REPLY = "reply"  # outbox rows of an answer Telegram could not take at once: not a push
SANDBOX_MORNING = time(10, 0)  # the sandbox's day starts here: office hours, the morning list sent


def working_morning(settings: Settings) -> datetime:
    """10:00 local time of today, or of the next working day: a moment when the whole bot is awake
    (family messages are relayed at once, the morning list is out), whenever the sandbox is run."""
    policy = policy_from(settings)
    day = policy.local_date(clock_from(settings).now())
    while not policy.calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, SANDBOX_MORNING, tzinfo=policy.tz)


def _link_personas(session: Session, *, now: datetime) -> dict[str, str]:
    """Link the persona accounts: a grid worker with a caseload, a relative of one of their people,
    and the city's supervisor. Returns a one-line description of each."""
    person_id, worker_code = session.execute(
        select(CareAssignment.person_id, Worker.code)
        .join(Worker, Worker.id == CareAssignment.worker_id)
        .join(Person, Person.id == CareAssignment.person_id)
        .where(
            CareAssignment.case_role == CaseRole.responsible,
            Worker.role == Role.grid_worker,
            Person.status.in_(ACTIVE_STATUSES),  # a case still open: its status can still change
        )
        .order_by(CareAssignment.person_id)
        .limit(1)
    ).one()
    person_code = session.scalar(select(Person.code).where(Person.id == person_id))
    supervisor_code = session.scalar(
        select(Worker.code).where(Worker.role == Role.supervisor).order_by(Worker.id).limit(1)
    )
    police_code = session.scalar(
        select(Worker.code)
        .join(CareAssignment, CareAssignment.worker_id == Worker.id)
        .where(CareAssignment.person_id == person_id, CareAssignment.case_role == CaseRole.police)
        .limit(1)
    )
    nearby = grids_near(session, person_id)  # the transfer form offers these, nearest first
    receiver_code = (
        session.scalar(
            select(Worker.code)
            .where(Worker.role == Role.grid_worker, Worker.area_id == nearby[0].id)
            .order_by(Worker.id)
            .limit(1)
        )
        if nearby
        else None
    )
    assert person_code is not None and supervisor_code is not None, "the demo city has both"
    links = {
        "worker": invite_worker(session, worker_code, actor=Actor.cli(), now=now),
        "family": invite_family(session, person_code, "母亲", actor=Actor.cli(), now=now),
        "supervisor": invite_worker(session, supervisor_code, actor=Actor.cli(), now=now),
    }
    # A small city may have no other grid (or no police officer on the team): that persona stays unlinked.
    for persona, code in (("police", police_code), ("receiver", receiver_code)):
        if code is not None:
            links[persona] = invite_worker(session, code, actor=Actor.cli(), now=now)
    for persona, made in links.items():
        redeem(session, made.code, USER_IDS[persona], now=now)
    assert session.scalar(select(FamilyMember.id).where(FamilyMember.telegram_user_id == USER_IDS["family"]))
    return {
        "worker": f"grid worker {worker_code}",
        "family": f"mother of {person_code}",
        "supervisor": f"supervisor {supervisor_code}",
        "stranger": "an account nobody invited",
        "police": f"police officer {police_code}" if police_code else "unlinked (no police officer)",
        "receiver": f"grid worker {receiver_code} of another grid"
        if receiver_code
        else "unlinked (one grid)",
    }


def _undelivered(session: Session, *, now: datetime, policy: Policy, form_hold: timedelta) -> int:
    """Outbox rows that may go now or are being sent: while there are any, pushes are on their way."""
    sending = select(func.count()).where(OutboxMessage.status == OutboxStatus.sending)
    return (session.scalar(sending) or 0) + claims.due_count(
        session, now=now, policy=policy, form_hold=form_hold
    )


def _pushed_ids(session: Session, chat_id: int) -> set[int]:
    """Telegram ids of the messages the outbox sent to a chat (not answers to the user's own update)."""
    rows = select(OutboxMessage.message_id).where(
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.message_id.is_not(None),
        OutboxMessage.purpose != LATE_REPLY,
    )
    return set(session.scalars(rows))


@dataclass
class Sandbox:
    api: LocalBotApi
    bot: GridcareBot
    personas: dict[str, str]
    handled: asyncio.Condition
    done: set[int | str]
    polling: asyncio.Task[None]
    workdir: Path
    files_dir: Path
    app_server: WebhookServer | None = None

    def app_url(self, persona: str) -> str:
        """The Mini App's local address with an initData signed for the persona, as Telegram would
        hand it to the page (in the fragment, which no server sees); valid for the allowed age."""
        runtime = self.bot.runtime
        init_data = sign_init_data(
            SANDBOX_TOKEN, USER_IDS[persona], auth_date=runtime.clock.now(), first_name=persona.capitalize()
        )
        return f"{runtime.settings.miniapp_url}#tgWebAppData={quote(init_data, safe='')}"

    async def _wait(self, key: int | str) -> None:
        async with self.handled:
            await asyncio.wait_for(self.handled.wait_for(lambda: key in self.done), timeout=15)

    async def say(self, persona: str, text: str) -> None:
        update = self.api.user_sends(USER_IDS[persona], text)
        await self._wait(update["update_id"])

    async def press(self, persona: str, message: ChatMessage, number: int) -> bool:
        """Press the N-th button (1-based) of a message, as it is now; False if it has no such button."""
        buttons = [data for _, data in message.buttons if data]
        if not 1 <= number <= len(buttons):
            return False
        query = self.api.user_presses(USER_IDS[persona], message.message_id, buttons[number - 1])
        await self._wait(query)
        return True

    def transcript(self, persona: str) -> list[ChatMessage]:
        return self.api.transcript(USER_IDS[persona])

    async def settle(self) -> None:
        """Wait until the outbox has sent everything that may go now (held rows wait for their time)."""
        runtime, sender = self.bot.runtime, self.bot.sender
        hold = timedelta(seconds=sender.settings.form_hold if sender else 0)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_TIMEOUT):
                while await runtime.db.run(
                    _undelivered, now=runtime.clock.now(), policy=runtime.policy, form_hold=hold
                ):
                    await asyncio.sleep(0.05)

    async def pushed_ids(self, persona: str) -> set[int]:
        return await self.bot.runtime.db.run(_pushed_ids, USER_IDS[persona])

    def save_file(self, persona: str, message: ChatMessage) -> Path | None:
        """Keep a file the bot sent (document, photo, voice) in files_dir; its path, or None."""
        stored = message.document or message.photo or message.voice
        if stored is None:
            return None
        kind = "document" if message.document else "photo" if message.photo else "voice"
        name = Path(stored.filename or kind).name
        path = self.files_dir / f"{persona}-{message.message_id}-{name}"
        if not path.exists():
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path.write_bytes(stored.data)
        return path

    async def close(self) -> None:
        """Stop the bot and the server, and remove the temporary folder."""
        try:
            if self.app_server is not None:
                await self.app_server.close()
            await self.bot.transport.stop_polling()
            await asyncio.wait_for(self.polling, timeout=15)
            await self.bot.close()
            await self.api.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


async def start_sandbox(settings: Settings, *, persons: int = 200, files_dir: Path) -> Sandbox:
    """Local Bot API server, a fresh synthetic city on SQLite, the bot polling, personas linked;
    returns once the first scheduler tick's messages (e.g. the morning list) are delivered."""
    workdir = Path(mkdtemp(prefix="gridcare-sandbox-"))
    api = LocalBotApi(tokens=[SANDBOX_TOKEN])
    try:
        await api.start()
        return await _start_bot(api, settings, persons=persons, workdir=workdir, files_dir=files_dir)
    except BaseException:
        await api.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


async def _start_bot(
    api: LocalBotApi, settings: Settings, *, persons: int, workdir: Path, files_dir: Path
) -> Sandbox:
    for persona, user_id in USER_IDS.items():
        api.add_user(user_id, persona.capitalize(), language_code="zh-hans")
    app_host, app_port = settings.miniapp_bind or ("127.0.0.1", _free_port())
    settings = settings.model_copy(
        update={
            "database_url": f"sqlite:///{workdir / 'sandbox.db'}",
            "bot_token": SecretStr(SANDBOX_TOKEN),
            "api_url": api.base_url,
            "secret_key": None,  # generated beside the database, in the temporary folder
            "clock_start": settings.clock_start or working_morning(settings),
            "miniapp_url": f"http://{app_host}:{app_port}/app/",  # the digest's button and `:app`
        }
    )
    migrate.upgrade(settings.database_url)
    runtime = build_runtime(settings)
    now = runtime.clock.now()
    runtime.db.call(generate_demo_city, persons=persons, seed=1, keys=runtime.keys, now=now)
    catch_up(runtime.db, runtime.policy.local_date(now), runtime.policy)  # as `gridcare demo-data` does
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
    sandbox = Sandbox(api, bot, personas, handled, done, polling, workdir, files_dir)
    try:
        sandbox.app_server = WebhookServer(miniapp_app(MiniApp.of(bot)))
        await sandbox.app_server.start(app_host, app_port)
        if bot.scheduler is not None:
            await bot.scheduler.tick()  # the jobs due at the start run now, not in the middle of a script
        await sandbox.settle()
    except BaseException:
        await sandbox.close()
        raise
    return sandbox


def _free_port() -> int:
    """A port free on the loopback now, for the Mini App (its URL must be known before it listens)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
