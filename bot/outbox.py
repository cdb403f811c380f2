"""The sender: drains the outbox (transactional outbox) within Telegram's limits.

Of several bot processes on one PostgreSQL, one sends at a time: the holder of an advisory lock
(bot.leadership); the others stand by and take over within `leader_check` seconds if it dies.
Rows are claimed by models.services.outbox.claims (a lease; `FOR UPDATE SKIP LOCKED` on PostgreSQL),
each with a slot in the send pace kept in the database (models.services.outbox.pace): `per_second`
sends a second for the bot, one per `chat_interval` per chat, also across a change of leader;
a SendWindow makes the per-second cap hold at Telegram's end whatever the network jitter.
A claimed row becomes one transport call; its answer, judged by bot/send_actions.py (as for an
update's direct replies), decides:

* success: `sent`, with Telegram's message id (a later edit row changes that message);
* 429: every sender pauses for retry_after, and the row is sent when the pause ends;
* 5xx, network failure, time-out: back to the queue with exponential backoff, dead after
  `max_attempts` attempts;
* 403: the chat blocked the bot: `chats.unreachable` is set and the row is dead;
* 400: dead (the message itself is wrong), except "message is not modified": success, and
  "message to edit not found": the edit is sent as a new message (its id is recorded).

Delivery guarantee. In normal operation a message is sent at most once: only the sender holding
a row's claim sends it, and the claim ends with the mark in the next unit of work. Nothing is
lost: a row leaves the queue only as sent or dead (the reason in `last_error`), and a row claimed
by a sender that died is claimable again: at once when the leader knows that sender is gone (on
SQLite at start, where one process runs; on PostgreSQL when the sender's presence lock is free),
else when its lease runs out. That recovery is the one way a message arrives twice: if Telegram
accepted it but the `sent` mark never committed (the process died in between, or the database
was unreachable), or Telegram's answer was lost to a time-out, the row is sent once more. So each
message arrives at most once more per such failure, and a crash repeats only the messages in
flight at that moment. Telegram has no idempotency key: no sender can do better.
tests/integration/test_outbox_crash.py, tests/e2e/test_sender.py and
tests/security/test_outbox_reclaim.py show it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import timedelta

import structlog

from bot.db import Database
from bot.leadership import Leadership, LockKey
from bot.metrics import DEAD_LETTERS, count_send
from bot.send_actions import Outcome, Verdict, attempt
from bot.send_limits import SenderSettings, SendWindow
from bot.transports.base import Transport
from models.clock import Clock
from models.policy import Policy
from models.services.outbox import claims, delivery
from models.services.outbox.claims import Claimed
from models.services.outbox.pace import Pacing
from models.services.outbox.queue import from_payload

log = structlog.get_logger("gridcare.outbox")
SEND_LOCK = LockKey(0x47524944, 0x53454E44)  # "GRID", "SEND"


class Sender:
    """Drains the outbox through a transport. `start()`/`stop()` run it in the background;
    `drain()` sends what is due now and returns (tests, one-off commands)."""

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        clock: Clock,
        policy: Policy,
        settings: SenderSettings | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """clock: business time (due times, quiet hours, leases); wall: real time for the pace."""
        self.db = db
        self.transport = transport
        self.clock = clock
        self.policy = policy
        # The first question to the holiday calendar builds the year (a third of a second): here,
        # not inside the first claim, whose rows are locked meanwhile.
        policy.calendar.is_working_day(policy.local_date(clock.now()))
        self.settings = settings or SenderSettings()
        self.wall = wall
        self.owner = f"{socket.gethostname()[:16]}-{os.getpid()}-{secrets.token_hex(4)}"
        self._inflight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._paused_until = 0.0  # a 429 stops this process's sends until then (wall clock)
        self._first_claim_at = 0.0  # a new leader claims from then on (wall clock, see _leading)
        self._shift = 0.0  # how far 429 pauses have pushed the slots claimed before them
        self._loop: asyncio.Task[None] | None = None
        self._window = SendWindow(self.settings.per_second, wall=wall)
        self._leadership = Leadership(db, SEND_LOCK, "sender", member=self.owner)
        self._leader_checked = float("-inf")

    # -- running ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Run in the background until `stop()`."""
        if self._loop is None:
            self._stopping.clear()
            self._loop = asyncio.create_task(self._run(), name="gridcare-sender")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; rows waiting for their slot go back to the queue, sends in flight may finish."""
        self._stopping.set()
        self._wake.set()
        if self._loop is not None:
            await self._loop
            self._loop = None
        if self._inflight:
            _, late = await asyncio.wait(self._inflight, timeout=grace)
            for task in late:  # their rows stay claimed until the leader sees this process gone
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await asyncio.to_thread(self._leadership.release)  # present until nothing is in flight

    def wake(self) -> None:
        """Look for due rows now (a unit of work just queued something)."""
        self._wake.set()

    async def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._wake.clear()  # before looking: a wake during the claim is not lost
                if not await self._leading():
                    await self._idle(self.settings.leader_check)
                    continue
                if (wait := self._first_claim_at - self.wall()) > 0:
                    await self._idle(wait)
                    continue
                try:
                    claimed = await self._claim_more()
                except Exception:
                    log.exception("outbox_claim_failed")
                    claimed = 0
                if claimed == 0:
                    await self._idle()
        finally:
            # Another process may lead now; this one stays present (see stop) until its sends end.
            await asyncio.to_thread(self._leadership.step_down)

    async def _leading(self) -> bool:
        """One process sends at a time (the others stand by and take over if it dies): Telegram's
        30/s is per bot, and two senders each pacing themselves were measured to trip it (429s,
        half the rate: BENCHMARKS.md, outgoing queue). Checked every `leader_check` seconds."""
        now = time.monotonic()
        if now >= self._leader_checked + self.settings.leader_check:
            first = self._leader_checked == float("-inf")
            self._leader_checked = now
            was_leading = self._leadership.is_leader
            await asyncio.to_thread(self._leadership.check)
            if self._leadership.is_leader and not was_leading:
                # This process's send window knows nothing of what the last leader sent in its
                # last second: claim nothing until that second is over (then the slots are spaced
                # from there), so Telegram never counts more than `per_second`.
                self._first_claim_at = self.wall() + self._window.seconds
            if self._leadership.is_leader and (first or not self._leadership.alone):
                await self._reclaim()
        return self._leadership.is_leader

    async def _reclaim(self) -> None:
        """Take back at once the rows that senders now gone left claimed, rather than waiting out
        their lease (120 s, urgent alerts too). Only the leader claims, so only it may: on SQLite at
        start (one process: every other sender is dead), on PostgreSQL at each check while it leads,
        for the senders whose presence lock is free (bot/leadership.py)."""
        try:
            owners = await self.db.run(delivery.sending_owners, besides=self.owner)
            if not owners:
                return
            gone = await asyncio.to_thread(self._leadership.gone, owners)
            if gone:
                count = await self.db.run(delivery.reclaim, gone)
                log.info("outbox_reclaimed", rows=count, senders=len(gone))
        except Exception:
            log.exception("outbox_reclaim_failed")

    async def _idle(self, seconds: float | None = None) -> None:
        try:
            async with asyncio.timeout(seconds or self.settings.poll_interval):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def drain(self, timeout: float = 30.0) -> None:
        """Send everything that may go now and wait for it (not while the background loop runs)."""
        async with asyncio.timeout(timeout):
            while True:
                if await self._claim_more():
                    continue
                if self._inflight:
                    await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if not await self._due_now():
                    return
                await asyncio.sleep(0.02)  # rows wait only for a chat's pace: real time must pass

    async def _due_now(self) -> int:
        return await self.db.run(
            claims.due_count,
            now=self.clock.now(),
            policy=self.policy,
            form_hold=timedelta(seconds=self.settings.form_hold),
        )

    async def _claim_more(self) -> int:
        """Claim rows while fewer than half a batch is in flight; start a task per row."""
        size = self.settings.claim_size
        if len(self._inflight) > size // 2:
            timeout = self.settings.poll_interval
            await asyncio.wait(self._inflight, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            return -1
        shift = self._shift
        claimed = await self.db.run(
            claims.claim_due,
            owner=self.owner,
            now=self.clock.now(),
            policy=self.policy,
            limit=size - len(self._inflight),
            lease=timedelta(seconds=self.settings.lease),
            form_hold=timedelta(seconds=self.settings.form_hold),
            pacing=self._pacing(),
        )
        for item in claimed:
            task = asyncio.create_task(self._deliver(item, shift), name=f"gridcare-send-{item.id}")
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(claimed)

    def _pacing(self) -> Pacing:
        interval = 1.0 / self.settings.per_second
        return Pacing(wall=self.wall(), interval=interval, chat_interval=self.settings.chat_interval)

    # -- one row ---------------------------------------------------------------------------------

    async def _deliver(self, item: Claimed, shift: float) -> None:
        slot = item.slot
        try:
            while True:
                if not await self._wait_for(slot, shift):
                    await self.db.run(delivery.release, [item.id], owner=self.owner)
                    return
                outcome = await self._attempt(item)
                answered = self.wall()  # the chat's next send keeps its interval from here
                count_send(outcome.verdict)
                if outcome.verdict is Verdict.flood and outcome.seconds <= self.settings.flood_wait_max:
                    slot, shift = await self._pause(item, outcome.seconds)
                    continue
                await self._record(item, outcome, answered)
                return
        except Exception:
            # The database failed us: the lease brings the row back (see the module docstring).
            log.exception("outbox_record_failed", outbox_id=item.id)

    async def _wait_for(self, slot: float, shift: float) -> bool:
        """Sleep until the slot, moved by any flood pause since it was given, has come; False if the
        sender is stopping. Moving every waiting slot keeps them spaced after a pause."""
        while True:
            delay = max(slot + self._shift - shift, self._paused_until) - self.wall()
            if self._stopping.is_set():
                return False
            if delay <= 0:
                return True
            try:
                async with asyncio.timeout(delay):
                    await self._stopping.wait()
            except TimeoutError:
                pass

    async def _attempt(self, item: Claimed) -> Outcome:
        if item.attempts > self.settings.max_attempts:  # senders died with it, again and again
            reason = f"claimed {item.attempts} times without an answer recorded"
            return Outcome(Verdict.rejected, reason)
        try:
            action = from_payload(item.chat_id, item.payload)
        except (KeyError, ValueError, TypeError) as exc:
            return Outcome(Verdict.rejected, f"bad payload: {exc}")
        await self._window.acquire()
        try:
            pause = self._paused_until - self.wall()
            if pause > 0:  # a 429 came back while this send was already past its slot
                await asyncio.sleep(pause)
            return await attempt(self.transport.call, action, timeout=self.settings.send_timeout)
        finally:
            self._window.release()

    async def _pause(self, item: Claimed, seconds: float) -> tuple[float, float]:
        """Honour a 429 here and, through the shared pace, in every sender; the row's new slot."""
        self._paused_until = max(self._paused_until, self.wall() + seconds)
        self._shift += seconds
        shift = self._shift
        log.info("outbox_flood_wait", outbox_id=item.id, seconds=seconds)
        slot = await self.db.run(
            delivery.hold_for_flood,
            item.id,
            item.chat_id,
            owner=self.owner,
            seconds=seconds,
            now=self.clock.now(),
            lease=timedelta(seconds=self.settings.lease),
            pacing=self._pacing(),
        )
        return slot, shift

    async def _record(self, item: Claimed, outcome: Outcome, answered: float) -> None:
        now, owner, verdict = self.clock.now(), self.owner, outcome.verdict
        if verdict is Verdict.delivered:
            done = await self.db.run(
                delivery.mark_sent,
                item.id,
                item.chat_id,
                owner=owner,
                message_id=outcome.message_id,
                now=now,
                chat_free_at=answered + self.settings.chat_interval,
            )
        elif verdict is Verdict.flood:  # a wait longer than we hold rows for: back to the queue
            later = now + timedelta(seconds=outcome.seconds)
            done = bool(await self.db.run(delivery.release, [item.id], owner=owner, available_at=later))
        elif verdict is Verdict.blocked:
            log.info("outbox_unreachable", outbox_id=item.id, chat_id=item.chat_id)
            DEAD_LETTERS.inc()
            done = await self.db.run(
                delivery.mark_unreachable, item.id, item.chat_id, owner=owner, error=outcome.reason, now=now
            )
        elif verdict is Verdict.rejected or item.attempts >= self.settings.max_attempts:
            reason = outcome.reason
            if verdict is Verdict.failed:
                reason = f"gave up after {item.attempts} attempts: {outcome.reason}"
            log.warning("outbox_dead", outbox_id=item.id, attempts=item.attempts, purpose=item.purpose)
            DEAD_LETTERS.inc()
            done = await self.db.run(delivery.mark_dead, item.id, owner=owner, error=reason, now=now)
        else:
            delay = min(self.settings.backoff * 2 ** (item.attempts - 1), self.settings.backoff_cap)
            at = now + timedelta(seconds=delay)
            done = await self.db.run(
                delivery.mark_retry, item.id, owner=owner, error=outcome.reason, now=now, at=at
            )
        if not done:
            log.warning("outbox_claim_lost", outbox_id=item.id)
