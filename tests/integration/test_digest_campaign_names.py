"""The digest names each campaign day by its own name: 12·4 is 国家宪法日 (it said 禁毒宣传日 for
every day), a locality's own day goes by the name its campaign file gives."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from handlers.render import Renderer
from models.policy import CampaignDay
from models.services.digest.scope import AreaRef
from models.services.digest.summary import Period, PeriodKind, build_digest
from tests.integration.digest_city import DAY, NOW, TEST_POLICY, build_city


@pytest.fixture
def city(db, keys):
    with db.unit_of_work() as s:
        return build_city(s, keys)


def _digest_text(db, city, campaign: CampaignDay, locale: str) -> str:
    area = city.areas["COM"]
    ref = AreaRef(area.id, area.code, area.name, area.level, area.path)
    policy = replace(TEST_POLICY, campaigns=(campaign,))
    digest = db.call(build_digest, ref, Period.of(PeriodKind.day, DAY), policy=policy, now=NOW)
    return Renderer(ZoneInfo("Asia/Shanghai")).render(locale, "supervisor/digest", d=digest)


def test_the_built_in_4_december_is_national_constitution_day(db, city):
    dec4 = CampaignDay("dec4", DAY.month, DAY.day)  # the built-in day's key, moved to the city's day

    zh = _digest_text(db, city, dec4, "zh_CN")
    en = _digest_text(db, city, dec4, "en")

    assert "12·4 国家宪法日" in zh and "禁毒宣传日" not in zh
    assert "National Constitution Day" in en


def test_a_localitys_own_campaign_day_goes_by_its_own_name(db, city):
    own = CampaignDay("county", DAY.month, DAY.day, name="全县禁毒宣传日 <b>&")

    zh = _digest_text(db, city, own, "zh_CN")

    assert f"{DAY.month}·{DAY.day} 全县禁毒宣传日 &lt;b&gt;&amp;" in zh
