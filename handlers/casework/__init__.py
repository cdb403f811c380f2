"""A case's life (issue 14 §1): status changes, transfers, agreements and 建档, from the person card."""

from __future__ import annotations

from collections.abc import Callable

from handlers.callbacks import CaseChangeStart, CaseDecision, TransferDecision
from handlers.casework.decide import on_decide
from handlers.casework.form import CASE_CHANGE
from handlers.context import Ctx
from handlers.dialogs.engine import Engine
from handlers.router import Router, not_allowed
from models.access import Action
from models.services.rights import may


def make_on_start(engine: Engine) -> Callable[[Ctx, CaseChangeStart], None]:
    def on_start(ctx: Ctx, data: CaseChangeStart) -> None:
        """`cc:<person>`: the 状态变更 form for that person (rights checked, refusal audited)."""
        person_id = data.person_id
        if not ctx.call(
            may, ctx.identity, Action.propose_case_change, person_id, now=ctx.now, today=ctx.today
        ):
            ctx.answer("errors/not_allowed", alert=True)
            return
        ctx.answer()
        engine.start(ctx, "case_change", {"person": str(person_id)})

    return on_start


def register(router: Router, engine: Engine) -> None:
    engine.add(CASE_CHANGE)
    router.button(CaseChangeStart, Action.propose_case_change, make_on_start(engine), junk=not_allowed)
    router.button(CaseDecision, Action.confirm_case_change, on_decide, junk=not_allowed)
    router.button(TransferDecision, Action.accept_transfer, on_decide, junk=not_allowed)
