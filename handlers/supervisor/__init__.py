"""Supervisors (综治办/禁毒办): digests, charts, on-demand reports, review."""
