"""What the database may answer that is worth asking again: a transaction it chose to fail (a deadlock, a
serialization failure, a lock it would not wait for; SQLite's "database is locked"), or a connection it could not
lend in time. Such a failure undid the whole transaction, so the work can simply run again; it is run again here a
few times, then left to the caller's answer: 503 with Retry-After (fieldsales.http), which the app waits out."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

T = TypeVar("T")
logger = logging.getLogger(__name__)

# PostgreSQL's codes: serialization_failure, deadlock_detected, lock_not_available.
RETRYABLE_STATES = frozenset({"40001", "40P01", "55P03"})
ATTEMPTS = 3
# Seconds before the second attempt; doubled before each later one, with jitter so that the two transactions that
# met do not meet again.
FIRST_PAUSE = 0.05


def retryable(error: BaseException) -> bool:
    """Whether `error` failed a transaction that may simply run again."""
    cause = error.__cause__ or error
    if getattr(cause, "sqlstate", None) in RETRYABLE_STATES:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def retried(work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """`work()` (which opens and ends its own transaction), run again when the database failed it for a reason
    `retryable` names, at most `attempts` times in all. Inside a transaction, run once: the failure spoiled the
    transaction around it, which only its owner can run again."""
    attempt = 1
    while True:
        try:
            return work()
        except OperationalError as error:
            if attempt >= attempts or connection.in_atomic_block or not retryable(error):
                raise
            logger.warning("Run again (%s of %s) after the database failed it: %s", attempt + 1, attempts, error)
        time.sleep(FIRST_PAUSE * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))  # noqa: S311 (jitter, no secret)
        attempt += 1
