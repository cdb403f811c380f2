"""Per-worker performance (网格员考核) over a period."""
