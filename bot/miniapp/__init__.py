"""The supervisors' Telegram Mini App over HTTP: its page, its static files, its JSON API."""
