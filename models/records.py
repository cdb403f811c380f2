"""What workers record about a person: visits, drug tests, education, reports, assessments, help."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.casework import ReviewVerdict


class RecordKind(StrEnum):
    visit = "visit"  # 走访/见面
    drug_test = "drug_test"  # 吸毒检测 (尿检 ...)
    education = "education"  # 法制教育
    thought_report = "thought_report"  # 思想汇报
    assessment = "assessment"  # 量化评估 / 综合评估
    help = "help"  # 帮扶: job, training, allowance, insurance
    counselling = "counselling"  # 心理咨询
    registration = "registration"  # 报到
    note = "note"


class VisitKind(StrEnum):
    home = "home"
    station = "station"
    elsewhere = "elsewhere"
    phone = "phone"


FACE_TO_FACE = (VisitKind.home, VisitKind.station, VisitKind.elsewhere)
NOT_MET = "not_met"  # a visit's result when the person was not found (未见到本人): an attempt, no meeting


class NotMetReason(StrEnum):
    """Why a visit did not meet the person (未见到本人)."""

    not_home = "not_home"
    refused = "refused"
    moved_away = "moved_away"
    other = "other"


class Sample(StrEnum):
    urine = "urine"
    hair = "hair"
    saliva = "saliva"
    blood = "blood"


class TestMethod(StrEnum):
    rapid_kit = "rapid_kit"
    lab = "lab"


class TestResult(StrEnum):
    negative = "negative"
    positive = "positive"
    refused = "refused"
    invalid = "invalid"
    absent = "absent"


TAKEN_RESULTS = (TestResult.negative, TestResult.positive)
ALERT_RESULTS = (TestResult.positive, TestResult.refused, TestResult.absent)


class Substance(StrEnum):
    methamphetamine = "methamphetamine"
    opiates = "opiates"
    ketamine = "ketamine"
    mdma = "mdma"
    cannabis = "cannabis"
    cocaine = "cocaine"
    other = "other"


class AssessmentKind(StrEnum):
    quantitative = "quantitative"  # 量化评估, half-yearly
    comprehensive = "comprehensive"  # 综合评估, yearly


class HelpKind(StrEnum):
    job = "job"
    training = "training"
    allowance = "allowance"  # 低保
    medical_insurance = "medical_insurance"
    social_insurance = "social_insurance"
    other = "other"


class Record(Base):
    """One record about one person. Never deleted: voided, with the history in the audit log.

    A correction is a new record whose `corrects_id` names the one it replaces; the replaced one
    is voided with the reason "corrected", so the chain keeps every version and only the newest
    counts for obligations. Apart from the void, only the latest review's time and verdict are
    ever written to a record after it is filed (the reviews themselves are kept in `reviews`).

    `subkind` holds the visit kind, sample, assessment kind or help kind; `result` the test result
    or suggested colour; `details` the structured observations of the form.
    """

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[RecordKind] = mapped_column(Enum(RecordKind, native_enum=False, length=20))
    subkind: Mapped[str | None] = mapped_column(String(30))
    result: Mapped[str | None] = mapped_column(String(30))
    score: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    photo_ref: Mapped[str | None] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    on_behalf_of: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), doc="delegating worker")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False, doc="filed over 48 h after it happened")
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("records.id"), index=True, doc="the record this one corrects (that one is voided)"
    )
    # The latest review's (by id), kept with every review saved (models.services.review.marking):
    # whether a report awaits review or has errors open is read here, not worked out from `reviews`.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="when the latest review was made")
    review_verdict: Mapped[ReviewVerdict | None] = mapped_column(
        Enum(ReviewVerdict, native_enum=False, length=12), doc="the latest review's verdict"
    )

    __table_args__ = (
        Index("ix_records_person_kind_time", "person_id", "kind", "occurred_at"),
        Index("ix_records_kind_time", "kind", "occurred_at"),  # a period's records of a kind (the digest)
        Index("ix_records_created_at", "created_at"),
    )
