"""Pushing updates to a bot's webhook, in order, retrying answers that are not 2xx."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

import aiohttp

from bot.telegram_api.state import BotState, World

log = logging.getLogger(__name__)


@dataclass
class WebhookDelivery:
    """One delivery task per bot with a webhook; each update is tried `attempts` times, then dropped."""

    world: World
    attempts: int = 3
    retry_delay: float = 0.05
    request_timeout: float = 10.0
    _session: aiohttp.ClientSession | None = None
    _closed: bool = False
    _tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)

    def ensure(self, bot: BotState) -> None:
        """Start the delivery task of a bot whose webhook is set (no-op if running)."""
        task = self._tasks.get(bot.id)
        if bot.webhook is not None and not self._closed and (task is None or task.done()):
            self._tasks[bot.id] = asyncio.get_running_loop().create_task(self._run(bot))

    def reopen(self) -> None:
        """Allow delivery again after close() (a server started anew)."""
        self._closed = False

    async def close(self) -> None:
        """Stop every delivery task and the HTTP client."""
        self._closed = True
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self, bot: BotState) -> None:
        while bot.webhook is not None and not self._closed:
            if not bot.pending:
                await self.world.changed.wait_until(
                    lambda: bool(bot.pending) or bot.webhook is None or self._closed, 3600
                )
                continue
            update = bot.pending[0]
            delivered = await self._deliver(bot, update)
            if bot.pending and bot.pending[0] is update:
                bot.pending.pop(0)
            if not delivered:
                log.warning("webhook gave up on update %s of bot %s", update["update_id"], bot.id)
            self.world.changed.fire()

    async def _deliver(self, bot: BotState, update: dict[str, object]) -> bool:
        for attempt in range(self.attempts):
            webhook = bot.webhook
            if webhook is None:
                return False
            error = await self._post(webhook.url, webhook.secret_token, update)
            if error is None:
                bot.webhook_error = None
                return True
            bot.webhook_error = (int(self.world.now()), error)
            if attempt + 1 < self.attempts:
                await asyncio.sleep(self.retry_delay * 2**attempt)
        return False

    async def _post(self, url: str, secret: str | None, update: dict[str, object]) -> str | None:
        """POST one update; None on a 2xx answer, else the error text for getWebhookInfo."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.request_timeout))
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        try:
            async with self._session.post(url, data=json.dumps(update), headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"Connection error: {type(error).__name__}"
