"""The columns of the records export that only one kind of record has (see record_columns)."""

from __future__ import annotations

from models.records import NOT_MET, RecordKind
from models.services.spreadsheets.record_columns import (
    NUMBER_EN,
    NUMBER_ZH,
    TEXT_EN,
    TEXT_ZH,
    YES_NO_EN,
    YES_NO_ZH,
    ExportColumn,
    detail,
    group,
    labelled,
    result,
    subkind,
    suggested_colour,
    topic,
)

_ROUTINE = ExportColumn(
    "routine",
    "快捷录入",
    "用一键“常规”按钮录入",
    "filed with the one-tap routine button",
    lambda r, v: v.flag(detail("routine")(r, v)),
    allowed_zh=YES_NO_ZH,
    allowed_en=YES_NO_EN,
)

KIND_COLUMNS: dict[RecordKind, tuple[ExportColumn, ...]] = {
    RecordKind.visit: (
        ExportColumn(
            "visit_kind", "走访方式", "见面或联系的方式", "how they met", subkind("rp_vk_"), "rp_vk_"
        ),
        ExportColumn(
            "met",
            "见到本人",
            "是否见到本人（未见到本人不计入见面任务）",
            "whether the person was met (a visit that did not meet them is no meeting)",
            lambda r, v: v.flag(r.record.result != NOT_MET),
            allowed_zh=YES_NO_ZH,
            allowed_en=YES_NO_EN,
        ),
        ExportColumn(
            "not_met_reason",
            "未见到原因",
            "未见到本人的原因",
            "why the person was not met",
            labelled("rp_nm_", detail("reason")),
            "rp_nm_",
        ),
        ExportColumn(
            "state", "整体情况", "对象当前状况", "the person's state", result("rp_state_"), "rp_state_"
        ),
        ExportColumn(
            "living",
            "生活情况",
            "生活情况",
            "living situation",
            labelled("rp_living_", detail("living")),
            "rp_living_",
        ),
        ExportColumn(
            "work", "就业情况", "工作情况", "work", labelled("rp_work_", detail("work")), "rp_work_"
        ),
        ExportColumn(
            "social",
            "社会交往",
            "是否与吸毒人员接触",
            "contact with drug users",
            labelled("rp_social_", detail("social")),
            "rp_social_",
        ),
        ExportColumn(
            "place",
            "地点",
            "见面地点",
            "where they met",
            lambda r, v: r.record.place,
            allowed_zh=TEXT_ZH,
            allowed_en=TEXT_EN,
        ),
        _ROUTINE,
    ),
    RecordKind.drug_test: (
        ExportColumn("sample", "检测样本", "样本类型", "sample", subkind("rp_sample_"), "rp_sample_"),
        ExportColumn(
            "method",
            "检测方法",
            "检测方法",
            "method",
            labelled("rp_method_", detail("method")),
            "rp_method_",
        ),
        ExportColumn("test_result", "检测结果", "检测结果", "result", result("rp_result_"), "rp_result_"),
        ExportColumn(
            "substances",
            "检出物质",
            "阳性时检出的物质（可多项）",
            "substances found (several allowed)",
            lambda r, v: v.labels_of("rp_sub_", detail("substances")(r, v)),
            "rp_sub_",
        ),
        _ROUTINE,
    ),
    RecordKind.education: (
        ExportColumn(
            "education_format",
            "教育形式",
            "个别或集中教育",
            "individual or group",
            subkind("rp_edu_"),
            "rp_edu_",
        ),
        ExportColumn(
            "topic",
            "教育主题",
            "主题（或填报人输入的主题）",
            "topic (or one typed by the worker)",
            topic,
            "rp_topic_",
        ),
        ExportColumn(
            "group_size",
            "集中教育人数",
            "同一次集中活动记录的人数",
            "people recorded in the same group session",
            group("size"),
            allowed_zh=NUMBER_ZH,
            allowed_en=NUMBER_EN,
        ),
        ExportColumn(
            "campaign",
            "宣传日活动",
            "宣传日活动的编码（6·3、6·26、12·4 等）",
            "the campaign day's code (6·3, 6·26, 12·4 ...)",
            detail("campaign"),
            allowed_zh=TEXT_ZH,
            allowed_en=TEXT_EN,
        ),
        ExportColumn(
            "campaign_on",
            "宣传日日期",
            "宣传日的日期",
            "the campaign day's date",
            group("campaign_on"),
            allowed_zh="YYYY-MM-DD",
            allowed_en="YYYY-MM-DD",
        ),
    ),
    RecordKind.thought_report: (
        ExportColumn(
            "report_form", "汇报形式", "书面或口头", "written or spoken", subkind("rp_tr_"), "rp_tr_"
        ),
    ),
    RecordKind.assessment: (
        ExportColumn(
            "assessment_kind",
            "评估类型",
            "半年量化评估或年度综合评估",
            "half-yearly quantitative or yearly comprehensive",
            subkind("rp_ak_"),
            "rp_ak_",
        ),
        ExportColumn(
            "score",
            "评估得分",
            "评估得分",
            "the assessment's score",
            lambda r, v: r.record.score,
            allowed_zh="0–100 的整数",
            allowed_en="integer 0–100",
        ),
        ExportColumn(
            "suggested_colour",
            "建议风险等级",
            "评估建议的风险等级（或保持现有分类）",
            "the risk class the assessment suggests (or keep the current one)",
            suggested_colour,
            "colour_",
        ),
    ),
    RecordKind.help: (
        ExportColumn("help_kind", "帮扶类型", "帮扶的种类", "kind of help", subkind("rp_help_"), "rp_help_"),
    ),
    RecordKind.counselling: (
        ExportColumn(
            "counselling_mode", "辅导方式", "辅导方式", "how", subkind("rp_cs_mode_"), "rp_cs_mode_"
        ),
        ExportColumn(
            "counselling_focus",
            "辅导重点",
            "辅导重点",
            "focus",
            labelled("rp_cs_focus_", detail("focus")),
            "rp_cs_focus_",
        ),
        ExportColumn(
            "counselling_outcome", "辅导效果", "辅导效果", "outcome", result("rp_cs_out_"), "rp_cs_out_"
        ),
    ),
    RecordKind.registration: (
        ExportColumn(
            "registration_place",
            "报到地点",
            "报到地点",
            "where the person registered",
            subkind("rp_reg_place_"),
            "rp_reg_place_",
        ),
    ),
}
