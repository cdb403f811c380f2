"""What a Mini App request comes to: an answer, a refusal or a request the page would never send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiReply:
    """What the server answers: JSON, or a file (an export)."""

    status: int
    body: dict[str, Any] | None = None
    file: bytes | None = None
    filename: str | None = None


class Refused(Exception):
    """Not the caller's to see (the service that said so has audited it)."""


class BadRequest(Exception):
    """A request the page would never send (a missing or malformed field)."""
