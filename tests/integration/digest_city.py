"""A small city with known records, for checking every figure of the digest by hand.

Day D is Wednesday 4 March 2026, the digest runs at 18:00 Shanghai. The week is 2–8 March (its
deadline rolls to Monday 9 March), February's deadline is Saturday 28 February (a swapped
working day), Q4 2025's is 31 December. The schedule (TEST_POLICY): a weekly meeting (orange and
red twice), a monthly drug test and education session, a quarterly thought report.

    T-CITY ─ T-CTY ─ T-TOWN ─ T-COM ─┬─ T-G1: WA (grid worker)   TP01 TP02 TP05 TP06 TP08
             │                        └─ T-G2: WB (grid worker)   TP03 TP04 TP07 TP09
             └ T-CTY2 ─ T-TOWN2 ─ T-COM2 ─ T-G3: WC              TP10
    supervisors: S-CITY, S-CTY, S-CTY2, S-COM (at those areas)

Expected figures are in tests/integration/test_digest_figures.py, each with its reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.areas import Area, AreaLevel
from models.audit import Actor
from models.casework import Pause, ReviewVerdict
from models.chat import Chat
from models.crypto import KeyRing
from models.family import Direction, FamilyMessage, UrgentAlert
from models.people import Colour, FamilyMember, Person, Role, Status, Worker
from models.policy import Policy
from models.records import Record, RecordKind
from models.schedule import RuleSet
from models.services.directory.entries import AreaData, change_colour, upsert_area
from models.services.review.marking import add_review
from tests.factories import make_person, make_tree, make_worker

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, 0, tzinfo=TZ).astimezone(UTC)
TEST_RULES = RuleSet.from_toml(
    """
replace_all = true
[[rule]]
obligation = "meeting"
unit = "week"
colours = ["white", "blue"]
[[rule]]
obligation = "meeting"
unit = "week"
times = 2
colours = ["orange", "red"]
[[rule]]
obligation = "drug_test"
unit = "month"
[[rule]]
obligation = "education"
unit = "month"
[[rule]]
obligation = "thought_report"
unit = "month"
every = 3
"""
)
TEST_POLICY = Policy(tz=TZ, rules=TEST_RULES)


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    """A local Shanghai time, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@dataclass
class City:
    areas: dict[str, Area]
    workers: dict[str, Worker]
    persons: dict[str, Person]
    records: dict[str, Record]


def _area(session: Session, code: str, name: str, level: AreaLevel, parent: str) -> Area:
    area, _ = upsert_area(session, AreaData(code, name, level, parent))
    return area


def build_city(session: Session, keys: KeyRing) -> City:
    tree = make_tree(session)
    areas = {
        "CITY": tree["CITY"],
        "CTY": tree["CTY"],
        "COM": tree["COM"],
        "G1": tree["G1"],
        "G2": _area(session, "T-G2", "第二网格", AreaLevel.grid, "T-COM"),
        "CTY2": _area(session, "T-CTY2", "另一县", AreaLevel.county, "T-CITY"),
    }
    areas["TOWN2"] = _area(session, "T-TOWN2", "另一镇", AreaLevel.town, "T-CTY2")
    areas["COM2"] = _area(session, "T-COM2", "另一社区", AreaLevel.community, "T-TOWN2")
    areas["G3"] = _area(session, "T-G3", "第三网格", AreaLevel.grid, "T-COM2")
    workers = {
        "WA": make_worker(session, areas["G1"], code="WA"),
        "WB": make_worker(session, areas["G2"], code="WB"),
        "WC": make_worker(session, areas["G3"], code="WC"),
        "S-CITY": make_worker(session, areas["CITY"], role=Role.supervisor, code="S-CITY"),
        "S-CTY": make_worker(session, areas["CTY"], role=Role.supervisor, code="S-CTY"),
        "S-CTY2": make_worker(session, areas["CTY2"], role=Role.supervisor, code="S-CTY2"),
        "S-COM": make_worker(session, areas["COM"], role=Role.supervisor, code="S-COM"),
    }
    created = NOW - timedelta(hours=2)

    def person(code: str, grid: str, colour: Colour, start: date, worker: str | None, **extra) -> Person:
        status = extra.pop("status", Status.community_detox)
        made = make_person(
            session,
            areas[grid],
            keys=keys,
            now=created,
            colour=colour,
            status=status,
            worker=workers[worker] if worker else None,
            code=code,
        )
        made.programme_start = start
        for key, value in extra.items():
            setattr(made, key, value)
        return made

    early, february, march = date(2025, 9, 1), date(2026, 2, 2), date(2026, 3, 2)
    persons = {
        "TP01": person("TP01", "G1", Colour.blue, march, "WA"),
        "TP02": person("TP02", "G1", Colour.orange, february, "WA"),
        "TP03": person("TP03", "G2", Colour.white, early, "WB"),
        "TP04": person("TP04", "G2", Colour.blue, early, "WB"),
        "TP05": person("TP05", "G1", Colour.blue, early, None),
        "TP06": person("TP06", "G1", Colour.red, early, "WA", status=Status.compulsory_isolation),
        "TP07": person("TP07", "G2", Colour.white, early, "WB", status=Status.released, programme_end=DAY),
        "TP08": person("TP08", "G1", Colour.blue, DAY, "WA", status=Status.community_rehab, release_date=DAY),
        "TP09": person("TP09", "G2", Colour.blue, march, "WB", registered_on=DAY),
        "TP10": person("TP10", "G3", Colour.blue, march, "WC"),
    }
    session.flush()
    for code, colour in (("TP09", Colour.orange), ("TP07", Colour.blue)):  # one up, one down, today
        p = persons[code]
        change_colour(
            session,
            p,
            colour,
            reason="assessment",
            actor=Actor.cli(),
            now=NOW - timedelta(hours=1),
            old=p.colour,
        )
    records = _records(session, persons, workers)
    _family(session, persons, workers)
    _chats(session, workers)
    _pauses(session, persons)
    _reviews(session, records, workers)
    session.flush()
    return City(areas, workers, persons, records)


