"""Reminders (工作提醒) in the chat: /today, why, pauses, and the scheduled reminder jobs."""
