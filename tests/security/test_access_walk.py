"""The access walk: every role × every command × every button kind the router knows, against the matrix.

Nothing is hand-listed: commands and button kinds come from the router object (handlers.setup),
the roles from models.access.Principal, the button data from what the bot really offered in a
scenario (tests.security.scenario) run in two identical worlds, T and U. A new command or button
kind is walked automatically; a button kind the scenario never produces fails the coverage check
until the scenario makes it (or it is shown to carry no id).

Cases at the time of writing (each test prints its count; run with -s to see them):
- the gate: 11 roles (every principal, plus a supervisor of another area) × (25 commands +
  23 button kinds) = 528 cases, each checked allowed/refused against models.access.MATRIX;
- forging: 10 callers × 20 kinds of button data that name someone (one datum per shape), each
  pressed with the other world's ids and with ids that exist nowhere = 400 presses; and the 132
  commands the router lets those callers use, typed with another world's code and with a code
  that exists nowhere = 264 commands. Both answers must be the same refusal, audited, changing
  nothing;
- replaying: 183 button data (every shape, by every role the router lets through; form buttons by
  everyone) pressed twice = 366 presses: a refused id answers like an id that does not exist,
  and a second press saves nothing again.

One database per backend; the whole module runs in well under a minute on each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from handlers.context import Ctx
from handlers.events import Action as Out
from handlers.events import AnswerCallback
from handlers.render import LOCALES, Renderer
from handlers.router import Route, Router
from handlers.setup import build_router
from models.access import Principal, scope_of
from models.audit import AuditEntry
from models.clock import FrozenClock
from tests.security.scenario import run_scenario
from tests.security.world import BOOKKEEPING, PRINCIPAL, UNLINKED, World, build_world, make_core, snapshot
from tests.support.chat import CoreChat

RENDER = Renderer(ZoneInfo("Asia/Shanghai"))
NOT_ALLOWED = RENDER.render("zh_CN", "errors/not_allowed")
UNLINKED_TEXT = RENDER.render("zh_CN", "onboarding/unlinked")
INTERNAL = {RENDER.render(locale, "errors/internal") for locale in LOCALES}
# In either language: the walk presses the language buttons too.
REFUSALS = {
    RENDER.render(locale, name) for locale in LOCALES for name in ("errors/not_allowed", "dialog/stale")
}
STALE = {RENDER.render(locale, "dialog/stale") for locale in LOCALES}
NOBODY = "999999999"  # an id that exists nowhere (parse_id takes up to 18 digits)
NEEDS_MANY = {"my", "td"}  # a page of one's own list: the scenario's caseloads and /today fit on one page


def spy(router: Router) -> list[str]:
    """Wrap every command and button handler to note that the router let the update through."""
    ran: list[str] = []

    def wrap(name: str, handler: Callable[..., None]) -> Callable[..., None]:
        def noted(ctx: Ctx, *arg: Any) -> None:
            ran.append(name)
            handler(ctx, *arg)

        return noted

    for name, route in router.commands.items():
        router.commands[name] = Route(route.action, wrap(name, route.handler), route.menu)
    for name, button in router.buttons.items():  # past the gate: to the handler, or answered as junk
        router.buttons[name] = replace(
            button, handler=wrap(name, button.handler), junk=wrap(name, button.junk)
        )
    return ran


def answer(actions: list[Out], *hide: str) -> list[tuple]:
    """What the user sees, comparable across presses: texts (with `hide` masked) and toasts."""
    seen: list[tuple] = []
    for action in actions:
        if isinstance(action, AnswerCallback):
            seen.append(("toast", action.text, action.alert))
            continue
        text = getattr(action, "text", None) or getattr(action, "caption", None) or ""
        for word in hide:
            text = text.replace(word, "<arg>")
        seen.append((type(action).__name__, text))
    return seen


def refused(db) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "refused"))


def nobody(mine: str, theirs: str) -> str:
    """`mine` with every id that differs from the other world's replaced by one that exists nowhere."""
    return ":".join(NOBODY if a != b else a for a, b in zip(mine.split(":"), theirs.split(":"), strict=True))


