"""Text rules of the Bot API: HTML parse mode, lengths in UTF-16 code units, keyboards."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.telegram_api.errors import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_START_TAG = re.compile(r"<([a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_TAG_NAME = re.compile(r"<([a-zA-Z0-9-]*)")
_END_TAG = re.compile(r"</([a-zA-Z0-9-]*)\s*>")
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_HTML_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class FormattedText:
    """A text after entity parsing: what the user sees, and where the formatting is."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _decode_entity(source: str, index: int) -> tuple[str, int]:
    """The character of an HTML entity at index and the index after it; unknown ones stay literal."""
    match = _HTML_ENTITY.match(source, index)
    if match is None:
        return "&", index + 1
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        if name not in _NAMED_ENTITIES:
            return "&", index + 1
        return _NAMED_ENTITIES[name], match.end()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "&", index + 1
    return chr(code), match.end()


def _unescape(value: str) -> str:
    out, index = [], 0
    while index < len(value):
        if value[index] == "&":
            char, index = _decode_entity(value, index)
        else:
            char, index = value[index], index + 1
        out.append(char)
    return "".join(out)


def _attributes(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): _unescape(next((g for g in m.groups()[1:] if g is not None), ""))
        for m in _ATTRIBUTE.finditer(raw)
    }


def _entity_for(tag: str, attributes: dict[str, str], offset: int, length: int) -> dict[str, Any] | None:
    kind = _TAG_ENTITY[tag]
    entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        if not attributes.get("href"):
            return None
        entity["url"] = attributes["href"]
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    elif kind == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif kind == "pre" and attributes.get("language"):
        entity["language"] = attributes["language"]
    return entity if length > 0 else None


def parse_html(source: str) -> FormattedText:
    """Parse Telegram's HTML subset; malformed markup raises Telegram's "can't parse entities" error."""
    out: list[str] = []
    position16 = 0
    stack: list[tuple[str, dict[str, str], int]] = []
    entities: list[dict[str, Any]] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "&":
            decoded, index = _decode_entity(source, index)
        elif char != "<":
            decoded, index = char, index + 1
        elif source.startswith("</", index):
            index = _close_tag(source, index, stack, entities, position16)
            continue
        else:
            tag, attributes, index = _open_tag(source, index)
            stack.append((tag, attributes, position16))
            continue
        out.append(decoded)
        position16 += utf16_len(decoded)
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return FormattedText("".join(out), tuple(sorted(entities, key=lambda e: (e["offset"], -e["length"]))))


def _open_tag(source: str, index: int) -> tuple[str, dict[str, str], int]:
    match = _START_TAG.match(source, index)
    if match is None:
        name = _TAG_NAME.match(source, index)
        tag = name.group(1) if name else ""
        if tag and ">" not in source[index:]:
            raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(source, index)}")
        raise _parse_error(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, index)}')
    tag = match.group(1).lower()
    attributes = _attributes(match.group(2))
    if tag not in _TAG_ENTITY:
        raise _parse_error(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, index)}')
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        raise _parse_error(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, index)}'
        )
    return tag, attributes, match.end()


def _close_tag(
    source: str,
    index: int,
    stack: list[tuple[str, dict[str, str], int]],
    entities: list[dict[str, Any]],
    end16: int,
) -> int:
    match = _END_TAG.match(source, index)
    offset = _byte_offset(source, index)
    if match is None:
        raise _parse_error(f"Unclosed end tag at byte offset {offset}")
    if not stack:
        raise _parse_error(f"Unexpected end tag at byte offset {offset}")
    tag, attributes, start16 = stack.pop()
    found = match.group(1).lower()
    if found != tag:
        raise _parse_error(
            f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", found "</{found}>"'
        )
    css_class = attributes.get("class", "")
    if tag == "code" and stack and stack[-1][0] == "pre" and css_class.startswith("language-"):
        # <pre><code class="language-x">...</code></pre> is a single pre entity with a language.
        stack[-1][1]["language"] = css_class.removeprefix("language-")
        return match.end()
    entity = _entity_for(tag, attributes, start16, end16 - start16)
    if entity is not None:
        entities.append(entity)
    return match.end()


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Apply parse_mode; only HTML is parsed, Markdown texts are counted as sent (a simplification)."""
    if entities:
        return FormattedText(text, tuple(entities))
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("", "markdown", "markdownv2"):
        return FormattedText(text)
    raise bad_request("unsupported parse_mode")


def _trimmed(formatted: FormattedText) -> FormattedText:
    """Telegram drops leading and trailing whitespace; entity offsets shift with the leading part."""
    stripped = formatted.text.lstrip()
    shift = utf16_len(formatted.text) - utf16_len(stripped)
    text = stripped.rstrip()
    limit = utf16_len(text)
    entities = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - shift)
        end = min(limit, entity["offset"] + entity["length"] - shift)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(text, tuple(entities))


def message_text(text: str | None, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Validate a message text: non-empty and at most 4096 UTF-16 code units after parsing."""
    if not text:
        raise bad_request("message text is empty")
    formatted = _trimmed(format_text(text, parse_mode, entities))
    if not formatted.text:
        raise bad_request("message text is empty")
    if utf16_len(formatted.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return formatted


def caption_text(caption: str | None, parse_mode: str | None, entities: Any = None) -> FormattedText | None:
    """Validate an optional caption: at most 1024 UTF-16 code units after parsing."""
    if not caption:
        return None
    formatted = _trimmed(format_text(caption, parse_mode, entities))
    if utf16_len(formatted.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return formatted if formatted.text else None


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
        raise bad_request("BUTTON_DATA_INVALID")
    actions = {key for key, value in button.items() if value is not None} - {
        "text",
        "icon_custom_emoji_id",
        "style",
    }
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a reply_markup object; edits accept only inline keyboards."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('can\'t parse inline keyboard markup: field "inline_keyboard" must be an Array')
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if not {"keyboard", "remove_keyboard", "force_reply"} & set(markup):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def same_markup(first: dict[str, Any] | None, second: dict[str, Any] | None) -> bool:
    """Compare two keyboards by content, whatever the key order or None-valued fields."""
    return _canonical(first) == _canonical(second)


def _canonical(value: Any) -> str:
    def prune(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: prune(v) for k, v in item.items() if v is not None}
        if isinstance(item, list):
            return [prune(v) for v in item]
        return item

    return json.dumps(prune(value or None), sort_keys=True, ensure_ascii=False)
