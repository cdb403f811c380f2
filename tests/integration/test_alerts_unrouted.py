"""An alert nobody of a role could take stays in sight until routed: in the digest of every supervisor
above, in `gridcare alerts --unrouted`, and it reaches the first of that role to link an account."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.migrate import upgrade
from handlers.context import JobCtx
from handlers.render import Renderer
from handlers.supervisor.digest import daily_digests
from models.alerts import AlertLog
from models.audit import Actor
from models.clock import FrozenClock
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from models.people import Role
from models.policy import Policy
from models.services.directory.invites import invite_worker
from tests.factories import TEST_KEYS, make_tree, make_worker
from tests.integration.test_alert_routing import USERS, alert_log, positive_test_up_to_confirm, town
from tests.integration.test_reports_support import tap
from tests.support.chat import CoreChat, build_core

TOWN_SUPERVISOR, FAR_SUPERVISOR, TOWN_POLICE = 611, 612, 613


async def _unrouted_positive_test(db: Database, keys: KeyRing, now: datetime) -> int:
    """The town's story: P-ONE tests positive and no police officer anywhere above has linked."""
    person_id = town(db, keys, now)
    chat = await positive_test_up_to_confirm(db, now, person_id)
    await tap(chat, "确认")
    return person_id


def _add_supervisors(db: Database) -> None:
    """A linked supervisor at the town (above P-ONE) and one in another city (not above)."""
    with db.unit_of_work() as s:
        mine, far = make_tree(s), make_tree(s, prefix="U")
        make_worker(s, mine["TOWN"], role=Role.supervisor).telegram_user_id = TOWN_SUPERVISOR
        make_worker(s, far["CITY"], role=Role.supervisor).telegram_user_id = FAR_SUPERVISOR


def _digest_texts(db: Database, now: datetime) -> dict[int, str]:
    with db.unit_of_work() as s:
        renderer = Renderer(ZoneInfo("Asia/Shanghai"))
        daily_digests(JobCtx(now=now, renderer=renderer, _session=s, policy=Policy()))
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "digest")).all()
        texts: dict[int, str] = {}
        for row in rows:
            texts[row.chat_id] = texts.get(row.chat_id, "") + str(row.payload.get("text", ""))
        return texts


async def test_an_unrouted_alert_is_in_the_digest_of_every_linked_supervisor_above(db, keys, now):
    await _unrouted_positive_test(db, keys, now)
    _add_supervisors(db)
    texts = _digest_texts(db, now.replace(hour=10))  # 18:00 in Shanghai, after the digest's hour
    for supervisor in (USERS["W-TOP"], TOWN_SUPERVISOR):
        assert "⚠️ <b>无人接收的报警</b> 1 起" in texts[supervisor]
        assert "· P-ONE 检测异常" in texts[supervisor] and "无法通知民警" in texts[supervisor]
    assert "无人接收的报警" not in texts[FAR_SUPERVISOR]


async def test_a_police_officer_who_links_gets_the_alert_and_it_leaves_the_lists(db, keys, now):
    await _unrouted_positive_test(db, keys, now)
    with db.unit_of_work() as s:
        make_worker(s, make_tree(s)["TOWN"], role=Role.police, code="W-PT2")
    code = db.call(invite_worker, "W-PT2", actor=Actor.cli(), now=now).code
    later = now.replace(hour=5)
    await CoreChat(build_core(db, FrozenClock(later)), TOWN_POLICE).say(f"/start {code}")
    with db.unit_of_work() as s:
        [late] = s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == TOWN_POLICE)).all()
        assert late.urgent and late.purpose == "alert"
        assert "补发报警：检测异常" in late.payload["text"] and "P-ONE" in late.payload["text"]
    [entry] = alert_log(db)
    assert entry.unrouted == "" and entry.routed_at == later
    _add_supervisors(db)
    assert "无人接收的报警" not in _digest_texts(db, now.replace(hour=10))[TOWN_SUPERVISOR]


def _cli_db(tmp_path, monkeypatch) -> Database:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_LOCALE", "zh_CN")
    monkeypatch.delenv("GRIDCARE_BOT_TOKEN", raising=False)
    upgrade(url)
    return Database(url)


async def test_gridcare_alerts_unrouted_lists_it_until_routed(tmp_path, monkeypatch, keys, now):
    db = _cli_db(tmp_path, monkeypatch)
    try:
        await _unrouted_positive_test(db, keys, now)
        result = CliRunner().invoke(app, ["alerts", "--unrouted"])
        assert result.exit_code == 0, result.output
        assert "P-ONE" in result.output and "drug_test" in result.output and "police" in result.output
        assert "2026-03-04 10:00" in result.output  # local time
        assert "1 unrouted alert(s)" in result.output
        with db.unit_of_work() as s:
            s.execute(AlertLog.__table__.update().values(unrouted=""))
        result = CliRunner().invoke(app, ["alerts", "--unrouted"])
        assert result.exit_code == 0 and "no unrouted alerts" in result.output
    finally:
        db.dispose()


def test_gridcare_alerts_without_a_filter_is_a_usage_error(tmp_path, monkeypatch):
    db = _cli_db(tmp_path, monkeypatch)
    db.dispose()
    result = CliRunner().invoke(app, ["alerts"])
    assert result.exit_code == 2


async def test_the_daily_digest_job_first_routes_what_has_become_reachable(db, keys, now):
    await _unrouted_positive_test(db, keys, now)
    _add_supervisors(db)
    with db.unit_of_work() as s:  # a linked officer of another city is moved to the town (an import)
        far = make_worker(s, make_tree(s, prefix="U")["TOWN"], role=Role.police)
        far.telegram_user_id = TOWN_POLICE
        far.area_id = make_tree(s)["TOWN"].id
    texts = _digest_texts(db, now.replace(hour=10))
    assert "无人接收的报警" not in texts[TOWN_SUPERVISOR]
    with db.unit_of_work() as s:
        [late] = s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == TOWN_POLICE)).all()
        assert "补发报警" in late.payload["text"] and late.urgent
