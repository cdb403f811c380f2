"""Worker reporting (issue 4): the person card, every report form, corrections, history,
colour decisions and delegation. Registration order is the menu order of these commands."""

from __future__ import annotations

from collections.abc import Callable

from handlers.arguments import term
from handlers.callbacks import CardOpen, ColourDecision, DelegationEnd, HistoryOpen, RecordChange, ReportStart
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.reports.assessment import ASSESSMENT
from handlers.reports.card import make_on_report, on_card, start_report
from handlers.reports.colour import on_colour
from handlers.reports.corrections import VOID, make_on_correct
from handlers.reports.counselling import COUNSELLING
from handlers.reports.delegate import DELEGATE, make_cmd_delegate, on_end_delegation
from handlers.reports.drug_test import DRUG_TEST
from handlers.reports.education import EDUCATION
from handlers.reports.help import HELP_GIVEN
from handlers.reports.history import cmd_history, on_history
from handlers.reports.registration import REGISTRATION
from handlers.reports.thought_report import THOUGHT_REPORT
from handlers.reports.visit import VISIT
from handlers.router import Router, not_allowed
from models.access import Action
from models.services.cards import find_person


def _command(engine: Engine, kind: str) -> Callable[[Ctx, str], None]:
    def start(ctx: Ctx, arg: str) -> None:
        """/visit, /test, /note [code]: the form, for that person if a code is given."""
        person_id = None
        if arg:
            person_id = ctx.call(
                find_person, ctx.identity, term(arg), Action.write_record, now=ctx.now, today=ctx.today
            )
            if person_id is None:
                ctx.reply("reports/not_found")
                return
        if not start_report(ctx, engine, kind, person_id):
            ctx.reply("errors/not_allowed")

    return start


def register(router: Router, engine: Engine) -> None:
    """The report forms and the buttons and commands around them."""
    from handlers.dialogs.note import NOTE  # here, not above: note.py imports this package's saving

    forms = (VISIT, DRUG_TEST, EDUCATION, THOUGHT_REPORT, ASSESSMENT, HELP_GIVEN, COUNSELLING, REGISTRATION)
    for dialog in (*forms, NOTE, VOID, DELEGATE):
        engine.add(dialog)
    router.command("/visit", Action.write_record, _command(engine, "visit"))
    router.command("/test", Action.write_record, _command(engine, "drug_test"))
    router.command("/note", Action.write_record, _command(engine, "note"))
    router.command("/history", Action.view_card, cmd_history)
    router.command("/delegate", Action.delegate, make_cmd_delegate(engine))
    router.button(CardOpen, Action.view_card, on_card, junk=not_allowed)
    # Checked as a read here, so that a supervisor's press reaches the audited write refusal.
    router.button(ReportStart, Action.view_card, make_on_report(engine))
    router.button(RecordChange, Action.correct_record, make_on_correct(engine))
    router.button(HistoryOpen, Action.view_card, on_history)
    router.button(ColourDecision, Action.confirm_colour, on_colour)
    router.button(DelegationEnd, Action.delegate, on_end_delegation, junk=not_allowed)
