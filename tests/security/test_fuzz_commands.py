"""Hostile arguments to every command, for every role: always a clear answer, never the apology.

Reported (issue 17.9): `/digest 99999999999999999999-1-1` raised OverflowError and the supervisor
got `errors/internal`; `/visit a<NUL>b` did the same on PostgreSQL, which refuses NUL in a string.
Arguments are parsed by handlers.arguments now. Commands and roles are read from the router and
models.access, like the access walk, so a new command is fuzzed without editing this file:

- the parsers themselves take arbitrary text and never raise (no database: thousands of examples);
- a fixed corpus of arguments known to break parsers (numbers past every range, dates of year 0,
  1 and 10000, fullwidth and Arabic-Indic digits, NUL, control and bidi characters, 5,000
  characters, SQL and HTML) goes to every command, each argument typed by the next role allowed
  the command, so every role types some of them into every command it may use;
- hypothesis then draws (role, command, argument), arguments both arbitrary text and date- and
  period-shaped text with numbers of any size, deterministically (GRIDCARE_FUZZ_RANDOM=1 explores).

The property, for every command typed: it is answered; no answer is `errors/internal` (an
exception reached the core); every answer is one Telegram accepts.
"""

from __future__ import annotations

import asyncio
import os
from datetime import date
from itertools import cycle
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram_api.errors import ApiError
from handlers import arguments
from handlers.render import LOCALES, Renderer
from handlers.setup import build_router
from models.access import Principal, scope_of
from models.clock import FrozenClock
from tests.security.test_fuzz_dialogs import telegram_accepts
from tests.security.world import PRINCIPAL, UNLINKED, build_world, make_core
from tests.support.chat import CoreChat

