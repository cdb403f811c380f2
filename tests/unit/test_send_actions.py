"""What one attempt at an action came to: judged in one place for the replies and the sender."""

from __future__ import annotations

import asyncio

import pytest

from bot.send_actions import Outcome, Verdict, attempt
from handlers.events import Action, BadRequest, Edit, RetryLater, Send, Sent, Transient, Unreachable

EDIT = Edit(5, 41, "1 due ✓")


def answering(*answers: Exception | Sent):
    """A transport call that gives these answers in turn (raising the errors); records its actions."""
    calls: list[Action] = []
    queue = list(answers)

    async def call(action: Action) -> Sent:
        calls.append(action)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    call.calls = calls  # type: ignore[attr-defined]
    return call


@pytest.mark.parametrize(
    "error, outcome",
    [
        (RetryLater(3.0), Outcome(Verdict.flood, "429", seconds=3.0)),
        (RetryLater(0), Outcome(Verdict.flood, "429", seconds=0.1)),
        (
            Unreachable("Forbidden: bot was blocked by the user"),
            Outcome(Verdict.blocked, "Forbidden: bot was blocked by the user"),
        ),
        (
            BadRequest("Bad Request: message is too long"),
            Outcome(Verdict.rejected, "Bad Request: message is too long"),
        ),
        (Transient("Bad Gateway"), Outcome(Verdict.failed, "Bad Gateway")),
        (RuntimeError("a transport's own bug"), Outcome(Verdict.failed, "RuntimeError")),
    ],
    ids=["flood", "flood-now", "blocked", "rejected", "failed", "unexpected"],
)
async def test_each_answer_of_telegram_is_judged_once_for_every_caller(error, outcome):
    assert await attempt(answering(error), Send(5, "hi"), timeout=1) == outcome


async def test_a_sent_message_is_delivered_with_its_id():
    outcome = await attempt(answering(Sent(77)), Send(5, "hi"), timeout=1)
    assert outcome == Outcome(Verdict.delivered, message_id=77) and outcome.settled


async def test_an_edit_that_changes_nothing_counts_as_delivered():
    not_modified = BadRequest("Bad Request: message is not modified: specified new message content")
    assert await attempt(answering(not_modified), EDIT, timeout=1) == Outcome(
        Verdict.delivered, message_id=41
    )


async def test_an_edit_whose_message_is_gone_is_sent_as_a_new_message():
    call = answering(BadRequest("Bad Request: message to edit not found"), Sent(78))
    assert await attempt(call, EDIT, timeout=1) == Outcome(Verdict.delivered, message_id=78)
    assert call.calls == [EDIT, Send(5, "1 due ✓")]


async def test_a_call_without_an_answer_in_time_failed_and_says_so():
    async def hangs(action: Action) -> Sent:
        await asyncio.sleep(5)
        return Sent()

    assert await attempt(hangs, Send(5, "hi"), timeout=0.05) == Outcome(
        Verdict.failed, "time-out after 0.05 s"
    )


def test_only_failures_and_floods_are_tried_again():
    assert [v for v in Verdict if not Outcome(v).settled] == [Verdict.flood, Verdict.failed]
