"""The benchmark's grid workers: linked accounts, and what each one types and taps, as Telegram JSON.

Each user repeats one cycle (a mix) of updates:
- `bench`, eight updates, the everyday mix: the caseload view (/my), a case note (/note, choose the
  person by button, type the text, press save), /whoami, and /lang with its button;
- `visit`, seven updates, the day's round (issue 15): /my, a person's card (the card buttons of /my
  taken in turn), the card's routine visit, skip the note, skip the photo, save, and /today.
Buttons are taken from the keyboard the bot last showed in that chat (the Recorder), so a
dialog's nonce and step are real and a stale or missing button fails the run loudly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import NOW
from bench.recorder import BOT_ID, Recorder
from models.audit import Actor
from models.chat import ProcessedUpdate
from models.people import CareAssignment, CaseRole, Role, Worker
from models.records import Record, RecordKind
from models.services.directory.invites import invite_worker, redeem

FIRST_USER_ID = 7_100_000_000
NOTE_TEXT = "本周入户走访，情况稳定，按时参加尿检。"
DATE = int(NOW.timestamp())
CYCLE = ("/my", "/note", "person", "text", "save", "/whoami", "/lang", "lang")
VISIT_CYCLE = ("/my", "card", "routine", "skip", "skip", "save", "/today")
MIXES = {"bench": CYCLE, "visit": VISIT_CYCLE}
FILES = {"bench": RecordKind.note, "visit": RecordKind.visit}  # what a save press of each mix files
_PERSON = re.compile(r"^d:\d+:0:\d+$")
_CARD = re.compile(r"^p:\d+$")
_SKIP = re.compile(r"^d:\d+:\d+:s$")
_BUTTONS: dict[str, Callable[[str], bool]] = {
    "person": lambda data: bool(_PERSON.match(data)),
    "card": lambda data: bool(_CARD.match(data)),
    "routine": lambda data: data.startswith("r:routine:"),
    "skip": lambda data: bool(_SKIP.match(data)),
    "save": lambda data: data.endswith(":c:ok"),
    "lang": lambda data: data == "lang:zh_CN",
}


class ScriptError(AssertionError):
    """The bot did not answer as the script expects (a feature changed, or an update failed)."""


def link_workers(session: Session, n: int) -> list[int]:
    """Link `n` grid workers who have a caseload to Telegram accounts, through invites; their user ids."""
    codes = session.scalars(
        select(Worker.code)
        .where(
            Worker.role == Role.grid_worker,
            Worker.active.is_(True),
            Worker.telegram_user_id.is_(None),
            Worker.id.in_(
                select(CareAssignment.worker_id).where(CareAssignment.case_role == CaseRole.responsible)
            ),
        )
        .order_by(Worker.id)
        .limit(n)
    ).all()
    if len(codes) < n:
        raise ValueError(f"only {len(codes)} grid workers with a caseload to link, {n} wanted")
    taken = session.scalar(
        select(func.max(Worker.telegram_user_id)).where(Worker.telegram_user_id >= FIRST_USER_ID)
    )
    first = (taken or FIRST_USER_ID - 1) + 1  # accounts an earlier run linked stay theirs
    user_ids = []
    for i, code in enumerate(codes):
        made = invite_worker(session, code, actor=Actor.cli(), now=NOW)
        redeem(session, made.code, first + i, now=NOW)
        user_ids.append(first + i)
    return user_ids


def first_free_update_id(session: Session) -> int:
    """Update ids after those this bot already handled here (a handled id would be ignored as a repeat)."""
    done = session.scalar(select(func.max(ProcessedUpdate.update_id)).where(ProcessedUpdate.bot_id == BOT_ID))
    return (done or 0) + 1


def records_filed(session: Session, kind: RecordKind = RecordKind.note) -> int:
    """Records of `kind` the database holds (a run checks that every save press filed one)."""
    return session.scalar(select(func.count()).select_from(Record).where(Record.kind == kind)) or 0


def _from(user_id: int) -> dict[str, object]:
    return {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "zh-hans"}


def _chat(user_id: int) -> dict[str, object]:
    return {"id": user_id, "type": "private", "first_name": "Bench"}


def message_update(update_id: int, user_id: int, message_id: int, text: str) -> bytes:
    message: dict[str, object] = {
        "message_id": message_id,
        "date": DATE,
        "chat": _chat(user_id),
        "from": _from(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return json.dumps({"update_id": update_id, "message": message}, ensure_ascii=False).encode()


def callback_update(update_id: int, user_id: int, message_id: int, data: str) -> bytes:
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Gridcare"}
    query = {
        "id": str(update_id),
        "from": _from(user_id),
        "chat_instance": str(user_id),
        "data": data,
        "message": {"message_id": message_id, "date": DATE, "chat": _chat(user_id), "from": bot, "text": "…"},
    }
    return json.dumps({"update_id": update_id, "callback_query": query}, ensure_ascii=False).encode()


@dataclass
class BenchUser:
    """One linked grid worker working through the cycle; remembers where they are across runs."""

    user_id: int
    cycle: tuple[str, ...] = CYCLE
    position: int = 0
    saves: int = 0
    sent: list[bytes] = field(default_factory=list)  # this run's updates, for the framework floor

    def next_update(self, update_ids: count[int], recorder: Recorder) -> tuple[str, bytes]:
        """The next update of the cycle as Telegram's JSON bytes, and the step's name."""
        step = self.cycle[self.position % len(self.cycle)]
        self.position += 1
        self.saves += step == "save"
        if step in _BUTTONS:
            message_id, data = self._button(step, recorder)
            raw = callback_update(next(update_ids), self.user_id, message_id, data)
        else:
            text = NOTE_TEXT if step == "text" else step
            raw = message_update(next(update_ids), self.user_id, recorder.message_id(), text)
        self.sent.append(raw)
        return step, raw

    def _button(self, step: str, recorder: Recorder) -> tuple[int, str]:
        shown = recorder.keyboards.get(self.user_id)
        if shown is not None:
            message_id, rows = shown
            found = [button.data for row in rows for button in row if _BUTTONS[step](button.data)]
            if found:
                # The cards of /my are opened in turn (each round visits the next person); of any
                # other kind, the first.
                turn = self.position // len(self.cycle) if step == "card" else 0
                return message_id, found[turn % len(found)]
        raise ScriptError(f"user {self.user_id}: no {step!r} button in the last keyboard {shown!r}")
