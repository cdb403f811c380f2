"""A supervisor's verdict on a report, told: the author learns it (and the comment) with the record's
correction button when it has errors. From a chat or the Mini App alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from models.buttons import RecordChange
from models.casework import ReviewVerdict
from models.services.identity import Identity
from models.services.notify import Notifier
from models.services.review.marking import Reviewed, review_record


def give_verdict(
    session: Session,
    notifier: Notifier,
    who: Identity,
    record_id: int,
    verdict: ReviewVerdict,
    comment: str | None,
    *,
    now: datetime,
) -> Reviewed | None:
    """Save the verdict (models.services.review.marking.review_record; None, audited, if not theirs to review)
    and tell the author, with the record id, to correct it if needed."""
    reviewed = review_record(session, who, record_id, verdict, comment, now=now)
    if reviewed is None or reviewed.author_chat_id is None:
        return reviewed
    wrong = reviewed.verdict is ReviewVerdict.has_errors
    notifier.notify(
        reviewed.author_chat_id,
        "supervisor/review_notice",
        purpose="notice",
        dedupe_key=f"review:{reviewed.review_id}",
        # the reporting forms' correction button (handlers.reports.corrections)
        buttons=[[("sv_correct_report", RecordChange(reviewed.record_id, "c").pack())]] if wrong else (),
        review=reviewed,
        kind=f"sv_kind_{reviewed.kind}",
    )
    return reviewed
