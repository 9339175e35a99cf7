"""Reading what a page's form or address sent: each field checked, each problem kept for
the message beside its field (a catalog key and its values)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from bot.settings import TIMEZONE

__all__ = ["Form", "day_bounds"]


@dataclass
class Form:
    """The values of one form or query string, and the problems found, by field."""

    data: Mapping[str, Any]
    errors: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def text(self, name: str, *, max_chars: int = 200, required: bool = False) -> str:
        raw = self.data.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if required and not value:
            self.errors[name] = ("web.form.required", {})
        elif len(value) > max_chars:
            self.errors[name] = ("web.form.too_long", {"limit": max_chars, "length": len(value)})
            value = value[:max_chars]
        return value

    def choice(self, name: str, allowed: tuple[str, ...], default: str = "") -> str:
        value = self.text(name)
        if value and value not in allowed:
            self.errors[name] = ("web.form.unknown_choice", {})
            return default
        return value or default

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.errors[name] = ("web.form.bad_date", {"example": "2026-12-01"})
            return None

    def number(self, name: str) -> int | None:
        value = self.text(name)
        if not value:
            return None
        if not value.isdigit() or len(value) > 12:
            self.errors[name] = ("web.form.bad_number", {})
            return None
        return int(value)

    def many(self, name: str) -> list[str]:
        getall = getattr(self.data, "getall", None)
        values = getall(name, []) if getall is not None else [self.data.get(name)]
        return [v.strip() for v in values if isinstance(v, str) and v.strip()]

    def messages(self, t: Any) -> dict[str, str]:
        """Each problem in the page's language (``t`` is the page's catalog lookup)."""
        return {name: t(key, **values) for name, (key, values) in self.errors.items()}

    def order(self, start: str, end: str, first: date | None, last: date | None) -> None:
        """A range whose end comes before its start is a problem of the end."""
        if first is not None and last is not None and last < first:
            self.errors[end] = ("web.form.range_reversed", {})


def day_bounds(first: date | None, last: date | None) -> tuple[str | None, str | None]:
    """A range of Beijing days as stored UTC ISO times: [start of first, start of the day after last)."""

    def at(day: date) -> str:
        return datetime.combine(day, time(), TIMEZONE).astimezone(UTC).isoformat(timespec="seconds")

    after = date.fromordinal(last.toordinal() + 1) if last is not None else None
    return (at(first) if first else None, at(after) if after else None)
