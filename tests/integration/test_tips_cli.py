"""`gridcare tips reveal`: the one audited way to learn who sent an anonymous tip."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import build_runtime
from bot.cli import app
from bot.config import load_settings
from bot.migrate import upgrade
from models.areas import AreaLevel
from models.audit import AuditEntry
from models.family import Tip
from models.sealing import seal_fields
from models.services.directory.entries import AreaData, upsert_area
from models.services.family.tips import TIPSTER_FIELD
from tests.factories import TEST_KEYS


def test_revealing_a_tipster_is_audited_and_an_unknown_tip_fails(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tips.db'}"
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", url)
    monkeypatch.setenv("GRIDCARE_SECRET_KEY", TEST_KEYS)
    upgrade(url)
    runtime = build_runtime(load_settings())
    with runtime.db.unit_of_work() as s:
        area, _ = upsert_area(s, AreaData("TIP-C", "社区", AreaLevel.community))
        tip = Tip(area_id=area.id, text="线索", created_at=datetime(2026, 3, 4, tzinfo=UTC))
        s.add(tip)
        seal_fields(s, runtime.keys, tip, {TIPSTER_FIELD: json.dumps({"telegram_user_id": 4242})})
    runner = CliRunner()
    shown = runner.invoke(app, ["tips", "reveal", "1"])
    assert shown.exit_code == 0 and "4242" in shown.output
    assert runner.invoke(app, ["tips", "reveal", "99"]).exit_code == 1
    with runtime.db.unit_of_work() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.record_type == "tip")).all()
    runtime.close()
    assert actions == ["reveal", "refused"]
