"""The demo city's fake identities and random draws: names, numbers, colours, statuses, rhythms.

Nothing here can be mistaken for a real person: given names use the characters 演/示/测
("demo", "show", "test"), ID numbers carry the region prefix 990000 (no region has it), phones
start 1990000 and every address is on 演示路 ("Demo Road"). Every draw takes the caller's
`random.Random`, so a seed decides the whole city.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache

from models.people import Colour, Status
from models.records import TestResult, VisitKind
from models.services.directory.entries import pinyin_initials

CITY_CODE = "DEMO"  # every code of the demo city starts with it
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林"
GIVEN_MARKS = "演示测"  # the first given-name character marks every name as demo data
GIVEN_REST = "明华军芳强丽伟静敏磊洋勇艳杰娟涛超霞平刚"
DEMO_REGION = "990000"
DEMO_PHONE_PREFIX = "1990000"

_DIGITS = "零一二三四五六七八九"
_UNITS = ("", "十", "百", "千", "万")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_BORN_FROM = date(1960, 1, 1)
_BORN_SPAN_DAYS = 45 * 365
_COLOURS = list(Colour)  # highest risk first
PROGRAMME_YEARS = 3


def fake_name(rng: random.Random, surname: str | None = None) -> str:
    """A three-character name like 王演明: a common surname, a demo mark, one more character."""
    return (surname or rng.choice(SURNAMES)) + rng.choice(GIVEN_MARKS) + rng.choice(GIVEN_REST)


@cache
def initials(name: str) -> str:
    """Pinyin initials, cached: the demo names come from a pool of a few hundred."""
    return pinyin_initials(name)


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三, 105 → 一百零五; numbers of 100,000 and more stay in digits."""
    if not 0 < n < 100_000:
        return str(n)
    digits = str(n)
    parts: list[str] = []
    pending_zero = False
    for i, ch in enumerate(digits):
        if ch == "0":
            pending_zero = True
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        parts.append(_DIGITS[int(ch)] + _UNITS[len(digits) - 1 - i])
    text = "".join(parts)
    return text[1:] if 10 <= n < 20 else text  # 十一, not 一十一


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of an ID-card number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(number: str) -> bool:
    """18 characters, 17 digits and a matching GB 11643 check character."""
    return len(number) == 18 and number[:17].isdigit() and id_check_digit(number[:17]) == number[17]


def fake_id_number(rng: random.Random) -> str:
    """A well-formed ID-card number in the non-existent region 990000, born 1960–2004."""
    born = _BORN_FROM + timedelta(days=rng.randrange(_BORN_SPAN_DAYS))
    body = f"{DEMO_REGION}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + id_check_digit(body)


def fake_phone(rng: random.Random) -> str:
    """A mobile number in the 1990000xxxx demo block."""
    return f"{DEMO_PHONE_PREFIX}{rng.randrange(10_000):04d}"


def work_phone(n: int) -> str:
    """The n-th worker's work phone, in the 1990001xxxx demo block."""
    return f"1990001{n % 10_000:04d}"


def fake_address(rng: random.Random) -> str:
    """A house on Demo Road: 演示路N号."""
    return f"演示路{rng.randint(1, 999)}号"


def pick_colour(rng: random.Random) -> Colour:
    """Red 5 %, orange 15 %, white 30 %, blue 50 %."""
    r = rng.random()
    return (
        Colour.red if r < 0.05 else Colour.orange if r < 0.20 else Colour.white if r < 0.50 else Colour.blue
    )


def neighbour_colour(rng: random.Random, colour: Colour) -> Colour:
    """A colour one step up or down from `colour`: where a later reassessment came from."""
    i = _COLOURS.index(colour)
    up = i == len(_COLOURS) - 1 or (i > 0 and rng.random() < 0.5)
    return _COLOURS[i - 1] if up else _COLOURS[i + 1]


def pick_status(rng: random.Random, colour: Colour) -> Status:
    """Red means compulsory isolation; otherwise mostly detox or rehab, a few released or moved out."""
    if colour is Colour.red:
        return Status.compulsory_isolation
    r = rng.random()
    if r < 0.02:
        return Status.released
    if r < 0.03:
        return Status.moved_out
    return Status.community_rehab if r < 0.40 else Status.community_detox


def programme_end(start: date) -> date:
    """Three years from the start, less a day (29 February falls back to the 28th)."""
    try:
        anniversary = start.replace(year=start.year + PROGRAMME_YEARS)
    except ValueError:
        anniversary = start.replace(year=start.year + PROGRAMME_YEARS, day=28)
    return anniversary - timedelta(days=1)


def release_date(rng: random.Random, today: date) -> date:
    """Most release dates lie ahead; a few have just passed (re-registration pending)."""
    if rng.random() < 0.85:
        return today + timedelta(days=rng.randint(30, 720))
    return today - timedelta(days=rng.randint(1, 14))


def days_ago(rng: random.Random, period: int, oldest: int, *, late: float, skipped: float = 0.0) -> list[int]:
    """Days ago of a duty done every `period` days, back to `oldest`: the latest may be overdue
    (share `late`), and some earlier ones skipped (share `skipped`)."""
    ago = rng.randrange(period) if rng.random() >= late else period + 1 + rng.randrange(period)
    found = []
    while ago <= oldest:
        if rng.random() >= skipped:
            found.append(ago)
        ago += period + rng.randint(-1, 1)
    return found


def visit_kind(rng: random.Random) -> VisitKind:
    """Home 60 %, at the station 30 %, elsewhere 10 %: always face to face."""
    r = rng.random()
    return VisitKind.home if r < 0.6 else VisitKind.station if r < 0.9 else VisitKind.elsewhere


def drug_test_result(rng: random.Random) -> TestResult:
    """Positive 3 %, refused 1.5 %, absent 1 %, otherwise negative."""
    r = rng.random()
    if r < 0.03:
        return TestResult.positive
    if r < 0.045:
        return TestResult.refused
    if r < 0.055:
        return TestResult.absent
    return TestResult.negative
