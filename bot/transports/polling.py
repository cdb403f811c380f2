"""Long polling that acknowledges an update only once its handling has ended.

Telegram forgets every update below the `offset` of the next getUpdates. The frameworks' own
pollers (aiogram's Dispatcher, PTB's Updater) ask for the next batch with the offset past all they
received while that batch is still being handled, so an update in hand when the process dies was
acknowledged already and is lost: no record, no answer (issue 17.3). Here the offset never passes
an update still being handled; it stays at the oldest one in hand, and what Telegram sends again
meanwhile (the updates in hand and those already handled after them) is skipped. A process killed
mid-update gets that update again at its next start, and the core ignores an update id it has
already committed (models/services/updates.py): Telegram's redelivery saves it once, as with
webhooks. The poller knows no framework: each transport gives it `fetch` and `handle`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import structlog

T = TypeVar("T")
# fetch(offset, timeout): getUpdates, the updates as (update_id, the framework's update object)
Fetch = Callable[[int | None, float], Awaitable[Sequence[tuple[int, Any]]]]
Handle = Callable[[Any], Awaitable[Any]]

log = structlog.get_logger("gridcare.polling")


class Poller:
    """getUpdates in a loop; each update handled in a task of its own (the core keeps chats in order).

    recheck: while Telegram answers only with updates in hand (the offset waits for the oldest),
    how long to wait for one to end before asking again, for new updates behind them.
    grace: at stop, how long updates in hand may take to finish.
    """

    def __init__(
        self,
        fetch: Fetch,
        handle: Handle,
        *,
        timeout: float,
        recheck: float = 0.5,
        backoff_cap: float = 30.0,
        grace: float = 30.0,
    ) -> None:
        self._fetch = fetch
        self._handle = handle
        self.timeout = timeout
        self.recheck = recheck
        self.backoff_cap = backoff_cap
        self.grace = grace
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        self._handled: set[int] = set()  # handled after the oldest in hand: not acknowledged yet
        self._next: int | None = None  # one past the newest update seen
        self._progress = asyncio.Event()

    def offset(self) -> int | None:
        """The next getUpdates' offset: it acknowledges only updates whose handling has ended."""
        if self._in_hand:
            return min(self._in_hand)
        return self._next

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then let the updates in hand finish and acknowledge them."""
        failures = 0
        try:
            while not stop.is_set():
                offset = self.offset()
                self._progress.clear()  # an update ending during the fetch makes the next one at once
                try:
                    batch = await _unless(stop, self._fetch(offset, self.timeout))
                except Exception as exc:  # Telegram or the network: keep polling, slower
                    failures += 1
                    delay = min(self.backoff_cap, 0.5 * 2 ** min(failures, 10))
                    # The error's type only: a framework's message may quote an update's content.
                    log.warning("polling_failed", error=type(exc).__name__, retry_in=delay)
                    await _unless(stop, asyncio.sleep(delay))
                    continue
                if batch is None:
                    break
                failures = 0
                self._acknowledged(offset)
                if self._start(batch) == 0 and self._in_hand:
                    # Only updates in hand came back: wait for one to end, or a moment for new ones.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.recheck):
                            await _unless(stop, self._progress.wait())
        finally:
            await self._finish()

    def _acknowledged(self, offset: int | None) -> None:
        if offset is not None:
            self._handled = {update_id for update_id in self._handled if update_id >= offset}

    def _start(self, batch: Sequence[tuple[int, Any]]) -> int:
        """Start a task per update not seen yet; how many were started."""
        started = 0
        for update_id, update in batch:
            if update_id in self._in_hand or update_id in self._handled:
                continue  # sent again because an older one is still in hand
            if self._next is None or update_id >= self._next:
                self._next = update_id + 1
            name = f"gridcare-update-{update_id}"
            self._in_hand[update_id] = asyncio.create_task(self._handle_one(update_id, update), name=name)
            started += 1
        return started

    async def _handle_one(self, update_id: int, update: Any) -> None:
        try:
            await self._handle(update)
        except Exception as exc:
            # The core answers its own failures; this is the framework failing around it. The update
            # is acknowledged all the same: asking for it again would fail again, forever.
            log.error("update_not_handled", update_id=update_id, error=type(exc).__name__)
        # Not in a finally: an update cancelled at stop is not handled, and stays unacknowledged.
        del self._in_hand[update_id]
        self._handled.add(update_id)
        self._progress.set()

    async def _finish(self) -> None:
        """Let the updates in hand end (within `grace`), then acknowledge what was handled."""
        if self._in_hand:
            _, late = await asyncio.wait(self._in_hand.values(), timeout=self.grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            for update_id in [i for i, task in self._in_hand.items() if task.done()]:
                del self._in_hand[update_id]  # cancelled: Telegram sends it again at the next start
                self._next = min(self._next or update_id, update_id)
        if self._next is not None and self._handled:
            with contextlib.suppress(Exception):  # best effort: the core would skip them anyway
                await asyncio.wait_for(self._fetch(self._next, 0), 5)


async def _unless(stop: asyncio.Event, work: Coroutine[Any, Any, T] | Awaitable[T]) -> T | None:
    """`work`'s result, or None if `stop` is set first (the work is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        return None
    return task.result()
