"""The sandbox's terminal: what the current persona sees, scripts and the interactive chat.

Every bot message in the persona's chat is shown once as it arrives (and again when edited):
answers to what the persona did, and messages pushed to them (reminders, the morning list,
relays, alerts, digests), marked `(pushed)`. Buttons are numbered; `#N` presses a button of the
newest shown message that has buttons. A script line `expect: WORDS` fails the run unless the
last message shown contains WORDS.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox import PERSONAS, Sandbox
from bot.telegram_api import ChatMessage

Emit = Callable[[str], None]
WATCH_SECONDS = 0.5  # how often the interactive chat looks for pushed messages


class ScriptError(Exception):
    """A script line that cannot be played, or an `expect:` the bot's answer does not meet."""


def render_message(message: ChatMessage, saved: Path | None = None) -> str:
    """A bot message as terminal text: its file (and where it was saved), buttons numbered #1, #2, …"""
    lines = [message.text or message.caption or ""]
    for kind in ("photo", "document", "voice"):
        stored = getattr(message, kind)
        if stored is not None:
            name = f" {stored.filename}" if kind == "document" and stored.filename else ""
            lines.append(f"[{kind}{name}" + (f", saved as {saved}]" if saved else "]"))
    if message.contact:
        lines.append(f"[contact {message.contact.get('first_name')} {message.contact.get('phone_number')}]")
    buttons = [label for label, data in message.buttons if data]
    if buttons:
        lines.append("  ".join(f"#{i} {label}" for i, label in enumerate(buttons, 1)))
    return "\n".join(line for line in lines if line)


def _speaker(message: ChatMessage, pushed: set[int]) -> str:
    """`bot`, marked `(pushed)` if the outbox sent it and `(edited)` if it changed since sent."""
    marks = [
        mark for mark, on in (("pushed", message.message_id in pushed), ("edited", message.edit_count)) if on
    ]
    return "bot" + (f" ({', '.join(marks)})" if marks else "")


@dataclass
class Terminal:
    """What has been shown of each persona's chat: message id → edit count, and the last text."""

    sandbox: Sandbox
    emit: Emit
    persona: str = "worker"
    shown: dict[str, dict[int, int]] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def show_new(self) -> None:
        """Show the current persona's messages that are new or edited since last shown."""
        async with self._lock:
            persona = self.persona
            shown = self.shown.setdefault(persona, {})
            fresh = [m for m in self.sandbox.transcript(persona) if shown.get(m.message_id) != m.edit_count]
            if not fresh:
                return
            pushed = await self.sandbox.pushed_ids(persona)
            for message in fresh:
                shown[message.message_id] = message.edit_count
                text = render_message(message, self.sandbox.save_file(persona, message))
                self.last[persona] = text
                self.emit(f"{_speaker(message, pushed)} < " + text.replace("\n", "\n      "))

    def visible_with_buttons(self) -> ChatMessage | None:
        """The newest message already shown to the persona that has buttons."""
        shown = self.shown.get(self.persona, {})
        for message in reversed(self.sandbox.transcript(self.persona)):
            if message.message_id in shown and any(data for _, data in message.buttons):
                return message
        return None

    async def switch(self, persona: str) -> None:
        if persona not in PERSONAS:
            raise ScriptError(f"unknown persona {persona!r}; choose from {', '.join(PERSONAS)}")
        self.persona = persona
        await self.show_new()  # what arrived while the terminal was someone else

    async def step(self, line: str) -> None:
        """Type a line or press `#N` as the current persona, then show what the persona now sees."""
        await self.show_new()  # pushes first: a button pressed is always one the terminal showed
        if line.startswith("#") and line[1:].isdigit():
            self.emit(f"{self.persona} presses {line}")
            message = self.visible_with_buttons()
            if message is None or not await self.sandbox.press(self.persona, message, int(line[1:])):
                raise ScriptError(f"no button {line} in the last message with buttons")
        else:
            self.emit(f"{self.persona} > {line}")
            await self.sandbox.say(self.persona, line)
        await self.sandbox.settle()
        await self.show_new()

    def expect(self, words: str) -> None:
        last = self.last.get(self.persona)
        if last is None:
            raise ScriptError(f"expected {words!r}, but the bot has shown the {self.persona} nothing")
        if words not in last:
            raise ScriptError(f"expected {words!r} in the bot's last message to the {self.persona}")


async def play(sandbox: Sandbox, lines: list[str], emit: Emit, *, source: str = "script") -> None:
    """Play a script: `as PERSONA`, `#N` presses a button, `expect: WORDS` checks the last message,
    `:app` prints the Mini App's address for the persona, `--` starts a comment; anything else is
    typed as the persona. ScriptError names the line."""
    terminal = Terminal(sandbox, emit)
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("--"):
            continue
        try:
            if line.startswith("as "):
                persona = line[3:].strip()
                if persona in PERSONAS:
                    emit(f"=== {persona}: {sandbox.personas[persona]}")
                await terminal.switch(persona)
            elif line == ":app":
                emit(f"Mini App for the {terminal.persona}: {sandbox.app_url(terminal.persona)}")
            elif line.startswith("expect:"):
                terminal.expect(line.removeprefix("expect:").strip())
            else:
                await terminal.step(line)
        except ScriptError as exc:
            raise ScriptError(f"{source}:{number}: {exc}") from None


async def interactive(sandbox: Sandbox, emit: Emit) -> None:
    """A terminal chat: type as the persona; `#N` presses a button, `:persona` switches, `:q` quits.
    Messages pushed to the persona appear as they arrive, while the terminal waits for input."""
    emit("Gridcare sandbox: a synthetic city, nothing real. Personas:")
    for name in PERSONAS:
        emit(f"  :{name:<10} {sandbox.personas[name]}")
    emit(f"Files the bot sends are saved in {sandbox.files_dir}/.")
    terminal = Terminal(sandbox, emit)
    emit(f"You are the {terminal.persona}. Try /help, /my, /note; `:app` opens the Mini App; `:q` quits.")
    await terminal.show_new()
    watcher = asyncio.create_task(_watch(terminal))
    loop = asyncio.get_running_loop()
    try:
        while True:
            raw = await loop.run_in_executor(None, sys.stdin.readline)
            line = raw.strip()
            if not raw or line == ":q":  # end of input, or quit
                return
            if not line:
                continue
            try:
                if line.startswith(":") and line[1:] in PERSONAS:
                    emit(f"You are now the {line[1:]}: {sandbox.personas[line[1:]]}")
                    await terminal.switch(line[1:])
                elif line == ":app":
                    emit(f"Mini App for the {terminal.persona} (a browser on this machine):")
                    emit(f"  {sandbox.app_url(terminal.persona)}")
                else:
                    await terminal.step(line)
            except ScriptError as exc:
                emit(f"({exc})")
    finally:
        watcher.cancel()


async def _watch(terminal: Terminal) -> None:
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        await terminal.show_new()
