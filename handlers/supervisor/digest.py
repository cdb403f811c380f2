"""The digest as messages: text that fits Telegram, drill-down buttons, the chart; and the daily job.

One digest becomes a photo (the completion chart) followed by its text, with buttons under the
text: a child area's digest (`dg:<area id>:<kind><yyyymmdd>`), a worker's overdue list
(`dw:<worker id>:<yyyymmdd>`) and the review queue (`rq:<area id>:0`). Ids only: every press is
checked again against the caller's subtree (handlers.supervisor.commands).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime

import structlog

from handlers.callbacks import AreaDigest, CardOpen, ReviewNext, WorkerOverdue
from handlers.context import Ctx, JobCtx, Work
from handlers.events import WEB_APP, Button, Keyboard, Send, SendPhoto
from handlers.render import Renderer
from handlers.reports.alerts_rerouted import deliver_rerouted
from handlers.supervisor.charts import MAX_BARS, ChartBar, completion_chart
from models.services.digest.scope import Recipient, digest_recipients
from models.services.digest.sending import queue_digest as send_digest
from models.services.digest.summary import Digest, Period, PeriodKind, Shared, build_digest, share
from models.services.jobruns import claim_batch, plan_batches

log = structlog.get_logger("gridcare.digest")

# Button prefixes of this feature (data is "<prefix>:<ids>", never more than 64 bytes).
TELEGRAM_LIMIT = 4096  # characters of a message after entity parsing (UTF-16 code units, to be safe)
AREA_BUTTONS = 30
WORKER_BUTTONS = 8
KIND_CODE = {PeriodKind.day: "d", PeriodKind.week: "w", PeriodKind.month: "m"}
_TAG = re.compile(r"<[^>]*>")


def visible_length(text: str) -> int:
    """The length Telegram counts: tags parsed away, entities decoded, in UTF-16 code units."""
    return len(html.unescape(_TAG.sub("", text)).encode("utf-16-le")) // 2


def fit_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML text into messages within the limit, at line boundaries (tags never span lines)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _hard_split(line, limit):
            cost = visible_length(piece) + (1 if current else 0)
            if current and size + cost > limit:
                parts.append("\n".join(current).strip("\n"))
                current, size = [], 0
                cost = visible_length(piece)
            current.append(piece)
            size += cost
    if current:
        parts.append("\n".join(current).strip("\n"))
    return [p for p in parts if p.strip()] or [""]


def _hard_split(line: str, limit: int) -> list[str]:
    """A single line too long for a message loses its markup and is cut into plain pieces."""
    if visible_length(line) <= limit:
        return [line]
    plain = html.unescape(_TAG.sub("", line))
    pieces, piece = [], ""
    for ch in plain:
        if visible_length(html.escape(piece + ch)) > limit:
            pieces.append(html.escape(piece))
            piece = ""
        piece += ch
    return [*pieces, html.escape(piece)]


@dataclass(frozen=True)
class DigestMessages:
    """What one digest sends: the chart with its caption, then the text parts, buttons on the last."""

    chart: bytes
    caption: str
    texts: tuple[str, ...]
    buttons: tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, data)

    def keyboard(self) -> Keyboard:
        return tuple(tuple(Button(label, data) for label, data in row) for row in self.buttons)


def _stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


def digest_messages(
    renderer: Renderer, locale: str, digest: Digest, *, can_review: bool, app_url: str | None = None
) -> DigestMessages:
    """Render a digest in a language: text parts, buttons and chart; with the Mini App's address, a
    last button opens it."""
    label = _labeller(renderer, locale)
    text = renderer.render(locale, "supervisor/digest", d=digest)
    return DigestMessages(
        chart=_chart(label, digest),
        caption=renderer.render(locale, "supervisor/chart_caption", d=digest),  # HTML, like every text
        texts=tuple(fit_message(text)),
        buttons=(
            *_buttons(label, digest, can_review=can_review),
            *([((label("ma_open_button"), WEB_APP + app_url),)] if app_url else []),
        ),
    )


Label = Callable[..., str]  # a label key and its fields → the text


def _labeller(renderer: Renderer, locale: str) -> Label:
    def label(key: str, **view: object) -> str:
        return renderer.label(locale, key).format(**view)

    return label


def _chart(label: Label, digest: Digest) -> bytes:
    bars = [
        ChartBar(
            label("sv_unassigned")
            if b.kind == "unassigned"
            else (f"{b.code} {b.name}" if b.kind == "worker" else b.name),
            b.code,
            b.done,
            b.total,
        )
        for b in digest.bars
    ]
    more = label("sv_chart_more", shown=MAX_BARS, total=len(bars)) if len(bars) > MAX_BARS else ""
    return completion_chart(
        bars,
        title=label(f"sv_chart_title_{digest.period.kind}", area=digest.area.name),
        axis=label("sv_chart_axis"),
        empty=label("sv_chart_empty"),
        more=more,
    )


def _buttons(label: Label, digest: Digest, *, can_review: bool) -> tuple[tuple[tuple[str, str], ...], ...]:
    period = digest.period
    stamp = f"{KIND_CODE[period.kind]}{_stamp(period.end)}"
    rows: list[tuple[tuple[str, str], ...]] = []
    areas = [b for b in digest.bars if b.kind == "area"][:AREA_BUTTONS]
    area_buttons = [
        (
            label("sv_area_button", name=b.name, rate="—" if b.rate is None else f"{b.rate}%"),
            AreaDigest(b.id, stamp).pack(),
        )
        for b in areas
        if b.id is not None  # always, for an area's bar
    ]
    rows += [tuple(area_buttons[i : i + 2]) for i in range(0, len(area_buttons), 2)]
    # A worker's button shows how many of their people in this subtree are overdue; at the lowest
    # level every such worker gets one, above it the workers of the people named.
    worker_buttons = [
        (label("sv_worker_button", code=code, n=n), WorkerOverdue(worker_id, period.end).pack())
        for worker_id, code, n in digest.overdue_workers[:WORKER_BUTTONS]
    ]
    rows += [tuple(worker_buttons[i : i + 2]) for i in range(0, len(worker_buttons), 2)]
    cards = [
        (label("sv_card_button", code=p.person_code), CardOpen(p.person_id).pack()) for p in digest.worst
    ]
    rows += [tuple(cards[i : i + 3]) for i in range(0, len(cards), 3)]
    if can_review and digest.reviews.awaiting:
        rows.append(
            ((label("sv_review_button", n=digest.reviews.awaiting), ReviewNext(digest.area.id, 0).pack()),)
        )
    return tuple(rows)


def show_digest(ctx: Ctx, digest: Digest, *, can_review: bool) -> None:
    """Answer the caller with the chart and the digest text."""
    messages = digest_messages(
        ctx.renderer, ctx.locale, digest, can_review=can_review, app_url=ctx.policy.miniapp_url
    )
    ctx.send(SendPhoto(ctx.chat_id, data=messages.chart, caption=messages.caption))
    for n, text in enumerate(messages.texts, start=1):
        ctx.send(Send(ctx.chat_id, text, messages.keyboard() if n == len(messages.texts) else ()))


def queue_digest(work: Work, recipient: Recipient, digest: Digest) -> bool:
    """Queue one supervisor's digest in their language; False if queued before
    (models.services.digest.sending: the keys; Work.post_digest draws it with `digest_messages`)."""
    return work.call(send_digest, work, recipient, digest)


def daily_digests(jctx: JobCtx, *, worker_ids: Collection[int] | None = None) -> int:
    """每日汇总: at Policy.digest_at, each supervisor gets their subtree's digest of the day, once
    (only those among `worker_ids`, if given: supervisors who joined late), all in this unit of
    work (the scheduled job plans batches instead: `plan_digests`, `digest_batch`).

    Obligation figures and counts are computed once per widest supervised subtree and summed for
    the supervisors below it. Returns the number of digests queued by this run.
    """
    if worker_ids is None:  # first, whoever can now take an alert that reached nobody of a role
        deliver_rerouted(jctx)
    recipients = jctx.call(digest_recipients)  # widest areas first
    if worker_ids is not None:
        wanted = set(worker_ids)
        recipients = [r for r in recipients if r.worker_id in wanted]
    return _digests(jctx, recipients)


DIGESTS = "daily_digests"
DIGEST_BATCH = 50  # supervisors per batch: the first (the widest areas) counts a whole subtree


def _order(recipient: Recipient) -> str:
    """A recipient's place in the widest-first order (an area before the areas inside it), as text
    compared in Python (code points), whatever the database's collation."""
    return f"{recipient.area.path} {recipient.worker_id:020d}"