EXAMPLES = int(os.environ.get("GRIDCARE_FUZZ_EXAMPLES", "60")) * 4  # 240 commands on SQLite
POSTGRES_EXAMPLES = max(EXAMPLES // 4, 5)
RANDOM = bool(os.environ.get("GRIDCARE_FUZZ_RANDOM"))
RENDER = Renderer(ZoneInfo("Asia/Shanghai"))
INTERNAL = {RENDER.render(locale, "errors/internal") for locale in LOCALES}
TODAY = date(2026, 3, 4)

HOSTILE = (
    "99999999999999999999-1-1",  # the reported one
    "1-99999999999999999999",
    "2026-99999999999999999999-1",
    "9999999999年99月",
    "99999999999999999999",
    "0-0-0",
    "0001-01-01",
    "10000-1-1",
    "9999-12",
    "-1",
    "2026-3-4-5",
    "20261399",
    "00000000",
    "202600",
    "１２３-１-１",  # fullwidth digits: str.isdigit says yes, int() takes them
    "٢٠٢٦-٣-٤",  # Arabic-Indic digits
    "²³-1-1",  # superscripts: isdigit() says yes, int() refuses
    "1_000-1-1",
    "week 99999999999999999999",
    "month a\x00b",
    "w T-G1 extra",
    "P-" + "9" * 40,
    "\x00",
    "a\x00b",
    "\u202eP1-T",
    "\ufeff2026-03-04",
    "\x1b[31m",
    "'; DROP TABLE persons; --",
    "<b>&amp;",
    "x" * 5000,
    "9" * 5000,
    "𝔘𝔫𝔦",
)

_number = st.one_of(st.integers(-(10**25), 10**25), st.integers(0, 40)).map(str)
_separator = st.sampled_from(("-", "/", ".", "年", "月", "日", " ", ""))
dates = st.lists(st.tuples(_number, _separator), min_size=1, max_size=4).map(
    lambda parts: "".join(n + s for n, s in parts)
)
period_words = st.tuples(
    st.sampled_from(("week", "month", "w", "m", "周报", "月报", "day", "")), st.text(max_size=30)
).map(" ".join)
ARGUMENTS = st.one_of(st.text(max_size=60), dates, period_words, st.sampled_from(HOSTILE))


@settings(max_examples=3000, derandomize=not RANDOM, database=None, deadline=None)
@given(text=st.one_of(st.text(), dates, period_words))
def test_argument_parsers_take_any_text_without_raising(text):
    day = arguments.parse_day(text, TODAY)
    assert day is None or date(arguments.MIN_YEAR, 1, 1) <= day <= TODAY
    month = arguments.parse_month(text, TODAY)
    assert month is None or month[0] <= month[1] <= TODAY
    term = arguments.term(text)
    assert len(term) <= arguments.TERM_MAX and all(ch.isprintable() for ch in term)
    number = arguments.number(text)
    assert number is None or 0 <= number < 10**9


def test_the_reported_overflow_is_a_bad_date():
    assert arguments.parse_day("99999999999999999999-1-1", TODAY) is None
    assert arguments.parse_month("9999999999年99月", TODAY) is None
    assert arguments.parse_day("2026-3-3", TODAY) == date(2026, 3, 3)


def _accounts(db, keys, now):
    world = build_world(db, keys, now, "T", 610_000)
    accounts = {name: (account, PRINCIPAL[name]) for name, account in world.accounts.items()}
    accounts["unlinked"] = (UNLINKED, Principal.unlinked)
    return make_core(db, FrozenClock(now)), accounts


def _allowed(accounts, route) -> list[str]:
    return [
        name for name, (_, principal) in accounts.items() if scope_of(principal, route.action) is not None
    ]


async def _type(core, accounts, name: str, command: str, arg: str) -> None:
    chat = CoreChat(core, accounts[name][0])
    await chat.say(f"{command} {arg}")
    where = (name, command, arg[:60])
    assert chat.last, ("no answer", where)
    for action in chat.last:
        assert not INTERNAL & {getattr(action, "text", None)}, ("an exception reached the core", where)
        try:
            telegram_accepts(action)
        except ApiError as refused:
            raise AssertionError(f"Telegram would refuse {action!r}: {refused} {where!r}") from None
    if any(b.data.startswith("d:") for a in chat.last for row in getattr(a, "buttons", ()) for b in row):
        await chat.say("/cancel")  # the command opened a form: close it for the next one


def test_known_hostile_arguments_get_a_clear_answer_from_every_command(db, keys, now):
    core, accounts = _accounts(db, keys, now)
    router = build_router()
    loop = asyncio.new_event_loop()
    cases = set()

    async def walk() -> None:
        for command, route in router.commands.items():
            roles = cycle(_allowed(accounts, route))
            for arg in HOSTILE:
                name = next(roles)
                await _type(core, accounts, name, command, arg)
                cases.add((name, command))

    try:
        loop.run_until_complete(walk())
    finally:
        loop.close()
    every = {
        (name, command) for command, route in router.commands.items() for name in _allowed(accounts, route)
    }
    assert cases == every, "every role typed hostile arguments into every command it may use"
    print(f"command fuzz, hostile corpus: {len(router.commands) * len(HOSTILE)} commands, {len(cases)} pairs")


def test_arbitrary_arguments_get_a_clear_answer_from_every_command(db, keys, now):
    core, accounts = _accounts(db, keys, now)
    router = build_router()
    pairs = [
        (name, command) for command, route in router.commands.items() for name in _allowed(accounts, route)
    ]
    loop = asyncio.new_event_loop()
    typed = []

    @settings(
        max_examples=EXAMPLES if db.is_sqlite else POSTGRES_EXAMPLES,
        derandomize=not RANDOM,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(pair=st.sampled_from(pairs), arg=ARGUMENTS)
    def fuzz(pair, arg) -> None:  # type: ignore[no-untyped-def]
        loop.run_until_complete(_type(core, accounts, *pair, arg))
        typed.append(pair)

    try:
        fuzz()
    finally:
        loop.close()
    print(f"command fuzz, arbitrary: {len(typed)} commands over {len(set(typed))} of {len(pairs)} pairs")
