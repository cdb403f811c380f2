"""The composition root: builds Gridcare from settings, for `gridcare run`, the sandbox and the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from bot.config import ConfigError, Settings, Transport
from bot.db import Database
from bot.jobs import JOBS, Job
from bot.metrics import update_timer
from bot.outbox import Sender, SenderSettings
from bot.replies import Replies, ReplySettings
from bot.scheduler import Scheduler
from bot.transports.base import Transport as TransportBase
from handlers.context import JobContexts, JobCtx
from handlers.core import ChatLocks, Core
from handlers.events import Incoming
from handlers.flood import Throttle
from handlers.render import Renderer
from handlers.setup import build_router
from models.clock import Clock, StartedClock, SystemClock
from models.crypto import CryptoError, KeyRing
from models.pay import PayWeights
from models.policy import Policy, campaigns_from_toml
from models.schedule import DEFAULT_RULES, RuleSet
from models.sealing import KeyMismatch, check_ring_at_start

log = structlog.get_logger("gridcare.app")


@dataclass
class Runtime:
    """Everything a command or the bot needs, built once and passed in."""

    settings: Settings
    db: Database
    keys: KeyRing
    clock: Clock = field(default_factory=SystemClock)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @cached_property
    def policy(self) -> Policy:
        return policy_from(self.settings)

    @cached_property
    def job_contexts(self) -> JobContexts:
        """The factory of a job's unit of work (a command's too): templates, policy, key ring."""
        return JobContexts(Renderer(self.tz, default_locale=self.settings.locale), self.policy, self.keys)

    def job_context(self, session: Any, now: datetime) -> JobCtx:
        """A command's unit of work, as a scheduled job gets it: the notifier services speak through."""
        return self.job_contexts(session, now)

    def close(self) -> None:
        self.db.dispose()


def policy_from(settings: Settings) -> Policy:
    """The domain's configurable numbers: time zone, and a locality's rules file over the defaults."""
    rules, pay = DEFAULT_RULES, PayWeights()
    if settings.rules_file is not None:
        text = settings.rules_file.read_text(encoding="utf-8")
        rules, pay = rules.replaced_by(RuleSet.from_toml(text)), PayWeights.from_toml(text)
    policy = Policy(
        tz=ZoneInfo(settings.timezone),
        rules=rules,
        pay=pay,
        sensitive_delete_hours=settings.sensitive_delete_hours,
        outbox_retention_days=settings.outbox_retention_days,
        record_window_days=settings.record_window_days,
        miniapp_url=settings.miniapp_url,
    )
    if settings.campaigns_file is not None:
        extra = campaigns_from_toml(settings.campaigns_file.read_text(encoding="utf-8"))
        policy = replace(policy, campaigns=extra)
    return policy


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Open the database and the key ring named by the settings."""
    keys = key_ring(settings)
    database = Database(settings.database_url)
    try:  # at start-up, before anything is sealed: the ring is the one this database was sealed with
        database.call(check_ring_at_start, keys)
    except KeyMismatch as exc:
        database.dispose()
        raise ConfigError(str(exc)) from None
    return Runtime(settings=settings, db=database, keys=keys, clock=clock or clock_from(settings))


def key_ring(settings: Settings) -> KeyRing:
    """The field key ring the settings name; a malformed one (e.g. an id given twice) is a ConfigError."""
    try:
        return KeyRing.parse(settings.resolve_secret_key())
    except CryptoError as exc:
        raise ConfigError(f"GRIDCARE_SECRET_KEY: {exc}") from None


def clock_from(settings: Settings) -> Clock:
    """The one place the clock comes from: the system's, or one started where the settings say."""
    return SystemClock() if settings.clock_start is None else StartedClock(settings.clock_start)


def make_transport(settings: Settings, *, polling_timeout: int = 10) -> TransportBase:
    """The framework the settings choose, pointed at the configured Bot API server."""
    assert settings.bot_token is not None, "a bot token is required to build a transport"
    token = settings.bot_token.get_secret_value()
    if settings.transport is Transport.ptb:
        from bot.transports.ptb import PTBTransport

        return PTBTransport(token, settings.api_url, polling_timeout=polling_timeout)
    from bot.transports.aiogram import AiogramTransport

    return AiogramTransport(token, settings.api_url, polling_timeout=polling_timeout)


