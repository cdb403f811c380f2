"""Telegram's error answers, with Telegram's own wording, and injectable faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status = error_code."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters or {}

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 with the usual "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 flood control answer; retry_after is a whole number of seconds, at least 1."""
    seconds = max(1, int(retry_after))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


_DESCRIPTIONS = {
    401: "Unauthorized",
    403: BLOCKED,
    404: "Not Found",
    409: OTHER_POLLER,
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Fault:
    """A failure to play on the next matching call: an error answer, a delay before answering, or both.

    A delay alone (``Fault.slow(5)``) still performs the call after the delay, like a Telegram that
    accepted the message but answered too late for the client's timeout.
    """

    error_code: int | None = None
    description: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    chat_id: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def flood(cls, retry_after: int = 1, *, chat_id: int | None = None) -> Fault:
        """429 Too Many Requests with parameters.retry_after."""
        return cls(error_code=429, retry_after=retry_after, chat_id=chat_id)

    @classmethod
    def blocked(cls, *, chat_id: int | None = None) -> Fault:
        """403 Forbidden: bot was blocked by the user."""
        return cls(error_code=403, chat_id=chat_id)

    @classmethod
    def server_error(cls, error_code: int = 500, *, chat_id: int | None = None) -> Fault:
        """A 5xx answer (500 Internal Server Error, 502 Bad Gateway, ...)."""
        return cls(error_code=error_code, chat_id=chat_id)

    @classmethod
    def slow(cls, delay: float, *, chat_id: int | None = None) -> Fault:
        """Answer normally, but only after `delay` seconds (longer than the client's timeout)."""
        return cls(delay=delay, chat_id=chat_id)

    def matches(self, chat_id: int | None) -> bool:
        """Whether this fault applies to a call aimed at chat_id."""
        return self.chat_id is None or self.chat_id == chat_id

    def to_error(self) -> ApiError | None:
        """The error answer of this fault, if it has one."""
        if self.error_code is None:
            return None
        if self.error_code == 429:
            return too_many_requests(self.retry_after or 1)
        description = self.description or _DESCRIPTIONS.get(self.error_code, f"Error {self.error_code}")
        return ApiError(self.error_code, description, dict(self.parameters))
