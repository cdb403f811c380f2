"""Typed button data (handlers.callbacks, models.callback_data): one class per button kind builds and
reads its data, junk reads as nothing, and the strings are those the bot always sent."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Annotated, Literal

import pytest

from handlers import callbacks as kinds
from handlers.callbacks import (
    AreaDigest,
    CardOpen,
    CaseloadMore,
    FamilyInvite,
    FamilyStop,
    FamilyUrgent,
    HistoryOpen,
    PauseAction,
    PlaceChoice,
    RecordChange,
    ReportStart,
    SlotBook,
    VerdictGiven,
    WhyOpen,
    WorkerOverdue,
)
from handlers.family.consent import ConsentV1
from handlers.groups.picker import GroupPickV1
from handlers.onboarding import SwitchAnswerV1
from models.callback_data import DATA_LIMIT, CallbackData
from models.services.appointments.booking import Place

KINDS = [
    k
    for k in vars(kinds).values()
    if isinstance(k, type) and issubclass(k, CallbackData) and k is not CallbackData
]


def parse(data: str) -> CallbackData | None:
    """A whole callback string read as the router reads it: by its prefix, then the kind's parse."""
    prefix, _, payload = data.partition(":")
    kind = {k.PREFIX: k for k in KINDS}[prefix]
    return kind.parse(payload)


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (CardOpen(12), "p:12"),
        (ReportStart("routine", 7), "r:routine:7"),
        (RecordChange(3, "v"), "rc:3:v"),
        (HistoryOpen(5, 0), "h:5:0"),
        (HistoryOpen(5, 2, "e"), "h:5:2:e"),
        (FamilyInvite(9), "fi:9"),
        (FamilyInvite(9, 3), "fi:9:3"),
        (FamilyUrgent(), "fu:"),
        (FamilyStop(), "fs:yes"),
        (PlaceChoice(4), "apl:4"),
        (PlaceChoice(4, Place.office), "apl:4:office"),
        (SlotBook(8, "202612041430"), "as:8:202612041430"),
        (PauseAction("end", 1, 2), "pz:end:1:2"),
        (PauseAction("new", 1), "pz:new:1"),
        (AreaDigest(6, "w20261204"), "dg:6:w20261204"),
        (AreaDigest(6), "dg:6"),
        (WorkerOverdue(2, date(2026, 3, 4)), "dw:2:20260304"),
        (VerdictGiven(10, "no", 3), "rv:10:no:3"),
        (CaseloadMore(0, ""), "my:0:"),
        (CaseloadMore(1, "王:五"), "my:1:王:五"),
        (WhyOpen(12, "drug_test", date(2026, 1, 5)), "why:12:drug_test:20260105"),
        (WhyOpen(12, "drug_test"), "why:12:drug_test"),
    ],
)
def test_a_button_packs_to_the_string_the_bot_always_sent_and_reads_back(button, data):
    assert button.pack() == data
    assert parse(data) == button


@pytest.mark.parametrize(
    "data",
    # strings under messages already sent (before the typed classes): they still work
    [
        "p:1",
        "r:visit:123456789012345678",
        "rc:7:c",
        "h:3:1:e",
        "cp:4:y",
        "de:2",
        "td:3",
        "rt:0730",
        "rt:default",
        "ack:5",
        "acl:5",
        "fr:6",
        "fm:6",
        "ft:2",
        "tu:8",
        "tp:8",
        "fmr:0",
        "ap:3",
        "apc:3",
        "rq:4:0",
        "ex:m20261201",
        "lang:zh_CN",
        "dg:5:d20261203",
        "dw:5",
    ],
)
def test_data_already_in_chats_still_parses(data):
    parsed = parse(data)
    assert parsed is not None and parsed.pack() == data


