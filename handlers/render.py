"""Every message text comes from a jinja2 template under templates/<locale>/; dates via Babel."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined

LOCALES = ("zh_CN", "en")
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def masked(name: str | None) -> str:
    """The first character of a name and a star for each of the rest ("张三丰" → "张**")."""
    if not name:
        return "—"
    return name[0] + "*" * max(len(name) - 1, 1)


class Renderer:
    """One jinja environment (autoescaped for Telegram's HTML mode) and Babel formatting per locale.

    Button labels and button pop-ups (answerCallbackQuery) are plain text to Telegram: a name
    rendered for them through the HTML environment would show `&#39;` or `&lt;b&gt;`. They go
    through `render_plain`, the same environment without escaping (an overlay: same loader,
    filters and settings); message bodies stay escaped.
    """

    def __init__(
        self, tz: ZoneInfo, templates: Path = DEFAULT_TEMPLATES, default_locale: str = "zh_CN"
    ) -> None:
        self.tz = tz
        self.default_locale = default_locale
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            undefined=StrictUndefined,
            auto_reload=False,  # templates do not change under a running bot: no stat() per message
        )
        # Pushed messages (alerts, relays) show a person as "张*": a lock-screen preview names nobody;
        # the full name is in the card the recipient opens.
        self.env.filters["masked"] = masked
        self.plain_env = self.env.overlay(autoescape=False)
        self._labels: dict[str, dict[str, str]] = {}
        self._filters: dict[str, dict[str, Any]] = {}

    def locale_of(self, *preferences: str | None) -> str:
        """The first known locale among preferences (chat setting, linked record, Telegram's)."""
        for pref in preferences:
            if not pref:
                continue
            if pref in LOCALES:
                return pref
            if pref.lower().startswith("zh"):
                return "zh_CN"
            if pref.lower().startswith("en"):
                return "en"
        return self.default_locale

    def render(self, locale: str, name: str, **view: Any) -> str:
        """Render templates/<locale>/<name>.j2 with the view and the locale's filters."""
        return self._render(self.env, locale, name, view)

    def render_plain(self, locale: str, name: str, **view: Any) -> str:
        """Render a template as plain text, unescaped: for a button label or a button's pop-up only."""
        return self._render(self.plain_env, locale, name, view)

    def _render(self, env: Environment, locale: str, name: str, view: dict[str, Any]) -> str:
        template = env.get_template(f"{locale}/{name}.j2")
        if locale not in self._filters:
            self._filters[locale] = self._helpers(locale)
        return template.render(view, **self._filters[locale]).strip()

    def label(self, locale: str, key: str) -> str:
        """A short text (button label, enum value) from the `labels` of templates/<locale>/labels/*.j2."""
        return self.labels(locale)[key]

    def labels(self, locale: str) -> dict[str, str]:
        """All the labels of a locale (`label` gives one)."""
        if locale not in self._labels:
            self._labels[locale] = self._load_labels(locale)
        return self._labels[locale]

    def _load_labels(self, locale: str) -> dict[str, str]:
        """One labels file per feature, merged; a key defined twice is an error, not a silent override."""
        merged: dict[str, str] = {}
        names = self.env.list_templates(filter_func=lambda n: n.startswith(f"{locale}/labels/"))
        for name in sorted(names):
            # A template's exported variables are attributes Jinja makes at run time: none is declared.
            labels = dict(self.env.get_template(name).module.labels)  # type: ignore[attr-defined]
            clash = merged.keys() & labels.keys()
            if clash:
                raise ValueError(f"{name} repeats labels {sorted(clash)}")
            merged.update(labels)
        return merged

    def _helpers(self, locale: str) -> dict[str, Any]:
        babel_locale = "zh_Hans_CN" if locale == "zh_CN" else "en"
        tz = self.tz

        # Babel formats a date in ~50 µs and a morning sweep formats the same few days thousands of
        # times: remember them (dates are few; the cache is per renderer and locale).
        @lru_cache(maxsize=4096)
        def formatted(value: date, fmt: str) -> str:
            return format_date(value, format=fmt, locale=babel_locale)

        def fmt_date(value: date | datetime | None, fmt: str = "medium") -> str:
            if value is None:
                return "—"
            if isinstance(value, datetime):
                value = value.astimezone(tz).date()
            return formatted(value, fmt)

        def fmt_datetime(value: datetime | None, fmt: str = "short") -> str:
            if value is None:
                return "—"
            return format_datetime(value, format=fmt, tzinfo=tz, locale=babel_locale)

        def fmt_number(value: float | int) -> str:
            return format_decimal(value, locale=babel_locale)

        return {
            "fdate": fmt_date,
            "fdatetime": fmt_datetime,
            "fnum": fmt_number,
            "label": lambda key: self.label(locale, key),
            # the same texts as a mapping, for a template's many lines: `labels[key]` costs a lookup,
            # `label(key)` a call through jinja's runtime (a morning list has ~60 per message)
            "labels": self.labels(locale),
        }
