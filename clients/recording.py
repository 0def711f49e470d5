"""Every change of a client, recorded in its history: django-simple-history's `HistoricalClient` (declared on
`Client.history` with `ClientHistory`), one row per change holding the client as it was after it, with who made it,
when, through which channel, on which device, and the reps it added or removed (`clients.models.ClientChange`).
clients/history.py shows them.

- Where from: each channel says it once, around the writes it makes (`recorded_as`): the admin's views
  (clients/history.py `AdminChannel`), the import's write (clients/resources.py), a bulk action; the client op
  handlers are wrapped in `from_phone` (clients/sync.py). The services need not know: a save records itself.
- Who: `_history_user` where a service sets it (an archive stamps no `updated_by`), else the channel's user, else
  the client's `updated_by`.
- A change costs one INSERT, which the database copies from the client's row as written: none of simple-history's
  per-field work. A push pays one for all its ops' changes, at its end (`from_phone`, `PushRows`).
- Writes that send no signal (`bulk_create`, `bulk_update`, `QuerySet.update`) record with `clients_history_record`.
  A change of a client's reps is noted on it first, with `note_reps_change`.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fieldsales.sync.feed import batched
from fieldsales.sync.registry import Handler, Op, Outcome

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# `history_reps` holds {"added": [user ids], "removed": [...]}.
REPS_ADDED, REPS_REMOVED = "added", "removed"
# simple-history's reason is a CharField(max_length=100).
REASON_MAX = 100
# Clients one INSERT records (their ids are its parameters; SQLite takes 32,766 of them since 3.32): as many as a bulk
# action writes in one statement (clients.services.BULK_CHUNK).
BATCH = 1000
# Where a push keeps the rows its ops owe (`Op.memo`, shared by the ops of one push).
PUSH_ROWS = "clients.history_rows"


class ChangeChannel(models.TextChoices):
    """Where a change of a client came from."""

    PHONE = "phone", _("rep's phone")
    ADMIN = "admin", _("back office")
    IMPORT = "import", _("import")
    BULK = "bulk", _("bulk action")
    # The REST API reads clients only so far; a write it gains is recorded under this channel.
    API = "api", _("API")


@dataclass(frozen=True)
class Source:
    channel: str
    user: Any = None
    device: uuid.UUID | None = None
    reason: str = ""


_SOURCE: ContextVar[Source | None] = ContextVar("clients_change_source", default=None)
# The rows the op a push is applying owes, by client (`from_phone`).
_OWED: ContextVar[dict[Any, tuple[Any, list[Any]]] | None] = ContextVar("clients_history_owed", default=None)


@contextmanager
def recorded_as(
    channel: ChangeChannel, *, user: User | Any = None, device: uuid.UUID | None = None, reason: str = ""
) -> Iterator[None]:
    """The client changes made inside come through `channel` (by `user` where the write names nobody; on `device`;
    `reason`: what to say of them, as an import's file name). The innermost wins: a bulk action run from the admin
    says so inside the admin's view."""
    token = _SOURCE.set(Source(str(channel), user, device, reason[:REASON_MAX]))
    try:
        yield
    finally:
        _SOURCE.reset(token)


class PushRows:
    """The history rows a push owes, by client: each copied from its client's row at the push's end, in its
    transaction (the feed's `batched`), one INSERT per BATCH clients, instead of a statement per op."""

    def __init__(self) -> None:
        self.owed: dict[Any, tuple[Any, list[Any]]] = {}

    def flush(self, keys: Any = None) -> dict[Any, tuple[Any, list[Any]]]:
        """Insert the rows owed; return them (to owe them again if the op that asked is undone)."""
        flushed, self.owed = self.owed, {}
        groups: dict[str, tuple[Any, list[Any], list[Any]]] = {}
        for client_id, (history_model, stamps) in flushed.items():
            key = json.dumps(stamps, default=str, sort_keys=True)
            groups.setdefault(key, (history_model, stamps, []))[2].append(client_id)
        for history_model, stamps, ids in groups.values():
            for start in range(0, len(ids), BATCH):
                _insert(history_model, ids[start : start + BATCH], stamps)
        return flushed


def from_phone(handler: Handler) -> Handler:
    """An op handler whose client changes are recorded as the rep's, made on the pushing device, at the push's end
    (`PushRows`). A client the push changed already has its row written first, as the earlier op left it."""

    @functools.wraps(handler)
    def handle(op: Op) -> Outcome:
        push: PushRows = op.memo.setdefault(PUSH_ROWS, PushRows())
        flushed = push.flush() if op.entity_id in push.owed else {}
        owed: dict[Any, tuple[Any, list[Any]]] = {}
        token = _OWED.set(owed)
        try:
            with recorded_as(ChangeChannel.PHONE, user=op.user, device=op.device):
                outcome = handler(op)
        except BaseException:
            # The op's savepoint undoes the rows just inserted too: owed again, the clients being as they were.
            push.owed.update(flushed)
            raise
        finally:
            _OWED.reset(token)
        if owed:
            push.owed.update(owed)
            batched(push.flush, [PUSH_ROWS])
        return outcome

    return handle


def note_reps_change(client: models.Model, *, added: Iterable[int], removed: Iterable[int]) -> None:
    """Say, on `client` before its save (or `clients_history_record`), which reps the write adds and removes: the
    next history row of the client carries them."""
    change = {REPS_ADDED: sorted(added), REPS_REMOVED: sorted(removed)}
    client._history_reps = change if change[REPS_ADDED] or change[REPS_REMOVED] else None  # type: ignore[attr-defined]


def _stamps(source: Source | None, *, history_type: str, user: Any, reps: Any, date: Any = None) -> list[Any]:
    """What a row says beyond the client's own columns, in `STAMPS`' order. No user: the client's `updated_by`; no
    date: its `updated_at`."""
    user = user if user is not None else (source.user if source is not None else None)
    return [
        date,
        history_type,
        None if user is None else user.pk,
        (source.reason or None) if source is not None else None,
        source.channel if source is not None else "",
        source.device if source is not None else None,
        reps,
    ]


# The history row's columns besides the client's own, each set from a parameter (`_stamps`). A save's row is dated by
# the client's own `updated_at` (which the save sets), so that the pull's "last edited" and the history agree to the
# microsecond.
STAMPS = (
    "history_date",
    "history_type",
    "history_user",
    "history_change_reason",
    "history_channel",
    "history_device",
    "history_reps",
)


@functools.cache
def _insert_sql(history_model: Any, vendor: str) -> tuple[str, list[Any]]:
    """INSERT of history rows copied from their clients' rows as they are in the database, for an `IN` list of ids
    appended (the database copies the row; the stamps are the only parameters), and the stamps' fields."""
    qn = connection.ops.quote_name
    client_model = history_model.instance_type
    copied = [qn(tracked.column) for tracked in history_model.tracked_fields]
    stamps = [history_model._meta.get_field(name) for name in STAMPS]
    # PostgreSQL types a parameter of a SELECT's list as text unless cast (a NULL would not go into a uuid column);
    # SQLite needs none, and would read a date cast to its "datetime" as a number.
    values = [f"CAST(%s AS {stamp.cast_db_type(connection)})" if vendor == "postgresql" else "%s" for stamp in stamps]
    values[0] = f"COALESCE({values[0]}, {qn(client_model._meta.get_field('updated_at').column)})"
    values[2] = f"COALESCE({values[2]}, {qn(client_model._meta.get_field('updated_by').column)})"
    sql = (
        f"INSERT INTO {qn(history_model._meta.db_table)} ({', '.join([*copied, *(qn(s.column) for s in stamps)])}) "  # noqa: S608 (names from the models, values as parameters)
        f"SELECT {', '.join([*copied, *values])} FROM {qn(client_model._meta.db_table)} "
        f"WHERE {qn(client_model._meta.pk.column)} IN "
    )
    return sql, stamps


def _insert(history_model: Any, ids: Sequence[Any], stamps: list[Any]) -> None:
    """History rows of the clients `ids`, as they are in the database, all with `stamps`: one statement."""
    sql, fields = _insert_sql(history_model, connection.vendor)
    params = [
        value if value is None else field.get_db_prep_save(value, connection)
        for field, value in zip(fields, stamps, strict=True)
    ]
    pk = history_model.instance_type._meta.pk
    params.extend(pk.get_db_prep_value(client_id, connection) for client_id in ids)
    with connection.cursor() as cursor:
        cursor.execute(sql + f"({', '.join(['%s'] * len(ids))})", params)


def _taken_reps(instance: Any) -> Any:
    """The reps noted on `instance`, taken: a later save of it that changes no rep must not repeat them."""
    return instance.__dict__.pop("_history_reps", None)


class ClientHistory(HistoricalRecords):
    """simple-history's records of the client, each copied by the database from the client's row just written (one
    INSERT, whatever the client's columns), or owed to the push's end while a push applies an op; stamped with the
    channel of `recorded_as`. A deletion, whose row is gone, is recorded from the instance. Not sent: simple-history's
    pre- and post-create signals, as for its bulk rows."""

    def create_history_model(self, model: Any, inherited: bool) -> Any:
        self.history_model = super().create_history_model(model, inherited)
        return self.history_model

    def create_historical_record(self, instance: Any, history_type: str, using: str | None = None) -> None:
        explicit = getattr(instance, "_history_user", None)
        stamps = _stamps(_SOURCE.get(), history_type=history_type, user=explicit, reps=_taken_reps(instance))
        owed = _OWED.get()
        if history_type != "-" and owed is not None:
            # Saved twice by one op: one change, a creation if it began as one, with the reps either save noted.
            if instance.pk in owed:
                earlier = owed[instance.pk][1]
                stamps[1], stamps[-1] = earlier[1], stamps[-1] or earlier[-1]
            owed[instance.pk] = (self.history_model, stamps)
            return
        if history_type != "-":
            _insert(self.history_model, [instance.pk], stamps)
            return
        row = self.history_model(
            **{tracked.attname: getattr(instance, tracked.attname) for tracked in self.history_model.tracked_fields}
        )
        for name, value in zip(STAMPS, stamps, strict=True):
            setattr(row, f"{name}_id" if name == "history_user" else name, value)
        row.history_date = timezone.now()
        if row.history_user_id is None:
            row.history_user_id = instance.updated_by_id
        row.save()


def clients_history_record(
    *,
    clients: Sequence[Any],
    created: bool = False,
    user: User | None = None,
    channel: ChangeChannel | None = None,
) -> None:
    """Record a change of each of `clients`, as their rows are in the database once written (a `bulk_update`, a
    `QuerySet.update`) or created (`created`, after a `bulk_create`): the writes that send no signal. Dated now.

    For a bulk action: `clients_history_record(clients=changed, user=user, channel=ChangeChannel.BULK)` in the same
    transaction, after `note_reps_change` on each client whose reps it changed. `user` and `channel` default to the
    `recorded_as` around the call (the device and reason come from it); no user: each client's `updated_by`. One
    INSERT per BATCH clients (and per distinct change of reps)."""
    if not clients or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history_model = type(clients[0]).history.model
    source = _SOURCE.get()
    if channel is not None:
        base = source or Source("")
        source = Source(str(channel), base.user, base.device, base.reason)
    now = timezone.now()
    by_reps: dict[str, tuple[Any, list[Any]]] = {}
    for client in clients:
        reps = _taken_reps(client)
        by_reps.setdefault(json.dumps(reps, sort_keys=True), (reps, []))[1].append(client.pk)
    for reps, ids in by_reps.values():
        stamps = _stamps(source, history_type="+" if created else "~", user=user, reps=reps, date=now)
        for start in range(0, len(ids), BATCH):
            _insert(history_model, ids[start : start + BATCH], stamps)
