"""The delay schedule between polls: exponential, capped, optionally jittered.

One pure piece shared by poll(), poll_async() and the command line.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from ._checks import check_flag, number_at_least, positive_number


@dataclass(frozen=True)
class Backoff:
    """Delays from ``initial_delay``, times ``multiplier``, up to ``max_delay``.

    With ``jitter``, each delay is drawn uniformly between ``initial_delay``
    and the capped exponential value ("full jitter" with a floor), so that
    many clients started together spread out, yet never poll more often than
    every ``initial_delay`` seconds.
    """

    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: bool = True

    def __post_init__(self) -> None:
        positive_number("initial_delay", self.initial_delay)
        number_at_least(
            "max_delay",
            self.max_delay,
            self.initial_delay,
            f"initial_delay ({self.initial_delay!r})",
        )
        number_at_least("multiplier", self.multiplier, 1.0, "1")
        check_flag("jitter", self.jitter)

    def delays(self) -> Iterator[float]:
        """Yield the delays before the second, third, … attempt, forever.

        The exponential value is capped at every step, so it never overflows
        and each step costs the same after thousands of attempts.
        """
        ceiling = float(self.initial_delay)
        while True:
            if self.jitter:
                # uniform() may round one ulp past its bounds; clamp it back.
                drawn = random.uniform(self.initial_delay, ceiling)
                yield min(max(drawn, self.initial_delay), ceiling)
            else:
                yield ceiling
            ceiling = min(ceiling * self.multiplier, self.max_delay)
