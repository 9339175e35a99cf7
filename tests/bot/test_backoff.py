"""The one backoff: base, 2·base, 4·base… seconds, never above the cap."""

from __future__ import annotations

import pytest

from bot.backoff import Backoff


def test_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(attempts=8, base=2.0, cap=300.0)
    assert [backoff.delay(n) for n in range(1, 10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300]


@pytest.mark.parametrize("options", [{"attempts": 0}, {"base": -1.0}, {"cap": -1.0}])
def test_a_backoff_that_cannot_work_is_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**options)  # type: ignore[arg-type]