def shape(mine: str, theirs: str) -> tuple:
    """A button datum's kind, arity and which of its fields are ids (and a form button's answer)."""
    fields = mine.split(":")
    ids = tuple(i for i, (a, b) in enumerate(zip(fields, theirs.split(":"), strict=True)) if a != b)
    return fields[0], len(fields), ids, fields[-1] if fields[0] == "d" and not fields[-1].isdigit() else ""


def representatives(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One datum per shape: `why:` for seven obligations is one case, not seven."""
    return list({shape(a, b): (a, b) for a, b in reversed(pairs)}.values())[::-1]


def passes(router: Router, principal: Principal, data: str) -> bool:
    """Whether the router lets this principal's press of this button datum reach its handler."""
    route = router.buttons.get(data.split(":")[0])
    return route is not None and scope_of(principal, route.action) is not None


def roles(t: World, u: World) -> dict[str, tuple[int, Principal]]:
    """One account per principal, and a supervisor of another area: name → (account, principal)."""
    accounts = {name: (account, PRINCIPAL[name]) for name, account in t.accounts.items()}
    accounts["unlinked"] = (UNLINKED, Principal.unlinked)
    accounts["supervisor_elsewhere"] = (u.accounts["supervisor"], Principal.supervisor)
    del accounts["colleague"]  # a grid worker again: the gate sees principals
    assert {p for _, p in accounts.values()} == set(Principal), "every principal is walked"
    return accounts


async def _worlds(db, keys, now) -> tuple[World, World]:
    return build_world(db, keys, now, "T", 610_000), build_world(db, keys, now, "U", 620_000)


async def test_every_role_meets_the_matrix_on_every_command_and_button_kind(db, keys, now):
    t, u = await _worlds(db, keys, now)
    router = build_router()
    ran = spy(router)
    core = make_core(db, FrozenClock(now), router)
    cases = 0
    for name, (account, principal) in roles(t, u).items():
        chat = CoreChat(core, account)
        refusal = UNLINKED_TEXT if principal is Principal.unlinked else NOT_ALLOWED
        for command, route in router.commands.items():
            ran.clear()
            await chat.say(command)
            allowed = scope_of(principal, route.action) is not None
            assert ran == ([command] if allowed else []), (name, command)
            if not allowed:
                assert chat.texts() == [refusal], (name, command)
            assert not INTERNAL & set(chat.texts()), (name, command)
            cases += 1
        for prefix, route in router.buttons.items():
            ran.clear()
            await chat.press(f"{prefix}:")
            allowed = scope_of(principal, route.action) is not None
            assert ran == ([prefix] if allowed else []), (name, prefix)
            if not allowed:
                assert (chat.toast(), chat.texts()) == (NOT_ALLOWED, []), (name, prefix)
            assert not INTERNAL & set(chat.texts()), (name, prefix)
            cases += 1
        await chat.say("/cancel")
    print(f"access walk, the gate: {cases} cases")
    assert cases == len(roles(t, u)) * (len(router.commands) + len(router.buttons)) >= 11 * 47


async def _scenario(db, keys, now) -> tuple[World, World, list[tuple[str, str]], CoreChat]:
    t, u = await _worlds(db, keys, now)
    core = make_core(db, FrozenClock(now))
    mine, theirs = await run_scenario(db, core, t), await run_scenario(db, core, u)
    assert len(mine) == len(theirs) and [d.split(":")[0] for d in mine] == [d.split(":")[0] for d in theirs]
    return t, u, list(zip(mine, theirs, strict=True)), core


async def test_forged_button_data_naming_another_world_is_refused_like_an_id_that_does_not_exist(
    db, keys, now
):
    t, _, pairs, core = await _scenario(db, keys, now)
    router = build_router()
    named = representatives([(a, b) for a, b in pairs if a != b and not a.startswith("d:")])
    offered = {a.split(":")[0] for a, _ in pairs}
    assert set(router.buttons) - NEEDS_MANY <= offered, "the scenario offers every button kind"
    before = snapshot(db)
    presses = 0
    for name, account in t.accounts.items():
        chat = CoreChat(core, account)
        for mine, theirs in named:
            seen = []
            for forged in (theirs, nobody(mine, theirs)):
                audited = refused(db)
                await chat.press(forged)
                seen.append(answer(chat.last))
                assert chat.toast() in REFUSALS or set(chat.texts()) <= REFUSALS, (name, forged)
                # by the handler (the person or record it names), or by the router (the role)
                assert refused(db) > audited, ("refusal not audited", name, forged)
                presses += 1
            assert seen[0] == seen[1], ("the answer tells an id that exists", name, mine)
    assert snapshot(db) == before, "a refused press changed a record"
    print(f"access walk, forged buttons: {presses} presses")
    assert presses == len(t.accounts) * len(named) * 2


async def test_typed_codes_outside_the_scope_are_answered_like_codes_that_do_not_exist(db, keys, now):
    t, u, _, core = await _scenario(db, keys, now)
    router = build_router()
    before = snapshot(db, skip=BOOKKEEPING | {"conversations"})  # a command may open its form
    cases = 0
    foreign, unknown = u.code("P1"), "X-NOBODY"
    for name, account in t.accounts.items():
        chat = CoreChat(core, account)
        for command, route in router.commands.items():
            if scope_of(PRINCIPAL[name], route.action) is None:
                continue  # refused before the argument is read: the gate walk proves it
            seen = []
            for arg in (foreign, unknown):
                await chat.say(f"{command} {arg}")
                seen.append(answer(chat.last, arg))
                assert not INTERNAL & set(chat.texts()), (name, command)
                cases += 1
            assert seen[0] == seen[1], ("a typed code tells that the person exists", name, command)
            await chat.say("/cancel")
    assert snapshot(db, skip=BOOKKEEPING | {"conversations"}) == before
    print(f"access walk, typed codes: {cases} commands")
    allowed = sum(
        scope_of(PRINCIPAL[n], r.action) is not None for n in t.accounts for r in router.commands.values()
    )
    assert cases == allowed * 2


# Rows a second press may add on purpose: a new invite (with its family member) is a new invite,
# and a form started again is the same form anew.
REPEATABLE = BOOKKEEPING | {"conversations", "invites", "family_members"}


async def test_replayed_button_data_reveals_nothing_and_saves_nothing_twice(db, keys, now):
    t, _, pairs, core = await _scenario(db, keys, now)
    router = build_router()
    callers = {**t.accounts, "unlinked": UNLINKED}
    cases = [
        (name, mine, theirs)
        for name in callers
        for mine, theirs in representatives(pairs)
        # A kind the router refuses this role is refused whatever the data (the gate walk above);
        # a form's button is tried by everyone: it must be stale in any other chat.
        if mine.startswith("d:") or (name != "unlinked" and passes(router, PRINCIPAL[name], mine))
    ]
    for name, mine, theirs in cases:
        chat = CoreChat(core, callers[name])
        await chat.press(mine)
        first = chat.texts()
        after_first = snapshot(db, skip=REPEATABLE)
        await chat.press(mine)
        again = answer(chat.last)
        assert not INTERNAL & set(first + chat.texts()), (name, mine)
        assert snapshot(db, skip=REPEATABLE) == after_first, ("a replay saved again", name, mine)
        if mine != theirs and (chat.toast() in REFUSALS or (chat.texts() and set(chat.texts()) <= REFUSALS)):
            await chat.press(nobody(mine, theirs))
            assert again == answer(chat.last), ("a refused replay tells the id exists", name, mine)
        if mine.startswith("d:"):  # a form of someone else's, or one already closed
            assert chat.toast() in STALE, (name, mine)
    print(f"access walk, replayed buttons: {len(cases)} data pressed twice")
    assert len(cases) >= len(representatives(pairs))