def _records(session: Session, persons: dict[str, Person], workers: dict[str, Worker]) -> dict[str, Record]:
    wa, wb, wc = workers["WA"].id, workers["WB"].id, workers["WC"].id
    plan = {
        # name: (person, kind, subkind, result, occurred, created, author, extra)
        "p1_visit": ("TP01", RecordKind.visit, "home", None, at(3, 3), at(3, 3, 18), wa, {}),
        "p1_test": ("TP01", RecordKind.drug_test, "urine", "negative", at(3, 3), at(3, 4, 9), wa, {}),
        "p1_void": ("TP01", RecordKind.note, None, None, at(3, 4), at(3, 4, 11), wa, {"voided": True}),
        "p2_visit1": ("TP02", RecordKind.visit, "home", None, at(2, 25), at(2, 25, 12), wa, {}),
        "p2_visit2": ("TP02", RecordKind.visit, "station", None, at(3, 2), at(3, 2, 12), wa, {}),
        "p2_edu": ("TP02", RecordKind.education, None, None, at(2, 10), at(2, 10, 12), wa, {}),
        "p2_refused": ("TP02", RecordKind.drug_test, "urine", "refused", at(3, 4), at(3, 4, 11), wa, {}),
        "p4_visit": (
            "TP04",
            RecordKind.visit,
            "station",
            None,
            at(2, 26),
            at(2, 26, 12),
            wb,
            {"updated_at": at(3, 1, 9)},
        ),
        "p4_phone": ("TP04", RecordKind.visit, "phone", None, at(3, 3), at(3, 3, 12), wb, {}),
        "p4_test_feb": ("TP04", RecordKind.drug_test, "urine", "positive", at(2, 20), at(2, 20, 12), wb, {}),
        "p4_test_mar": ("TP04", RecordKind.drug_test, "urine", "positive", at(3, 4), at(3, 4, 12), wb, {}),
        "p4_q4": (
            "TP04",
            RecordKind.thought_report,
            None,
            None,
            at(12, 15, year=2025),
            at(12, 15, 12, year=2025),
            wb,
            {},
        ),
        "p4_q1": ("TP04", RecordKind.thought_report, None, None, at(1, 20), at(1, 20, 12), wb, {}),
        "p3_late": ("TP03", RecordKind.note, None, None, at(2, 27), at(3, 4, 13), wb, {"late": True}),
        "p8_reg": ("TP08", RecordKind.registration, None, None, at(3, 4, 9), at(3, 4, 9, 30), wa, {}),
        "p9_absent": ("TP09", RecordKind.drug_test, "urine", "absent", at(3, 4), at(3, 4, 14), wb, {}),
        "p9_visit": ("TP09", RecordKind.visit, "home", None, at(3, 4), at(3, 4, 10, 30), wb, {}),
        "p10_test": ("TP10", RecordKind.drug_test, "urine", "positive", at(3, 4), at(3, 4, 15), wc, {}),
    }
    made = {}
    for name, (code, kind, subkind, result, occurred, created, author, extra) in plan.items():
        values = {"updated_at": created, "late": False, "voided": False, **extra}
        record = Record(
            person_id=persons[code].id,
            kind=kind,
            subkind=subkind,
            result=result,
            occurred_at=occurred,
            created_at=created,
            author_id=author,
            details={},
            **values,
        )
        session.add(record)
        made[name] = record
    session.flush()
    return made


