"""The webhook server gives a client bounded time, size and company; /healthz says only "healthy".

The attack (issue 17.14): 800 connections trickling a header byte a second were all held for the
40 s the attacker kept them up, and /healthz named the transport. Clients here trickle faster, and
the server's time-outs are short, so that each test takes a second or two.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import Runtime, build_bot, make_transport
from bot.config import Settings
from bot.db import Database
from bot.webhook import SECRET_HEADER, WebhookLimits, WebhookServer, webhook_app
from models.crypto import KeyRing
from tests.factories import TEST_KEYS

SECRET = "s3cret-value"
LIMITS = WebhookLimits(header_timeout=1.0, body_timeout=1.0, max_connections=3)
TRICKLE = 0.2  # seconds between bytes: five times a second, the attacker's once a second sped up
SLACK = 1.0  # what the event loop and the machine may add to a time-out


@asynccontextmanager
async def _serving(database_url: str) -> AsyncIterator[WebhookServer]:
    """The bot's webhook app on a free port, within LIMITS, as `gridcare run --webhook` serves it."""
    settings = Settings(
        database_url=database_url,
        bot_token="123456:webhook-test-token",
        api_url="http://127.0.0.1:9",  # never called: these requests carry no update
        transport="aiogram",
        secret_key=TEST_KEYS,
    )
    runtime = Runtime(settings=settings, db=Database(database_url), keys=KeyRing.parse(TEST_KEYS))
    bot = build_bot(runtime, make_transport(settings), background=False)
    server = WebhookServer(webhook_app(bot, secret=SECRET, limits=LIMITS), LIMITS)
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.close()
        await bot.close()


@pytest.fixture
async def server(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[WebhookServer]:
    shutil.copy(sqlite_template, tmp_path / "gridcare.db")
    async with _serving(f"sqlite:///{tmp_path / 'gridcare.db'}") as server:
        yield server


async def _trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send one byte at a time until the server hangs up (or the data ends)."""
    for i in range(len(data)):
        try:
            writer.write(data[i : i + 1])
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(TRICKLE)


async def _held_for(server: WebhookServer, data: bytes, *, head: bytes = b"") -> tuple[float, bytes]:
    """Connect, send `head` at once and trickle `data`; how long until the server hung up, and
    what it answered. Fails if the server still holds the connection after the time-outs."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    started = time.monotonic()
    writer.write(head)
    trickling = asyncio.create_task(_trickle(writer, data))
    try:
        async with asyncio.timeout(LIMITS.header_timeout + LIMITS.body_timeout + 3 * SLACK):
            answer = await reader.read()  # b"" or the answer, then the end: the server hung up
    except ConnectionError:
        answer = b""
    finally:
        trickling.cancel()
        writer.close()
    return time.monotonic() - started, answer


def _post_head(length: int, *, secret: str = SECRET) -> bytes:
    return (
        f"POST /telegram HTTP/1.1\r\nHost: bot\r\n{SECRET_HEADER}: {secret}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


async def test_a_client_trickling_its_headers_is_disconnected_within_the_header_timeout(server):
    held, answer = await _held_for(server, _post_head(2) + b"{}")
    assert held < LIMITS.header_timeout + SLACK
    assert b"200" not in answer  # the request never got through


async def test_a_client_trickling_its_body_is_answered_408_within_the_body_timeout(server):
    body = json.dumps({"update_id": 1, "message": {"text": "x" * 200}}).encode()
    held, answer = await _held_for(server, body, head=_post_head(len(body)))
    assert held < LIMITS.body_timeout + LIMITS.linger + SLACK
    assert answer.startswith(b"HTTP/1.1 408")


async def test_an_oversized_body_is_refused_without_reading_it(server):
    too_big = LIMITS.max_body + 1
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(_post_head(too_big))  # the headers only: the answer must not wait for the body
    async with asyncio.timeout(SLACK):
        status = await reader.readline()
    writer.close()
    assert status.startswith(b"HTTP/1.1 413")


async def test_an_oversized_chunked_body_is_refused(server):
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMITS.max_body // len(chunk) + 1))
    head = _post_head(0).replace(b"Content-Length: 0", b"Transfer-Encoding: chunked")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(head + chunks)
    async with asyncio.timeout(LIMITS.body_timeout + SLACK):
        status = await reader.readline()
    writer.close()
    assert status.startswith(b"HTTP/1.1 413")


async def _get(port: int, path: str) -> tuple[bytes, bytes]:
    """A GET on a fresh connection: the head and the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n".encode())
    async with asyncio.timeout(5):
        answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


async def test_connections_beyond_the_cap_are_refused_until_one_closes(server):
    held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(LIMITS.max_connections)]
    head, _ = await _get(server.port, "/healthz")
    assert head.startswith(b"HTTP/1.1 503")
    _, writer = held.pop()
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(5):  # until the server has seen it go
        while len(server.runner.server.connections) >= LIMITS.max_connections:
            await asyncio.sleep(0.01)
    head, _ = await _get(server.port, "/healthz")
    for _, writer in held:
        writer.close()
    assert head.startswith(b"HTTP/1.1 200")


async def test_healthz_says_it_is_healthy_and_nothing_else(server):
    head, body = await _get(server.port, "/healthz")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body) == {"ok": True}
    assert b"aiohttp" not in head and b"Python" not in head


async def test_healthz_says_unhealthy_and_nothing_else_when_the_database_is_gone(tmp_path):
    async with _serving(f"sqlite:///{tmp_path / 'missing' / 'gridcare.db'}") as server:
        head, body = await _get(server.port, "/healthz")
    assert head.startswith(b"HTTP/1.1 503")
    assert json.loads(body) == {"ok": False}
