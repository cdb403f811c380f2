"""Reminders (工作提醒): due lists, the morning message, the overdue ladder, why an item is due."""
