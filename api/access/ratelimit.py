"""``MILCOOP_RATE_LIMIT``: requests per key (or per address, without a valid key) in a moving window.

Built on ``limits`` (the library under slowapi and Flask-Limiter, by the same maintainers) rather
than on slowapi itself: slowapi limits routes through decorators or its own middleware, keyed
by a function of the request alone, while here the limit must apply to every path (like the
scope check), after the key is known, and answer in the API's error shape; ``limits`` gives
exactly the part needed (parsing "120/minute", a moving window, the time until the next slot)
without a second middleware or a decorator on each route.

The counters live in the process's memory: one ``milcoop serve`` process, one set of counters.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimit:
    """The configured limits, or none (``""`` or ``"off"``)."""

    def __init__(self, spec: str) -> None:
        spec = spec.strip()
        self.spec = spec
        self.items: list[RateLimitItem] = []
        if spec and spec.lower() != "off":
            try:
                self.items = list(parse_many(spec))
            except ValueError as exc:
                raise ValueError(
                    f"MILCOOP_RATE_LIMIT={spec!r} is not a rate limit: write e.g. '120/minute' or "
                    f"'10/second;1000/hour' ({exc})"
                ) from None
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if self.items else None

    @property
    def enabled(self) -> bool:
        return self._limiter is not None

    def hit(self, client: str) -> int | None:
        """Count one request of ``client``; None when allowed, else the seconds to wait (at least 1)."""
        if self._limiter is None:
            return None
        for item in self.items:
            if not self._limiter.hit(item, client):
                reset = self._limiter.get_window_stats(item, client).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    def describe(self) -> str:
        """The limits in words ("120 per 1 minute")."""
        return "; ".join(str(item) for item in self.items)
