"""The console's audit log: every action taken in it, who, what, when (``console_audit``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.db import Db

__all__ = ["AuditEntry", "AuditLog"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: float
    who: str
    action: str  # e.g. "lead.handled", "broadcast.cancelled", "login"
    subject: str  # what it was done to: "lead:12", "broadcast:3", ""
    detail: dict[str, Any]


class AuditLog:
    def __init__(self, db: Db, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def record(
        self, who: str, action: str, subject: str = "", detail: Mapping[str, Any] | None = None
    ) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO console_audit (at, who, action, subject, detail) VALUES (?,?,?,?,?)",
                [self.clock(), who, action, subject, json.dumps(dict(detail or {}), ensure_ascii=False)],
            )

    def entries(self, *, before: int | None = None, limit: int = 50) -> list[AuditEntry]:
        """The newest entries first, older than entry ``before`` when given."""
        rows = self.db.rows(
            "SELECT id, at, who, action, subject, detail FROM console_audit WHERE id < ? "
            "ORDER BY id DESC LIMIT ?",
            [before if before is not None else 2**62, limit],
        )
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4] or "", json.loads(r[5] or "{}")) for r in rows]
