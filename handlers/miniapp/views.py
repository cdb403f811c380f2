"""What each Mini App request shows, from the services chat uses: the digest, performance, the
review queue, the card. Ids from the request are resolved only through the jurisdiction checks
(`area_in_scope`, `worker_in_scope`, `may` inside the card and review services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.context import Work
from handlers.events import SendDocument
from handlers.miniapp.jsonable import jsonable
from handlers.miniapp.replies import ApiReply, BadRequest, Refused
from handlers.render import masked
from models.casework import ReviewVerdict
from models.records import RecordKind
from models.services.cards import person_card, person_history
from models.services.casework.person_events import person_events
from models.services.digest.export import export_report
from models.services.digest.rows import Tally, tally
from models.services.digest.scope import AreaRef, area_in_scope, worker_in_scope, worker_overdue
from models.services.digest.summary import Period, PeriodKind, audited_digest, local_midnight, overdue_list
from models.services.identity import Identity
from models.services.obligations.due import obligation_rows
from models.services.outbox.queue import enqueue
from models.services.performance.table import audited_performance
from models.services.review.marking import COMMENT_MAX
from models.services.review.notices import give_verdict
from models.services.review.queue import QueueFilter, review_queue

TREND_WEEKS = 5  # this week and the four before it
OVERDUE_SHOWN = 30
SAMPLE_MAX = 20


def _id(params: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**62:
        raise BadRequest(name)
    return value


def _area(work: Work, who: Identity, params: dict[str, Any], action: str) -> AreaRef:
    area_id = _id(params, "area", required=False)
    area = work.call(area_in_scope, who, now=work.now, area_id=area_id, action=action)
    if area is None:
        raise Refused
    return area


def _period(work: Work, params: dict[str, Any]) -> Period:
    try:
        kind = PeriodKind(params.get("period", "day"))
    except ValueError:
        raise BadRequest("period") from None
    return Period.of(kind, work.today)


def own_area(work: Work, who: Identity) -> AreaRef | None:
    return work.call(area_in_scope, who, now=work.now)


def _tally(t: Tally) -> dict[str, Any]:
    return {**jsonable(t), "done_rate": t.done_rate}


def node(work: Work, who: Identity, params: dict[str, Any]) -> dict[str, Any]:
    """An area's dashboard: the digest's figures, its children or workers, and the last weeks."""
    area, period = _area(work, who, params, "view_digest"), _period(work, params)
    digest = work.call(audited_digest, who.actor, area, period, policy=work.policy, now=work.now)
    overdue = work.call(overdue_list, digest, work.policy, limit=OVERDUE_SHOWN)
    workers = work.call(audited_performance, who.actor, area, period, policy=work.policy, now=work.now)
    return {
        "area": jsonable(area),
        "period": jsonable(period),
        "obligations": {
            "meeting": _tally(digest.meetings),
            "drug_test": _tally(digest.tests),
            "others": _tally(digest.others),
            "chart": _tally(digest.chart),
        },
        "people": {"total": digest.people.total, "by_colour": dict(jsonable(digest.people.by_colour))},
        "positives": digest.filed.positive,
        "refused": digest.filed.refused,
        "missed": digest.filed.missed,
        "alerts_open": digest.alerts.open,
        "unanswered_messages": digest.unanswered_messages,
        "reviews": jsonable(digest.reviews),
        "people_overdue": digest.people_overdue,
        "bars": [{**jsonable(b), "rate": b.rate} for b in digest.bars],
        "bars_are_workers": digest.bars_are_workers,
        "overdue": jsonable([{**jsonable(p), "worker_name": masked(p.worker_name)} for p in overdue]),
        "workers": [
            {
                "id": w.worker_id,
                "code": w.code,
                "name": masked(w.name),
                "role": w.role.value,
                "records": w.records,
                "late_records": w.late_records,
                "met_on_time": w.met_on_time,
                "met_late": w.met_late,
                "missed": w.missed,
                "on_time_rate": w.on_time_rate,
            }
            for w in workers
        ],
        "trend": _trend(work, area),
    }


def _trend(work: Work, area: AreaRef) -> list[dict[str, Any]]:
    """This week to date and the four whole weeks before it, oldest first: each the weekly digest's
    chart (the obligations due by the week's Sunday, and what was done of them) as it stood at the
    week's end, from the same obligation rows; the counts a digest adds are not needed here."""
    weeks = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        day = work.today - timedelta(weeks=back)
        sunday = day + timedelta(days=6 - day.weekday())
        rows = work.call(
            obligation_rows, today=day if not back else sunday, policy=work.policy, area_path=area.path
        )
        chart = tally(r for r in rows if r.period_end <= sunday)
        weeks.append({"start": (sunday - timedelta(days=6)).isoformat(), **_tally(chart)})
    return weeks


def worker(work: Work, who: Identity, params: dict[str, Any]) -> dict[str, Any]:
    """A worker's overdue items in the caller's subtree (codes), as the digest's worker button shows."""
    found = work.call(worker_in_scope, who, _id(params, "worker") or 0, now=work.now)
    if found is None:
        raise Refused
    items = work.call(worker_overdue, who, found, today=work.today, policy=work.policy, now=work.now)
    return {
        "worker": {"id": found.id, "code": found.code, "name": masked(found.name), "role": found.role.value},
        "overdue": jsonable(items),
    }


def queue(work: Work, who: Identity, params: dict[str, Any]) -> dict[str, Any]:
    """Reports awaiting review: by area, author, kind, late only; or a sample per author this week."""
    area = _area(work, who, params, "review_record")
    author = _id(params, "worker", required=False)
    if author is not None and work.call(worker_in_scope, who, author, now=work.now) is None:
        raise Refused
    kind_text = params.get("kind") or None
    sample = params.get("sample") or 0
    if kind_text is not None and kind_text not in RecordKind.__members__:
        raise BadRequest("kind")
    if not isinstance(sample, int) or not 0 <= sample <= SAMPLE_MAX:
        raise BadRequest("sample")
    monday = work.today - timedelta(days=work.today.weekday())
    wanted = QueueFilter(
        worker_id=author,
        kind=RecordKind(kind_text) if kind_text else None,
        late_only=params.get("late") is True,
        sample=sample,
        since=local_midnight(monday, work.policy) if sample else None,
    )
    week = "{}-W{:02d}".format(*work.today.isocalendar()[:2])
    found = work.call(review_queue, who, area.path, wanted, now=work.now, week=week)
    return {"area": jsonable(area), "awaiting": found.awaiting, "items": jsonable(found.items)}


def review(work: Work, who: Identity, params: dict[str, Any]) -> dict[str, Any]:
    """Mark a report correct or wrong (with a comment), as the chat's verdict buttons; saved once."""
    record_id = _id(params, "record") or 0
    verdict = {"ok": ReviewVerdict.correct, "no": ReviewVerdict.has_errors}.get(str(params.get("verdict")))
    comment = params.get("comment")
    comment = comment.strip()[:COMMENT_MAX] if isinstance(comment, str) else ""
    if verdict is None or (verdict is ReviewVerdict.has_errors and not comment):
        raise BadRequest("verdict")
    reviewed = work.call(give_verdict, work, who, record_id, verdict, comment or None, now=work.now)
    if reviewed is None:
        raise Refused
    return {"review_id": reviewed.review_id, "record": reviewed.record_id, "verdict": reviewed.verdict.value}


def person(work: Work, who: Identity, params: dict[str, Any]) -> dict[str, Any]:
    """A person's card and records (the timeline), each read audited as in chat."""
    person_id = _id(params, "person") or 0
    card = work.call(
        person_card, who, person_id, now=work.now, today=work.today, policy=work.policy, keys=work.keys
    )
    if card is None:
        raise Refused
    page = params.get("page") or 0
    history = work.call(
        person_history,
        who,
        person_id,
        now=work.now,
        today=work.today,
        page=page if isinstance(page, int) else 0,
    )
    assert history is not None  # the card's check passed a moment ago
    return {
        "card": jsonable(card),
        "records": jsonable(history.records),
        "events": jsonable(work.call(person_events, person_id)),
        "page": history.page,
        "pages": history.pages,
    }


def export(
    work: Work, who: Identity, params: dict[str, Any], *, locale: str, chat_id: int
) -> ApiReply | dict[str, Any]:
    """The node on screen as the chat's XLSX (汇总, 完成率, 逾期人员, 网格员考核): downloaded, or
    (`to_chat`, inside Telegram, whose web views may not save a download) sent to the caller's chat
    through the outbox with the chat's caption, as `/export` sends it."""
    area, period = _area(work, who, params, "export"), _period(work, params)
    _digest, data = work.call(export_report, who.actor, area, period, policy=work.policy, now=work.now)
    name = f"gridcare-{area.code}-{period.kind}-{period.end.isoformat()}.xlsx"
    if params.get("to_chat") is not True:
        return ApiReply(200, file=data, filename=name)
    caption = work.renderer.render(locale, "supervisor/export_caption", area=area, period=period)
    work.call(
        enqueue,
        message=SendDocument(chat_id, name, data, caption),
        purpose="export",
        dedupe_key=f"miniapp-export:{chat_id}:{area.id}:{period.kind}:{work.now.isoformat()}",
        now=work.now,
    )
    return {"sent": True}