def _family(session: Session, persons: dict[str, Person], workers: dict[str, Worker]) -> None:
    members = {}
    for code, telegram in (("TP01", 9201), ("TP02", 9202), ("TP03", 9203), ("TP04", 9204), ("TP10", 9210)):
        member = FamilyMember(
            person_id=persons[code].id, relation="母亲", telegram_user_id=telegram, verified=True
        )
        session.add(member)
        members[code] = member
    session.flush()

    def message(
        code: str, created: datetime, answered: datetime | None, direction=Direction.from_family
    ) -> None:
        session.add(
            FamilyMessage(
                family_member_id=members[code].id,
                person_id=persons[code].id,
                worker_id=workers["WC" if code == "TP10" else "WA"].id,
                direction=direction,
                kind="text",
                text="测试留言",
                created_at=created,
                answered_at=answered,
            )
        )

    message("TP01", at(3, 2), None)  # waiting 56 hours: counted
    message("TP02", at(3, 3, 20), None)  # waiting 22 hours: not yet
    message("TP03", at(3, 1), at(3, 2))  # answered
    message("TP04", at(3, 1), None, Direction.to_family)  # the worker's own message: not a question
    message("TP10", at(3, 1), None)  # another county

    def alert(code: str, created: datetime, acknowledged: datetime | None) -> None:
        session.add(
            UrgentAlert(
                person_id=persons[code].id,
                family_member_id=members[code].id,
                created_at=created,
                acknowledged_at=acknowledged,
                acknowledged_by=workers["WA"].id if acknowledged else None,
            )
        )

    alert("TP02", at(3, 4, 12), at(3, 4, 12, 10))  # taken in 10 minutes
    alert("TP03", at(3, 4, 13), at(3, 4, 13, 30))  # taken in 30 minutes
    alert("TP04", at(3, 4, 17), None)  # still open
    alert("TP01", at(3, 3, 12), at(3, 3, 12, 5))  # yesterday


def _chats(session: Session, workers: dict[str, Worker]) -> None:
    workers["WA"].telegram_user_id, workers["WB"].telegram_user_id = 9001, 9002
    for chat_id, blocked in ((9001, True), (9002, False), (9202, True), (9210, True)):
        session.add(Chat(chat_id=chat_id, failed_codes=0, unreachable=blocked, created_at=at(1, 1)))


def _pauses(session: Session, persons: dict[str, Person]) -> None:
    session.add(Pause(person_id=persons["TP06"].id, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 10),
                      reason="住院", created_at=at(3, 1)))  # fmt: skip
    session.add(Pause(person_id=persons["TP07"].id, starts_on=DAY, ends_on=date(2026, 3, 20),
                      reason="外出", created_at=at(3, 4)))  # fmt: skip


def _reviews(session: Session, records: dict[str, Record], workers: dict[str, Worker]) -> None:
    by = workers["S-COM"].id

    def review(name: str, verdict: ReviewVerdict, when: datetime) -> None:
        add_review(session, records[name].id, by, verdict, None, at=when)

    review("p1_visit", ReviewVerdict.correct, at(3, 4, 8))
    review("p2_edu", ReviewVerdict.has_errors, at(2, 11))  # still wrong: errors open
    review("p4_visit", ReviewVerdict.has_errors, at(2, 27))  # changed on 1 March: waits again
    review("p2_visit2", ReviewVerdict.has_errors, at(3, 2, 15))
    review("p2_visit2", ReviewVerdict.correct, at(3, 3, 9))  # the latest verdict counts
