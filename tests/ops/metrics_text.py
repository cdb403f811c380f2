"""Reading a /metrics page in tests: one sample's value by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(page: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


def value(page: str, name: str, **labels: str) -> float:
    """The sample's value; 0 when the page has no such sample (a counter not yet moved)."""
    return samples(page).get((name, frozenset(labels.items())), 0.0)


def names(page: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(page)}
