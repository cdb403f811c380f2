"""The local Telegram Bot API server used by the sandbox and the end-to-end tests."""

from bot.telegram_api.errors import ApiError, Fault
from bot.telegram_api.flood import FloodLimits
from bot.telegram_api.server import LocalBotApi
from bot.telegram_api.state import AnsweredCallback, Call, ChatMessage, User

__all__ = [
    "AnsweredCallback",
    "ApiError",
    "Call",
    "ChatMessage",
    "Fault",
    "FloodLimits",
    "LocalBotApi",
    "User",
]
