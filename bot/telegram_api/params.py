"""Reading the parameters of a Bot API call, however the client sent them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.telegram_api.errors import ApiError, bad_request

# Parameters that carry a JSON-serialized object when sent as a form field.
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "message_ids",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "media",
        "results",
    }
)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


@dataclass
class Params:
    """The parameters of one call, with typed accessors that answer Telegram's errors."""

    values: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter; numbers are given back as their text."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            if name == "chat_id":
                raise bad_request("chat not found") from None
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float = 0.0) -> float:
        """A number parameter (timeouts)."""
        value = self.values.get(name)
        try:
            return default if value in (None, "") else float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        """A boolean parameter ("true", "1", true)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        """An object parameter, decoded if it came as a JSON string."""
        return _decode(name, self.values.get(name))

    def get_file(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part (by field name or attach://x), or a file_id/URL string."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part not in self.uploads:
                raise bad_request(f"wrong HTTP URL specified: attached file {part} not found")
            return self.uploads[part]
        return value if isinstance(value, str) and value else None

    def loggable(self) -> dict[str, Any]:
        """The values as a test would like to read them: JSON params decoded, uploads by name and size."""
        shown = {key: _decode_quietly(key, value) for key, value in self.values.items()}
        for name, upload in self.uploads.items():
            shown[name] = f"<upload {upload.filename or name}: {len(upload.data)} bytes>"
        return shown


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        if name == "reply_markup":
            raise bad_request("can't parse reply keyboard markup JSON object") from None
        raise bad_request(f"can't parse {name} JSON object") from None


def _decode_quietly(name: str, value: Any) -> Any:
    if name not in JSON_PARAMS:
        return value
    try:
        return _decode(name, value)
    except ApiError:
        return value


async def read_params(request: web.Request) -> Params:
    """Merge the query string and the body (JSON, urlencoded, multipart or empty) into Params."""
    params = Params(values=dict(request.query))
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                decoded = json.loads(body)
            except json.JSONDecodeError:
                raise bad_request("can't parse JSON body") from None
            if not isinstance(decoded, dict):
                raise bad_request("JSON body must be an object")
            params.values.update(decoded)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params.uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
            else:
                params.values[key] = value
    else:
        await request.read()
    return params
