"""The week's or month's report as a workbook (导出): one sheet per table, Chinese headers.

Its figures are the digest's own (`models.services.digest.summary.build_digest`) and the performance
table's (`models.services.performance.table`), so a spreadsheet never disagrees with the chat.
People appear by code only.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from models.audit import Actor, audit
from models.policy import Policy
from models.services.digest.rows import OverduePerson
from models.services.digest.scope import AreaRef
from models.services.digest.summary import Digest, Period, build_digest, overdue_list
from models.services.performance.table import WorkerPerformance, worker_performance
from models.services.spreadsheets.exporting import Table, write_xlsx
from models.services.spreadsheets.tables import COLOUR_ZH, ROLE_ZH

OBLIGATION_ZH = {
    "meeting": "见面",
    "drug_test": "吸毒检测",
    "education": "法制教育",
    "thought_report": "思想汇报",
    "quantitative_assessment": "量化评估",
    "comprehensive_assessment": "综合评估",
    "counselling": "心理咨询",
    "registration": "报到",
}

# (项目, the figure): the digest's figures in the order the chat shows them.
SUMMARY: tuple[tuple[str, Callable[[Digest], object]], ...] = (
    ("在册人员", lambda d: d.people.total),
    *((f"在册人员·{COLOUR_ZH[c]}", lambda d, c=c: dict(d.people.by_colour)[c]) for c in COLOUR_ZH),
    ("强制隔离戒毒", lambda d: d.people.in_isolation),
    ("见面·应完成", lambda d: d.meetings.total),
    ("见面·已完成", lambda d: d.meetings.done),
    ("见面·待完成", lambda d: d.meetings.due),
    ("见面·逾期", lambda d: d.meetings.overdue),
    ("见面·完成率(%)", lambda d: d.meetings.done_rate),
    ("检测·应完成", lambda d: d.tests.total),
    ("检测·已完成", lambda d: d.tests.done),
    ("检测·待完成", lambda d: d.tests.due),
    ("检测·逾期", lambda d: d.tests.overdue),
    ("检测·完成率(%)", lambda d: d.tests.done_rate),
    ("其他事项·应完成", lambda d: d.others.total),
    ("其他事项·已完成", lambda d: d.others.done),
    ("其他事项·逾期", lambda d: d.others.overdue),
    ("逾期人数", lambda d: d.people_overdue),
    ("逾期超期人数", lambda d: d.escalated),
    ("检测阳性", lambda d: d.filed.positive),
    ("拒绝检测", lambda d: d.filed.refused),
    ("未到检", lambda d: d.filed.missed),
    ("紧急求助", lambda d: d.alerts.raised),
    ("紧急求助·已响应", lambda d: d.alerts.acknowledged),
    ("紧急求助·未响应", lambda d: d.alerts.open),
    ("紧急求助·响应中位数(分钟)", lambda d: d.alerts.median_minutes),
    ("家属留言超24小时未回复", lambda d: d.unanswered_messages),
    ("风险等级升级", lambda d: d.colour_changes.up),
    ("风险等级降级", lambda d: d.colour_changes.down),
    ("新报到", lambda d: d.people.registrations),
    ("出所", lambda d: d.people.releases),
    ("期满解除", lambda d: d.people.programme_ends),
    ("暂停管控·当前", lambda d: d.pauses.current),
    ("暂停管控·新增", lambda d: d.pauses.started),
    ("填报记录", lambda d: d.filed.records),
    ("迟报记录", lambda d: d.filed.late),
    ("待审核报表", lambda d: d.reviews.awaiting),
    ("审核有误待更正", lambda d: d.reviews.errors_open),
    ("无法送达·工作人员", lambda d: d.unreachable.workers),
    ("无法送达·家属", lambda d: d.unreachable.families),
)
BAR_HEADERS = ["编码", "名称", "应完成", "已完成", "逾期", "完成率(%)"]
OVERDUE_HEADERS = ["对象编号", "责任网格员工号", "逾期天数", "逾期事项"]
PERFORMANCE_HEADERS = [
    "工号",
    "姓名",
    "角色",
    "填报记录",
    "迟报记录",
    "按时完成",
    "补录完成",
    "未完成",
    "按时率(%)",
    "审核正确",
    "审核有误",
    "家属留言",
    "超24小时未回复",
    "留言响应中位数(分钟)",
    "紧急求助响应",
    "求助响应中位数(分钟)",
    "考核得分",
]


def summary_table(digest: Digest) -> Table:
    rows: list[list[object]] = [
        ["区域", f"{digest.area.code} {digest.area.name}"],
        ["起始日期", digest.period.start],
        ["截止日期", digest.period.end],
    ]
    rows += [[label, figure(digest)] for label, figure in SUMMARY]
    return ["项目", "数值"], rows


def bars_table(digest: Digest) -> Table:
    rows: list[list[object]] = [[b.code, b.name, b.total, b.done, b.overdue, b.rate] for b in digest.bars]
    return list(BAR_HEADERS), rows


def overdue_table(overdue: Sequence[OverduePerson]) -> Table:
    rows: list[list[object]] = [
        [
            p.person_code,
            p.worker_code,
            p.days_overdue,
            "、".join(OBLIGATION_ZH.get(o, o) for o in p.obligations),
        ]
        for p in overdue
    ]
    return list(OVERDUE_HEADERS), rows


def performance_table(figures: list[WorkerPerformance]) -> Table:
    rows: list[list[object]] = [
        [
            w.code,
            w.name,
            ROLE_ZH[w.role],
            w.records,
            w.late_records,
            w.met_on_time,
            w.met_late,
            w.missed,
            w.on_time_rate,
            w.reviewed_correct,
            w.reviewed_errors,
            w.messages,
            w.messages_slow,
            w.message_median_minutes,
            w.alerts,
            w.alert_median_minutes,
            w.score,
        ]
        for w in figures
    ]
    return list(PERFORMANCE_HEADERS), rows


def workbook(digest: Digest, overdue: Sequence[OverduePerson], figures: list[WorkerPerformance]) -> bytes:
    """The XLSX bytes: 汇总, 完成率, 逾期人员, 网格员考核."""
    sheets = {
        "汇总": summary_table(digest),
        "网格员完成率" if digest.bars_are_workers else "下级区域完成率": bars_table(digest),
        "逾期人员": overdue_table(overdue),
        "网格员考核": performance_table(figures),
    }
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def export_report(
    session: Session, actor: Actor, area: AreaRef, period: Period, *, policy: Policy, now: datetime
) -> tuple[Digest, bytes]:
    """The period's digest and its workbook for an area the caller may see; the export is audited."""
    digest = build_digest(session, area, period, policy=policy, now=now)
    overdue = overdue_list(session, digest, policy)
    figures = worker_performance(session, area.path, period, policy=policy, now=now)
    audit(
        session, actor, "export", "digest", area.id, at=now, detail=f"{period.kind}:{period.end.isoformat()}"
    )
    return digest, workbook(digest, overdue, figures)
