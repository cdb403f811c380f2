"""Backup and restore (备份与恢复) of SQLite and PostgreSQL databases."""
