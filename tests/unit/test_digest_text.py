"""The digest text within Telegram's limit, and the arguments of the supervisor's commands."""

from __future__ import annotations

from datetime import date

from handlers.supervisor.commands import parse_day
from handlers.supervisor.digest import TELEGRAM_LIMIT, fit_message, visible_length
from handlers.supervisor.reports import parse_month
from models.services.digest.summary import Period, PeriodKind

WEDNESDAY = date(2026, 3, 4)


def test_length_is_counted_as_telegram_does_after_parsing_entities():
    assert visible_length("<b>见面</b> &lt;3&gt; &amp;") == len("见面 <3> &")
    assert visible_length("🎯") == 2  # outside the BMP: two UTF-16 code units


def test_a_digest_that_fits_stays_one_message():
    text = "<b>每日汇总</b>\n" + "\n".join(f"<b>第{i}行</b> 应完成 10" for i in range(30))
    assert fit_message(text) == [text]


def test_a_long_text_is_split_at_line_boundaries_within_the_limit():
    lines = [
        f"<b>{i:04d}</b> TP{i:04d}（网格员 W{i:03d}）逾期 {i} 天：思想汇报、吸毒检测 &amp; 见面"
        for i in range(400)
    ]
    parts = fit_message("\n".join(lines))
    assert len(parts) > 1
    assert all(visible_length(p) <= TELEGRAM_LIMIT for p in parts)
    assert "\n".join(parts).split("\n") == lines  # nothing lost, no line cut, tags intact per line


def test_a_single_overlong_line_is_cut_into_plain_pieces():
    parts = fit_message("<b>" + "汉" * 5000 + "</b>")
    assert [visible_length(p) for p in parts] == [TELEGRAM_LIMIT, 5000 - TELEGRAM_LIMIT]
    assert all("<b>" not in p for p in parts)


def test_digest_dates_are_read_in_the_forms_people_type():
    assert parse_day("", WEDNESDAY) == WEDNESDAY
    assert parse_day("昨天", WEDNESDAY) == date(2026, 3, 3)
    assert parse_day("2026-03-01", WEDNESDAY) == date(2026, 3, 1)
    assert parse_day("20260301", WEDNESDAY) == date(2026, 3, 1)
    assert parse_day("3-2", WEDNESDAY) == date(2026, 3, 2)
    assert parse_day("2026/2/28", WEDNESDAY) == date(2026, 2, 28)


def test_future_and_nonsense_dates_are_refused():
    for text in ("2026-03-05", "tomorrow", "2026-02-30", "3", "1-2-3-4", "99999999999999999999"):
        assert parse_day(text, WEDNESDAY) is None, text


def test_a_month_is_read_and_never_lies_in_the_future():
    assert parse_month("", WEDNESDAY) == Period.of(PeriodKind.month, WEDNESDAY)
    feb = parse_month("2026-02", WEDNESDAY)
    assert feb is not None and (feb.start, feb.end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_month("2026年2月", WEDNESDAY) == feb
    assert parse_month("202602", WEDNESDAY) == feb
    assert parse_month("2026-04", WEDNESDAY) is None
    assert parse_month("2026-13", WEDNESDAY) is None


def test_periods_cover_the_day_the_week_or_the_month_to_date():
    day, week, month = (Period.of(k, WEDNESDAY) for k in PeriodKind)
    assert (day.start, day.end, day.horizon) == (WEDNESDAY, WEDNESDAY, date(2026, 3, 8))
    assert (week.start, week.end, week.horizon) == (date(2026, 3, 2), WEDNESDAY, date(2026, 3, 8))
    assert (month.start, month.end, month.horizon) == (date(2026, 3, 1), WEDNESDAY, date(2026, 3, 31))