@pytest.mark.parametrize(
    "data",
    [
        "p:²",
        "p:-1",
        "p:",
        "p:1.5",
        "p:١٢",
        "p:" + "9" * 19,
        "p:1:2",
        "p: 1",
        "r:visit",
        "r:Visit!:1",
        "rc:1:x",
        "rc:1",
        "h:1",
        "h:1:0:x",
        "h:1:0:e:e",
        "cp:1:yes",
        "fi:1:",
        "fi:1:²",
        "fu:x",
        "fs:no",
        "fs:",
        "apl:1:garden",
        "as:x:202603040900",
        "as:1:2026-03-04",
        "pz:stop:1",
        "pz:new",
        "fmr:2",
        "dg:1:x20260101",
        "dw:1:20261340",
        "rv:1:ok",
        "rv:1:maybe:2",
        "td:12345",
        "rt:7:30",
        "why:1",
        "my:x:",
        "my:" + "1" * 7 + ":",
    ],
)
def test_junk_reads_as_nothing(data):
    assert parse(data) is None


def test_data_is_checked_against_telegrams_64_bytes():
    assert len(CaseloadMore(0, "欧" * 19).pack().encode()) <= DATA_LIMIT
    with pytest.raises(ValueError):
        CaseloadMore(0, "欧" * 20).pack()  # 5 + 60 bytes
    assert CaseloadMore.parse("0:" + "x" * DATA_LIMIT) is None


def test_what_would_not_read_back_is_not_packed():
    for bad in (CardOpen(-1), CardOpen(10**18), RecordChange(1, "x"), ReportStart("no:colons", 1)):  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            bad.pack()


def test_a_field_type_the_codec_does_not_know_is_refused():
    @dataclass(frozen=True)
    class Loose(CallbackData, prefix="zz"):
        text: str  # free text needs a pattern

    with pytest.raises(TypeError):
        Loose("x").pack()


def test_a_new_kind_declares_prefix_and_fields_only():
    @dataclass(frozen=True)
    class Sample(CallbackData, prefix="zq"):
        item: int
        mode: Literal["a", "b"]
        tag: Annotated[str, r"[a-z]{2}"] | None = None

    assert Sample(1, "a").pack() == "zq:1:a" and Sample.parse("1:b:xy") == Sample(1, "b", "xy")
    assert Sample.parse("1:c") is None and Sample.parse("1:a:xyz") is None


def test_the_hand_packed_why_agrees_with_the_generic_pack():
    why = WhyOpen(123456789012, "comprehensive_assessment", date(2026, 1, 1))
    assert why.pack() == CallbackData.pack(why)


def test_every_kind_has_a_prefix_of_its_own_and_typed_fields():
    every = [*KINDS, ConsentV1, GroupPickV1, SwitchAnswerV1]
    prefixes = [k.PREFIX for k in every]
    assert len(prefixes) == len(set(prefixes))
    for kind in [*KINDS, ConsentV1, GroupPickV1]:
        kind._codecs()  # raises for a field the codec cannot read
        assert fields(kind) is not None


def test_the_older_typed_kinds_keep_their_strings():
    assert ConsentV1().pack() == "fc:yes" and ConsentV1.parse("yes") == ConsentV1()
    assert SwitchAnswerV1(False).pack() == "iv:n" and SwitchAnswerV1.parse("y:w1") is None
    press = GroupPickV1("t3", "0a1b2c", 1, "ff")
    assert press.pack() == "gp:t3:0a1b2c:1:ff" and GroupPickV1.parse("t3:0a1b2c:1:ff") == press
    assert GroupPickV1.parse("t3:0a1b2c:²:ff") is None


def test_every_button_kind_the_router_knows_is_a_typed_class():
    from handlers.setup import build_router

    router = build_router()
    for prefix, route in router.buttons.items():
        assert issubclass(route.kind, CallbackData) and prefix == route.kind.PREFIX, prefix
    # and every kind declared is routed: no class without its handler
    assert {r.kind for r in router.buttons.values()} == {*KINDS, ConsentV1, GroupPickV1, SwitchAnswerV1}
