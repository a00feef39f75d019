"""Requests per minute per API token, counted in Django's cache.

A fixed one-minute window per token: the first request of a minute creates its counter, each request adds
one (``cache.incr``, atomic in Redis and in local memory), and past ``API_RATE_LIMIT_PER_MINUTE`` the API
answers 429 with ``Retry-After`` (seconds until the next minute). With ``REDIS_URL`` set, every gunicorn
worker shares the counters; otherwise each process counts its own (a limit per process). A window is kept
two minutes, then expires by itself. Why not a library: docs/decisions/0010-api-rate-limits.md.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_S = 60


class RateLimited(Exception):
    """This token sent more than its requests per minute; ``retry_after``: seconds to wait."""

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after


def limit_per_minute() -> int:
    return int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 0))


def consume(token_key: str, *, now: float | None = None) -> None:
    """Count one request of the token ``token_key`` (its hash, never the secret); ``RateLimited`` past
    the limit. A limit of 0 counts nothing."""
    limit = limit_per_minute()
    if limit <= 0:
        return
    instant = time.time() if now is None else now
    window = int(instant // WINDOW_S)
    key = f"logis:api-rate:{token_key}:{window}"
    cache.add(key, 0, timeout=2 * WINDOW_S)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=2 * WINDOW_S)
        count = 1
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_S - instant))
        raise RateLimited(limit=limit, retry_after=retry_after)
