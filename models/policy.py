"""Policy: every configurable number of the domain in one frozen object, built from settings."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from models.pay import PayWeights
from models.people import Role
from models.record_dates import DEFAULT_WINDOW_DAYS
from models.schedule import DEFAULT_RULES, Rule, RuleSet
from models.workdays import WorkCalendar

DEFAULT_AUDIENCE = ("grid_worker", "cadre", "police", "supervisor")


@dataclass(frozen=True)
class CampaignDay:
    """A campaign day (6·3, 6·26, 12·4, or a locality's own): reminders at the lead days and on the day.

    Built-in days have their name and tasks in the templates (by `key`); a locality's own give
    `name` and `task` in its own words. `year` makes a one-off day; `area` (an area code) limits
    the audience to that subtree; `audience` lists roles.
    """

    key: str
    month: int
    day: int
    lead_days: tuple[int, ...] = (7, 1)
    audience: tuple[str, ...] = DEFAULT_AUDIENCE
    name: str | None = None
    task: str | None = None
    year: int | None = None
    area: str | None = None

    def on(self, year: int) -> date | None:
        """The campaign's date in `year` (None for a one-off of another year, or 29 Feb of a common year)."""
        if self.year is not None and self.year != year:
            return None
        try:
            return date(year, self.month, self.day)
        except ValueError:
            return None


BUILT_IN_CAMPAIGNS = (
    CampaignDay("humen", 6, 3),  # 虎门销烟纪念日
    CampaignDay("june26", 6, 26),  # 国际禁毒日
    CampaignDay("dec4", 12, 4),  # 国家宪法日
)


class CampaignError(ValueError):
    """A campaign file that cannot be used; the message names the entry and the fix."""


_CAMPAIGN_KEYS = ("key", "name", "date", "lead_days", "audience", "task", "area")


def campaigns_from_toml(
    text: str, base: tuple[CampaignDay, ...] = BUILT_IN_CAMPAIGNS
) -> tuple[CampaignDay, ...]:
    """A locality's campaign days (`[[campaign]]` tables) added to `base`; a table with a built-in
    key replaces that day, `replace_all = true` drops the built-in ones. Strict: a typo fails here.

        [[campaign]]
        key = "county-day"           # letters, digits, - and _ (used in message keys)
        name = "全县禁毒宣传日"
        date = "09-15"               # every year; "2027-09-15" for once
        lead_days = [7, 1]           # reminders this many days before (and always on the day)
        audience = ["grid_worker", "cadre"]
        task = "入户走访，发放宣传材料"
        area = "EX-CTY"              # optional: only this subtree
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError(f"the campaign file is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"campaign", "replace_all"})
    if unknown:
        raise CampaignError(
            f"unknown top-level key(s) {', '.join(unknown)}; expected [[campaign]] and replace_all"
        )
    tables = data.get("campaign", [])
    if not isinstance(tables, list):
        raise CampaignError("campaigns are an array of tables: write [[campaign]], not [campaign]")
    own = [_campaign(n, table) for n, table in enumerate(tables, 1)]
    keys = [c.key for c in own]
    if len(set(keys)) != len(keys):
        raise CampaignError("two campaigns share a key; give each its own")
    kept = () if data.get("replace_all", False) else tuple(c for c in base if c.key not in keys)
    return kept + tuple(own)


def _campaign(n: int, table: Any) -> CampaignDay:
    where = f"campaign {n}"
    if not isinstance(table, dict):
        raise CampaignError(f"{where}: must be a table")
    unknown = sorted(set(table) - set(_CAMPAIGN_KEYS))
    if unknown:
        raise CampaignError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(_CAMPAIGN_KEYS)}"
        )
    key = table.get("key")
    if (
        not isinstance(key, str)
        or not key
        or len(key) > 20
        or not key.replace("-", "").replace("_", "").isalnum()
    ):
        raise CampaignError(f"{where}: key must be 1-20 letters, digits, - or _")
    year, month, day = _date(where, table.get("date"))
    lead = table.get("lead_days", [7, 1])
    if not isinstance(lead, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 60 for d in lead
    ):
        raise CampaignError(f"{where}: lead_days must be a list of whole days between 1 and 60, e.g. [7, 1]")
    audience = table.get("audience", list(DEFAULT_AUDIENCE))
    roles = {r.value for r in Role}
    if not isinstance(audience, list) or not audience or not all(a in roles for a in audience):
        raise CampaignError(f"{where}: audience must list roles among {', '.join(sorted(roles))}")
    name, task, area = table.get("name"), table.get("task"), table.get("area")
    for label, value, limit in (("name", name, 40), ("task", task, 500), ("area", area, 40)):
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > limit):
            raise CampaignError(f"{where}: {label} must be text of at most {limit} characters")
    if name is None:
        raise CampaignError(f"{where}: a name is needed (it is shown to the workers)")
    return CampaignDay(
        key, month, day, tuple(sorted(set(lead), reverse=True)), tuple(audience), name, task, year, area
    )


def _date(where: str, value: Any) -> tuple[int | None, int, int]:
    if not isinstance(value, str):
        raise CampaignError(f'{where}: date must be "MM-DD" (every year) or "YYYY-MM-DD" (once)')
    parts = value.split("-")
    try:
        if len(parts) == 2:
            date(2024, int(parts[0]), int(parts[1]))  # a leap year accepts 02-29
            return None, int(parts[0]), int(parts[1])
        if len(parts) == 3:
            once = date.fromisoformat(value)
            return once.year, once.month, once.day
    except ValueError:
        pass
    raise CampaignError(f'{where}: date {value!r} is not "MM-DD" or "YYYY-MM-DD"')


def _reminder_times() -> tuple[time, ...]:
    return tuple(time(h, m) for h in range(8, 12) for m in (0, 30))


@dataclass(frozen=True)
class Policy:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    rules: RuleSet = DEFAULT_RULES
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    morning_at: time = time(8, 30)
    digest_at: time = time(18, 0)
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    escalate_to_cadre_after_days: int = 3
    escalate_to_digest_after_days: int = 7
    alert_ack_timeout: timedelta = timedelta(minutes=30)
    family_messages_per_hour: int = 10
    campaigns: tuple[CampaignDay, ...] = BUILT_IN_CAMPAIGNS
    escalate_to_worker_after_days: int = 1  # the first rung of the overdue ladder
    case_ending_notice_months: int = 1  # "case ending" task this long before the programme ends
    reminder_times: tuple[time, ...] = field(default_factory=_reminder_times)  # offered by /settings
    sensitive_delete_hours: int = 0  # delete sensitive alerts/relays this long after sending; 0: never
    outbox_retention_days: int = 30  # sent and dead outbox rows are deleted this long after (pruning)
    record_window_days: int = DEFAULT_WINDOW_DAYS  # a record may be dated this many days back (today is 1)
    pay: PayWeights = field(default_factory=PayWeights)  # the weights of the monthly score (models.pay)
    miniapp_url: str | None = None  # the supervisors' Mini App, where it is served: menu and digest buttons

    def local_date(self, moment: datetime) -> date:
        """The date in the configured time zone of a UTC-aware moment."""
        return moment.astimezone(self.tz).date()

    @property
    def kept_days(self) -> int:
        """How long after its deadline an older open period stays listed: the overdue ladder's longest
        step, so a missed week still reaches the supervisor's digest on day 7 (`obligations_on`)."""
        return max(
            self.escalate_to_worker_after_days,
            self.escalate_to_cadre_after_days,
            self.escalate_to_digest_after_days,
        )

    @cached_property
    def basis(self) -> str:
        """A fingerprint of what everybody's kept obligation items depend on besides their own facts:
        the locality's rules, working-day calendar, time zone and overdue ladder. Kept items on another
        basis are stale. Worked out once per policy (which is frozen): every due list checks it."""
        rules = (tuple(_canonical(rule) for rule in self.rules.rules), self.rules.replace_all)
        text = repr((rules, self.calendar.country, self.tz.key, self.kept_days))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(rule: Rule) -> tuple[tuple[str, object], ...]:
    """A rule as text that is the same in every process: its sets (colours, years, statuses) sorted,
    not in the order of their hashes, which differs from process to process (PYTHONHASHSEED)."""
    return tuple(
        (f.name, sorted(map(str, value)) if isinstance(value, frozenset) else str(value))
        for f in fields(rule)
        for value in (getattr(rule, f.name),)
    )
