"""Appointments (约见) and the families' meeting reminders."""
