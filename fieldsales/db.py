"""What the database may answer that is worth asking again: a transaction it chose to fail (a deadlock, a
serialization failure, a lock it would not wait for; SQLite's "database is locked"), or a connection it could not
lend in time. Such a failure undid the whole transaction, so the work can simply run again; it is run again here a
few times, then left to the caller's answer: 503 with Retry-After (fieldsales.http), which the app waits out.

And new records inserted together: `insert`, which a push's fast way (fieldsales/sync/push.py) batches."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import OperationalError, connection
from django.db.models import Model

T = TypeVar("T")
M = TypeVar("M", bound=Model)
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


# New records inserted together (`insert`, `inserts_batched`) ------------------------------------------------------

_inserts: ContextVar[InsertBatch | None] = ContextVar("fieldsales_inserts", default=None)
BULK_SIZE = 500


class InsertBatch:
    """The records `insert` was given within `inserts_batched`, in order, to insert model by model at its end."""

    def __init__(self) -> None:
        self.pending: list[Model] = []
        self._waiting: dict[int, Model] = {}

    def mark(self) -> int:
        return len(self.pending)

    def undo(self, mark: int) -> None:
        """Forget what was given since `mark` (an op rejected after asking)."""
        for instance in self.pending[mark:]:
            self._waiting.pop(id(instance), None)
        del self.pending[mark:]

    def add(self, instances: tuple[Model, ...]) -> None:
        self.pending.extend(instances)
        self._waiting.update((id(instance), instance) for instance in instances)

    def waits(self, instance: Model) -> bool:
        return id(instance) in self._waiting

    def find(self, model: type[Model], pk: Any) -> Model | None:
        """The record of `model` with this primary key that waits to be inserted, if one does."""
        return next((i for i in self._waiting.values() if type(i) is model and i.pk == pk), None)

    def flush(self) -> None:
        """Insert what is pending: one statement per model and BULK_SIZE records, models in the order they first came
        (a submission before its order and its lines)."""
        by_model: dict[type[Model], list[Model]] = {}
        for instance in self.pending:
            by_model.setdefault(type(instance), []).append(instance)
        self.pending, self._waiting = [], {}
        for model, instances in by_model.items():
            model._default_manager.bulk_create(instances, batch_size=BULK_SIZE)


@contextmanager
def inserts_batched() -> Iterator[InsertBatch]:
    """Within, `insert` keeps the new records it is given, to be inserted by the batch's `flush`: one statement per
    model instead of one per record. For a run of writes where nothing reads those records back from the database
    before the flush (a push's notes, submissions and orders); a database error (a taken id) then shows at the flush,
    not where the record was made."""
    batch = InsertBatch()
    token = _inserts.set(batch)
    try:
        yield batch
    finally:
        _inserts.reset(token)


def insert(*instances: Model) -> None:
    """Insert these new records (of one model) now or, within `inserts_batched`, at the batch's flush. No signal is
    sent for them, as with `bulk_create`."""
    batch = _inserts.get()
    if batch is not None:
        batch.add(instances)
    elif instances:
        type(instances[0])._default_manager.bulk_create(instances, batch_size=BULK_SIZE)


def inserted_later(instance: Model) -> bool:
    """Whether `instance` waits in the current batch (`inserts_batched`): a change made to it since goes in with it,
    and an UPDATE of its row would find none."""
    batch = _inserts.get()
    return batch is not None and batch.waits(instance)


def waiting(model: type[M], pk: Any) -> M | None:
    """The record of `model` with this primary key that waits in the current batch, if one does."""
    batch = _inserts.get()
    found = batch.find(model, pk) if batch is not None else None
    return found if isinstance(found, model) else None
