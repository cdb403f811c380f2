"""`gridcare digest --area CODE --date D [--send]`: a supervisor's digest from the command line."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import typer
from rich.text import Text

from bot.cli.common import console, fail, runtime
from handlers.render import LOCALES, Renderer
from handlers.supervisor.digest import digest_messages
from models.audit import Actor
from models.services.digest.scope import AreaRef, digest_recipients
from models.services.digest.sending import queue_digest
from models.services.digest.summary import Period, PeriodKind, audited_digest, build_digest
from models.services.directory.entries import NotFound, area_by_code

_MARKUP = re.compile(r"(<b>|</b>|<i>|</i>|<[^>]*>)")


def rich_text(message: str) -> Text:
    """Telegram HTML (<b>, <i>, escaped text) as rich text for the terminal."""
    text, styles = Text(), []
    for piece in _MARKUP.split(message):
        if piece in ("<b>", "<i>"):
            styles.append("bold" if piece == "<b>" else "italic")
        elif piece in ("</b>", "</i>"):
            styles = styles[:-1]
        elif not piece.startswith("<"):
            text.append(html.unescape(piece), style=" ".join(styles) or None)
    return text


def digest_cmd(
    area: str = typer.Option(..., "--area", help="area code: the digest covers its whole subtree"),
    day: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: today in the configured time zone)"),
    send: bool = typer.Option(False, "--send", help="queue it for the supervisors of that area instead"),
    chart: Path | None = typer.Option(None, "--chart", help="also write the chart to this PNG file"),
    locale: str = typer.Option(None, "--locale", help="zh_CN or en (default: GRIDCARE_LOCALE)"),
) -> None:
    """Print an area's daily digest, or with --send queue it for the area's supervisors."""
    with runtime() as rt:
        now = rt.clock.now()
        try:
            the_day = date.fromisoformat(day) if day else rt.policy.local_date(now)
        except ValueError:
            raise fail(f"--date must be YYYY-MM-DD, not {day!r}") from None
        if the_day > rt.policy.local_date(now):
            raise fail("--date lies in the future")
        language = locale or rt.settings.locale
        if language not in LOCALES:
            raise fail(f"--locale must be one of {', '.join(LOCALES)}")
        renderer = Renderer(rt.tz, default_locale=rt.settings.locale)
        period = Period.of(PeriodKind.day, the_day)
        with rt.db.unit_of_work() as session, console.status(f"building the digest of {area}…"):
            try:
                found = area_by_code(session, area)
            except NotFound:
                raise fail(f"no area with code {area}") from None
            ref = AreaRef(found.id, found.code, found.name, found.level, found.path)
            if send:
                work = rt.job_context(session, now)
                recipients = digest_recipients(session, area_code=area)
                digest = build_digest(session, ref, period, policy=rt.policy, now=now)
                queued = sum(queue_digest(session, work, r, digest) for r in recipients)
                console.print(
                    f"{queued} digest(s) queued for {len(recipients)} supervisor(s) of {area} "
                    f"({len(recipients) - queued} had it already)"
                )
                return
            digest = audited_digest(session, Actor.cli(), ref, period, policy=rt.policy, now=now)
        messages = digest_messages(renderer, language, digest, can_review=False)
    for part in messages.texts:
        console.print(rich_text(part))
    if chart is not None:
        chart.write_bytes(messages.chart)
        console.print(f"chart written to {chart}")


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `gridcare`."""
    app.command("digest")(digest_cmd)