@dataclass
class GridcareBot:
    """The running bot: the neutral core, carried by one transport; in the background the sender
    (drains the outbox) and the scheduler (runs the jobs). `start()` starts the transport, then
    them: `run_polling` does; a webhook server must before it listens. `close()` ends it all."""

    runtime: Runtime
    core: Core
    transport: TransportBase
    replies: Replies
    sender: Sender | None = None
    scheduler: Scheduler | None = None
    _background: bool = field(default=False, init=False)
    _chats: ChatLocks = field(default_factory=ChatLocks, init=False)

    async def on_incoming(self, incoming: Incoming) -> None:
        # A chat's updates are handled and answered one at a time, so its replies keep their order.
        async with self._chats.hold(incoming.chat_id):
            with update_timer(incoming.kind.value):  # counted and timed for /metrics
                answer = await self.core.answer(incoming)
                await self.replies.deliver(incoming, answer.actions, behind=answer.behind)
        self.wake_sender()  # the update may have queued messages to others: send them now

    def wake_sender(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    async def start(self) -> None:
        """Start the transport (once: before it polls, takes a webhook's update, or sends), then the
        sender and the scheduler, which send through it."""
        await self.transport.start()
        self.runtime.db.start_checkpoints()
        await self.start_background()

    async def start_background(self) -> None:
        """Start the sender and the scheduler, once (`start` does)."""
        if self._background:
            return
        self._background = True
        if self.sender is not None:
            await self.sender.start()
        if self.scheduler is not None:
            await self.scheduler.start()

    async def stop_background(self) -> None:
        """Stop the scheduler, then the sender (rows not yet sent go back to the queue)."""
        if not self._background:
            return
        self._background = False
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.sender is not None:
            await self.sender.stop()

    async def run_polling(self) -> None:
        log.info("polling", transport=self.transport.name)
        await self.start()
        try:
            await self.transport.start_polling()
        finally:
            await self.stop_background()

    async def close(self) -> None:
        await self.stop_background()
        await self.transport.stop_polling()
        await self.transport.close()
        await asyncio.get_running_loop().run_in_executor(None, self.runtime.close)


def build_bot(
    runtime: Runtime,
    transport: TransportBase,
    *,
    background: bool = True,
    jobs: Sequence[Job] = JOBS,
    sender_settings: SenderSettings | None = None,
    reply_settings: ReplySettings | None = None,
    tick_seconds: float = 20.0,
) -> GridcareBot:
    """Wire the core to a transport, with the sender and the scheduler unless `background=False`.

    Everything runs on `runtime.clock`, so a test with a FrozenClock controls due times, quiet
    hours and job run keys; `jobs` replaces the scheduled jobs (e.g. none, or one under test);
    `reply_settings` says how hard a reply is tried before it waits in the outbox (bot/replies.py).
    """
    renderer = runtime.job_contexts.renderer  # one jinja environment for updates and jobs
    core = Core(
        router=build_router(),
        renderer=renderer,
        clock=runtime.clock,
        run_unit=runtime.db.run,
        policy=runtime.policy,
        keys=runtime.keys,
        throttle=Throttle(runtime.settings.flood_per_minute, runtime.settings.flood_burst),
    )
    replies = Replies(runtime.db, transport, clock=runtime.clock, settings=reply_settings)
    app = GridcareBot(runtime=runtime, core=core, transport=transport, replies=replies)
    replies.on_queued = app.wake_sender
    if background:
        app.sender = Sender(
            runtime.db, transport, clock=runtime.clock, policy=runtime.policy, settings=sender_settings
        )
        app.scheduler = Scheduler(
            runtime.db,
            clock=runtime.clock,
            policy=runtime.policy,
            renderer=renderer,
            keys=runtime.keys,
            jobs=jobs,
            tick_seconds=tick_seconds,
        )
    transport.on_incoming(app.on_incoming)
    return app
