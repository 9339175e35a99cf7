"""How long to wait before trying again: the one backoff the assistant uses.

The WeCom API client and group-robot sender retry a request within a call; the broadcast
worker retries a part across its queue. Both wait ``base``, 2·base, 4·base… seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded exponential backoff: ``attempts`` tries in all, delays ``base``, 2·base, … up to ``cap``."""

    attempts: int = 4
    base: float = 1.0
    cap: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0:
            raise ValueError("attempts must be at least 1 and delays non-negative")

    def delay(self, attempt: int) -> float:
        """Return the pause after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.cap, self.base * 2 ** (attempt - 1)))
