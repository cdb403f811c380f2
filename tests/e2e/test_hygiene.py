"""/forget end to end, on both transports: real clients, HTTP, the local Bot API server."""

from __future__ import annotations

import pytest

from models.audit import Actor
from models.clock import FrozenClock
from models.services.directory.invites import invite_worker
from tests.e2e.harness import TRANSPORTS, User, local_api, start_bot
from tests.factories import make_person, make_tree, make_worker

pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def test_forget_clears_the_bots_messages_and_keeps_the_users(db, db_url, keys, now, transport):
    with db.unit_of_work() as s:
        tree = make_tree(s)
        make_person(s, tree["G1"], keys=keys, now=now, worker=make_worker(s, tree["G1"], code="W-1"))
    code = db.call(invite_worker, "W-1", actor=Actor.cli(), now=now).code
    async with local_api() as api:
        running = await start_bot(db_url, api, transport, FrozenClock(now))
        try:
            worker = User(api, running, 11)
            await worker.say(f"/start {code}")
            await worker.say("/whoami")
            await worker.say("/my")
            await worker.say("/help")
            before = api.transcript(11)
            assert len(before) >= 4
            await worker.say("/forget")
        finally:
            await running.stop()
    left = api.transcript(11)
    assert len(left) == 1 and "已清理" in (left[0].text or "")  # only the confirmation
    assert left[0].message_id > max(m.message_id for m in before)
    users = [m.text for m in api.transcript(11, include_user=True) if not m.from_bot]
    assert users == [f"/start {code}", "/whoami", "/my", "/help", "/forget"]
    deleted = [m for m in api.transcript(11, include_deleted=True) if m.deleted]
    assert {m.message_id for m in deleted} == {m.message_id for m in before}
    calls = api.calls_to("deleteMessages")
    assert calls and all(c.error_code is None and len(c.params["message_ids"]) <= 100 for c in calls)
