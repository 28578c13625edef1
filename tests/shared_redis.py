"""The Redis the rate-limit tests share: TRAINERPATH_TEST_REDIS_URL, or DB 5 on localhost.

Only that database is emptied. A Redis that is down skips these tests, unless
TRAINERPATH_TEST_REDIS_URL is set (as CI sets it): then it fails the run.
"""

from __future__ import annotations

import os

import pytest
import redis

DEFAULT_URL = "redis://127.0.0.1:6379/5"


def redis_url() -> str:
    """A reachable Redis database, emptied; skip or fail when there is none."""
    url = os.environ.get("TRAINERPATH_TEST_REDIS_URL") or DEFAULT_URL
    connection = redis.Redis.from_url(url)
    try:
        connection.flushdb()
    except redis.RedisError as error:
        message = f"Redis at {url} cannot be reached: {error}"
        if os.environ.get("TRAINERPATH_TEST_REDIS_URL"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    finally:
        connection.close()
    return url