def plan_digests(jctx: JobCtx) -> int:
    """The scheduled digests' plan: alerts that reached nobody of a role delivered to whoever can
    take them now, then the day's supervisors cut into batches in widest-first order, for every
    process to claim (`digest_batch`); the batches planned."""
    deliver_rerouted(jctx)
    ordered = sorted(_order(r) for r in jctx.call(digest_recipients))
    starts = ["", *ordered[DIGEST_BATCH::DIGEST_BATCH]]  # the first batch from the very start
    return jctx.call(plan_batches, DIGESTS, jctx.today, starts, now=jctx.now)


def digest_batch(jctx: JobCtx) -> int:
    """One planned batch of the day's digests, claimed by this process and queued in this unit of
    work, its widest subtrees counted once; the supervisors dealt with (0 when none is left)."""
    claimed = jctx.call(claim_batch, DIGESTS, jctx.today, now=jctx.now)
    if claimed is None:
        return 0
    low, high = claimed
    recipients = sorted(
        (r for r in jctx.call(digest_recipients) if low <= _order(r) and (high is None or _order(r) < high)),
        key=_order,
    )
    _digests(jctx, recipients)
    return max(len(recipients), 1)


def _digests(jctx: JobCtx, recipients: list[Recipient]) -> int:
    """Queue these supervisors' digests of the day (widest areas first); the number queued."""
    period = Period.of(PeriodKind.day, jctx.today)
    roots: list[Shared] = []
    sent = 0
    for recipient in recipients:
        shared = next((s for s in roots if recipient.area.path.startswith(s.path)), None)
        if shared is None:
            shared = jctx.call(share, recipient.area.path, period, policy=jctx.policy, now=jctx.now)
            roots.append(shared)
        digest = jctx.call(
            build_digest, recipient.area, period, policy=jctx.policy, now=jctx.now, shared=shared
        )
        if queue_digest(jctx, recipient, digest):
            sent += 1
            log.info("digest_queued", worker_id=recipient.worker_id, area_id=recipient.area.id)
    return sent


def parse_stamp(text: str) -> date | None:
    """`20260304` → a date; anything else → None."""
    try:
        return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError:
        return None
