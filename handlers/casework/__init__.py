"""A case's life (issue 14 §1): status changes, transfers, agreements and 建档, from the person card."""

from __future__ import annotations

from handlers.casework.decide import on_decide
from handlers.casework.form import CASE_CHANGE
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.reports.card import parse_id
from handlers.router import Router
from models.access import Action
from models.services.rights import may


def make_on_start(engine: Engine):  # type: ignore[no-untyped-def]
    def on_start(ctx: Ctx, payload: str) -> None:
        """`cc:<person>`: the 状态变更 form for that person (rights checked, refusal audited)."""
        person_id = parse_id(payload)
        if person_id is None or not ctx.call(
            may, ctx.identity, Action.propose_case_change, person_id, now=ctx.now, today=ctx.today
        ):
            ctx.answer("errors/not_allowed", alert=True)
            return
        ctx.answer()
        engine.start(ctx, "case_change", {"person": str(person_id)})

    return on_start


def register(router: Router, engine: Engine) -> None:
    engine.add(CASE_CHANGE)
    router.button("cc", Action.propose_case_change, make_on_start(engine))
    router.button("cd", Action.confirm_case_change, on_decide)
    router.button("ct", Action.accept_transfer, on_decide)
