"""The example alert rules and the Grafana dashboard under deploy/ name only metrics the bot exports,
and the rules the issue asks for are there (issue 18)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric

import bot.metrics  # noqa: F401 (registers the metrics)

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "gridcare-dashboard.json"
NAMED = re.compile(r"\bgridcare_[a-z_]+")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported() -> set[str]:
    """Every series name the bot's metrics produce (a counter's _total, a histogram's _bucket...)."""
    families: list[Metric] = [m for m in REGISTRY.collect() if m.name.startswith("gridcare_")]
    return {family.name + suffix for family in families for suffix in SUFFIXES[family.type]}


def rule_expressions() -> dict[str, str]:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_alert_rules_name_only_exported_metrics():
    known = exported()
    for alert, expr in rule_expressions().items():
        unknown = set(NAMED.findall(expr)) - known
        assert not unknown, f"{alert} names {unknown}, which the bot does not export"


def test_the_rules_cover_down_backlog_a_missed_job_and_a_late_urgent_alert():
    exprs = rule_expressions()
    assert 'up{job="gridcare"} == 0' in exprs["GridcareDown"]
    assert "gridcare_outbox_oldest_queued_seconds" in exprs["GridcareOutboxBackingUp"]
    assert "gridcare_job_last_success_timestamp_seconds" in exprs["GridcareDailyJobDidNotRun"]
    assert "gridcare_alerts_unanswered_past_deadline" in exprs["GridcareUrgentAlertUnanswered"]


def test_the_dashboard_names_only_exported_metrics_and_shows_each_of_them():
    known = exported()
    named = {name for expr in dashboard_expressions() for name in NAMED.findall(expr)}
    assert named <= known, f"the dashboard names {named - known}, which the bot does not export"
    shown_families = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in named}
    families = {m.name for m in REGISTRY.collect() if m.name.startswith("gridcare_")}
    assert families <= shown_families, f"not on the dashboard: {families - shown_families}"
