"""Alerts: whom they reach up the grid tree, and those nobody could take yet."""
