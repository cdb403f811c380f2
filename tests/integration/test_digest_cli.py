"""`gridcare digest --area CODE --date D [--send]`, run as an administrator would."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import Database
from bot.migrate import upgrade
from models.crypto import KeyRing
from models.outbox import OutboxMessage
from tests.factories import TEST_KEYS
from tests.integration.digest_city import build_city

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    monkeypatch.setenv("GRIDCARE_LOCALE", "zh_CN")
    monkeypatch.delenv("GRIDCARE_BOT_TOKEN", raising=False)
    upgrade(url)
    db = Database(url)
    with db.unit_of_work() as s:
        city = build_city(s, KeyRing.parse(TEST_KEYS))
        city.workers["S-COM"].telegram_user_id = 8004
    yield db
    db.dispose()


def _gridcare(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_digest_prints_the_areas_digest_and_writes_the_chart(city_db, tmp_path):
    out = _gridcare("digest", "--area", "T-COM", "--date", "2026-03-04", "--chart", str(tmp_path / "c.png"))
    assert "每日汇总 · 测试社区" in out and "TP03" in out and "<b>" not in out
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    english = _gridcare("digest", "--area", "T-COM", "--date", "2026-03-04", "--locale", "en")
    assert "Daily digest" in english


def test_digest_send_queues_it_once_for_the_areas_supervisors(city_db):
    assert "1 digest(s) queued for 1 supervisor(s)" in _gridcare(
        "digest", "--area", "T-COM", "--date", "2026-03-04", "--send"
    )
    assert "0 digest(s) queued" in _gridcare("digest", "--area", "T-COM", "--date", "2026-03-04", "--send")
    with city_db.unit_of_work() as s:
        chats = s.scalars(select(OutboxMessage.chat_id).where(OutboxMessage.purpose == "digest")).all()
        assert set(chats) == {8004} and s.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_digest_refuses_an_unknown_area_and_a_future_date(city_db):
    result = runner.invoke(app, ["digest", "--area", "NOPE", "--date", "2026-03-04"])
    assert result.exit_code == 1 and "no area with code NOPE" in result.output
    result = runner.invoke(app, ["digest", "--area", "T-COM", "--date", "2999-01-01"])
    assert result.exit_code == 1 and "future" in result.output
