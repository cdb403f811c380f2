"""The Mini App's requests: the caller resolved, the role checked against MATRIX, the work done by
the same services as chat (framework-neutral; bot/miniapp/ carries it over HTTP).

Every request names its objects by id in a JSON body (never in the URL), and every id is checked
again against the caller's jurisdiction by the service that resolves it, whose refusal is audited:
editing a request to name another area, worker, person or record gets a 403 and an audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from handlers.context import Work
from handlers.miniapp import views
from handlers.miniapp.initdata import WebAppUser
from handlers.miniapp.jsonable import jsonable
from handlers.miniapp.replies import ApiReply, BadRequest, Refused
from models.access import Action, scope_of
from models.audit import audit
from models.services.identity import Identity, chat_locale, resolve

LABEL_PREFIXES = ("ma_", "cc_kind_", "sv_kind_", "sv_val_", "sv_ob_", "colour_", "status_", "role_")


Endpoint = Callable[[Work, Identity, dict[str, Any]], ApiReply | dict[str, Any]]


def _me(work: Work, who: Identity, _params: dict[str, Any], *, locale: str) -> dict[str, Any]:
    labels = {k: v for k, v in work.renderer.labels(locale).items() if k.startswith(LABEL_PREFIXES)}
    area = views.own_area(work, who)
    return {
        "locale": locale,
        "role": who.principal.value,
        "can_review": scope_of(who.principal, Action.review_record) is not None,
        "area": jsonable(area),
        "labels": labels,
    }


ENDPOINTS: dict[str, tuple[Action, Endpoint]] = {
    "node": (Action.view_digest, views.node),
    "worker": (Action.view_digest, views.worker),
    "queue": (Action.review_record, views.queue),
    "review": (Action.review_record, views.review),
    "person": (Action.view_card, views.person),
}


def serve(work: Work, user: WebAppUser, endpoint: str, params: dict[str, Any]) -> ApiReply:
    """Answer one request of a verified Mini App user, in one unit of work."""
    who = work.call(resolve, user.id)
    locale = work.renderer.locale_of(work.call(chat_locale, user.id), who.locale, user.language_code)
    handler: Endpoint
    if endpoint == "me":
        action, handler = Action.view_digest, partial(_me, locale=locale)
    elif endpoint == "export":  # the file may go to the caller's chat, in its language
        action, handler = Action.export, partial(views.export, locale=locale, chat_id=user.id)
    elif endpoint in ENDPOINTS:
        action, handler = ENDPOINTS[endpoint]
    else:
        return ApiReply(404, {"error": "not_found"})
    if scope_of(who.principal, action) is None:  # a family member, a grid worker, a stranger
        work.call(audit, who.actor, "refused", "action", None, at=work.now, detail=f"miniapp:{action}")
        return ApiReply(403, {"error": "not_allowed"})
    try:
        answer = handler(work, who, params)
    except Refused:
        return ApiReply(403, {"error": "not_allowed"})
    except BadRequest:
        return ApiReply(400, {"error": "bad_request"})
    return answer if isinstance(answer, ApiReply) else ApiReply(200, answer)
