"""The texts of alert routing render in both languages for every kind of alert and role."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.render import LOCALES, Renderer
from models.services.alerts.routing import ESCALATION_ROLES, TEST_ROLES, URGENT_ROLES

KINDS = ("drug_test", "visit", "urgent", "urgent_escalated")
ROLES = sorted({*TEST_ROLES, *URGENT_ROLES, *ESCALATION_ROLES})


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_late_alert_names_its_kind_the_person_s_code_and_the_role(renderer, locale, kind):
    for role in ROLES:
        text = renderer.render(
            locale,
            "alerts/rerouted",
            kind=kind,
            code="P-<1>",
            role=str(role),
            at=datetime(2026, 3, 4, tzinfo=UTC),
        )
        assert "P-&lt;1&gt;" in text and renderer.label(locale, f"alert_role_{role}") in text
        assert renderer.label(locale, f"alert_kind_{kind}") in text
