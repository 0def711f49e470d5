"""Keep each rep's feed in step with the data: the one way a change reaches a device.

Every write that changes what a device shows calls `publish` for the entities it touched,
in the same transaction as the write, or `resend` when the write cannot change who sees them.
Changes to who sees what in bulk (a list's access, a rep's groups) call `refresh_reps`; a change to
the rep that changes how records look to them (the rep's language) calls `resend_all`. A rep
who stops seeing an entity keeps its feed entry, marked `deleted`, so the device learns that it left.

Every rep whose feed a transaction stamps is told once, after it commits (fieldsales.realtime): the rep's open
app pulls then instead of at its next poll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction

from fieldsales.models import SyncEntry
from fieldsales.realtime import collect_after_commit, notify_reps
from fieldsales.sync.registry import TYPES, children_of

CHUNK = 2000
# Entries per upsert statement: three parameters each keeps it under SQLite's 32766 and PostgreSQL's 65535.
UPSERT_CHUNK = 5000
# Reps whose feeds are recomputed together: bounds the memory a refresh of every rep takes.
REFRESH_BATCH = 100
# The feed's own table, read and written in SQL on the paths every synced write takes (the ORM costs more than
# the statements themselves); the names are the model's, fixed by its migrations.
_TABLE = SyncEntry._meta.db_table


class _Pending:
    """The `publish`, `resend` and `batched` calls gathered by `deferred`: ids by type name or by function."""

    def __init__(self) -> None:
        self.publish: dict[str, set[str]] = {}
        self.resend: dict[str, set[str]] = {}
        self.batched: dict[Callable[[set[str]], Any], set[str]] = {}

    def flush(self) -> None:
        # First, as they may publish in their turn (a KPI card recomputed after a visit).
        for func, func_ids in self.batched.items():
            func(func_ids)
        for type_name in sorted(self.publish, key=lambda name: TYPES[name].rank):
            publish(type_name, self.publish[type_name])
        for type_name in sorted(self.resend, key=lambda name: TYPES[name].rank):
            # What is published is sent again anyway.
            ids = self.resend[type_name] - self.publish.get(type_name, set())
            if ids:
                resend(type_name, ids)


_pending: ContextVar[_Pending | None] = ContextVar("fieldsales_feed_pending", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """Within, `publish` and `resend` only note what they are asked; on the way out, each entity is published or
    sent again once, with one audience query per type for all of them. For a run of writes that touch the same
    entities again and again (a push: a visit, its activities, its end) in one transaction: enter it inside that
    transaction, so that the feed still commits with the writes. Both work from the data as it is when they run,
    so running them late, or for a write undone since, sends what is there."""
    if _pending.get() is not None:
        yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    pending.flush()


def batched(func: Callable[[set[str]], Any], ids: Iterable[Any]) -> None:
    """Call `func` with these ids now or, within `deferred`, once on the way out with every id it was given: work
    that follows a write (recomputing a client's KPI card) runs once per push, not once per op."""
    keys = {str(entity_id) for entity_id in ids}
    pending = _pending.get()
    if pending is not None:
        pending.batched.setdefault(func, set()).update(keys)
    elif keys:
        func(keys)


def _stamped(rep_ids: Iterable[int]) -> None:
    """Note that these reps' feeds changed in the current transaction: they are told once it commits."""
    collect_after_commit("reps", _notify, rep_ids)


def _notify(rep_ids: set[int]) -> None:
    notify_reps(rep_ids=rep_ids)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert(rows: list[SyncEntry]) -> None:
    """Insert or revive entries; the database trigger gives each a new stamp either way.

    Rows go in one order, (kind, entity, rep), so two transactions upserting the same entries
    wait for each other instead of deadlocking.
    """
    rows = sorted(rows, key=lambda row: (row.kind, row.entity_id, row.rep_id))
    for chunk in _chunks(rows, UPSERT_CHUNK):
        values = [value for row in chunk for value in (row.rep_id, row.kind, row.entity_id)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_TABLE} (rep_id, kind, entity_id, deleted, stamp) VALUES "  # noqa: S608 (names from the models, values as parameters)
                + ", ".join(["(%s, %s, %s, false, 0)"] * len(chunk))
                + " ON CONFLICT (rep_id, kind, entity_id) DO UPDATE SET deleted = false",
                values,
            )
    if rows:
        _stamped({row.rep_id for row in rows})


def _mark_deleted(entries: Iterable[tuple[int, int]]) -> None:
    """Mark these (entry, rep) entries deleted."""
    entries = list(entries)
    for chunk in _chunks(sorted(entry_id for entry_id, _rep_id in entries)):
        SyncEntry.objects.filter(pk__in=chunk).update(deleted=True)
    if entries:
        _stamped({rep_id for _entry_id, rep_id in entries})


def _held(kind: int, entity_ids: list[str]) -> list[tuple[int, int, str]]:
    """(entry, rep, entity) of the live entries of these entities, whoever's feed holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, rep_id, entity_id FROM {_TABLE} WHERE kind = %s AND entity_id IN "  # noqa: S608 (names from the models, values as parameters)
            f"({', '.join(['%s'] * len(entity_ids))}) AND NOT deleted",
            [kind, *entity_ids],
        )
        return cursor.fetchall()


@transaction.atomic(savepoint=False)
def publish(type_name: str, ids: Iterable[Any]) -> set[str]:
    """Send these entities again to every rep who sees them now, and `deleted` to reps who no longer do.

    Returns the ids whose audience changed (none yet within `deferred`); the entities that hang on
    them (a client's visits, notes and KPI card) follow them into or out of those reps' feeds.
    Queries: per chunk of 2000 ids, one for who sees them, one for who held them, one upsert and
    at most one update.
    """
    pending = _pending.get()
    if pending is not None:
        pending.publish.setdefault(type_name, set()).update(str(entity_id) for entity_id in ids)
        return set()
    entity_type = TYPES[type_name]
    keys = sorted({str(entity_id) for entity_id in ids})
    changed: set[str] = set()
    for chunk in _chunks(keys):
        seers = entity_type.seers(chunk)
        before: dict[str, set[int]] = {}
        gone: list[tuple[int, int]] = []
        for entry_id, rep_id, entity_id in _held(entity_type.rank, chunk):
            before.setdefault(entity_id, set()).add(rep_id)
            if rep_id not in seers.get(entity_id, ()):
                gone.append((entry_id, rep_id))
        _upsert(
            [
                SyncEntry(rep_id=rep_id, kind=entity_type.rank, entity_id=entity_id, deleted=False)
                for entity_id in chunk
                for rep_id in seers.get(entity_id, ())
            ]
        )
        _mark_deleted(gone)
        changed.update(entity_id for entity_id in chunk if before.get(entity_id, set()) != seers.get(entity_id, set()))
    if changed:
        for child in children_of(type_name):
            child_ids = list(child.children_of(sorted(changed)))
            if child_ids:
                publish(child.name, child_ids)
    return changed


@transaction.atomic(savepoint=False)
def resend(type_name: str, ids: Iterable[Any]) -> None:
    """Send these entities again to the reps whose feeds hold them, after a change to what they hold that cannot
    change who sees them (a client's fields, a visit's activities or end).

    Who sees what changes only through `publish` and `refresh_reps`, so the live entries are the audience:
    one statement re-stamps them, where `publish` would work out the audience again, and names their reps.
    Queries: one per 2000 ids.
    """
    pending = _pending.get()
    if pending is not None:
        pending.resend.setdefault(type_name, set()).update(str(entity_id) for entity_id in ids)
        return
    kind = TYPES[type_name].rank
    for chunk in _chunks(sorted({str(entity_id) for entity_id in ids})):
        with connection.cursor() as cursor:
            # Setting `deleted` fires the stamping trigger even when the value stays the same. RETURNING: PostgreSQL,
            # and SQLite since 3.35.
            cursor.execute(
                f"UPDATE {_TABLE} SET deleted = false WHERE kind = %s AND entity_id IN "  # noqa: S608 (names from the models, values as parameters)
                f"({', '.join(['%s'] * len(chunk))}) AND NOT deleted RETURNING rep_id",
                [kind, *chunk],
            )
            rep_ids = {rep_id for (rep_id,) in cursor.fetchall()}
        if rep_ids:
            _stamped(rep_ids)


@transaction.atomic(savepoint=False)
def resend_all(type_name: str, *, rep_id: int) -> None:
    """Send every entity of this type in one rep's feed again, after a change to the rep that changes what they
    look like to that rep (the rep's language, for KPI cards), not who sees them. Queries: one."""
    with connection.cursor() as cursor:
        # As in `resend`: setting `deleted` fires the stamping trigger.
        cursor.execute(
            f"UPDATE {_TABLE} SET deleted = false WHERE rep_id = %s AND kind = %s AND NOT deleted",  # noqa: S608 (names from the models, values as parameters)
            [rep_id, TYPES[type_name].rank],
        )
        restamped = cursor.rowcount
    if restamped:
        _stamped([rep_id])


@transaction.atomic
def refresh_reps(rep_ids: Iterable[int], *, resend: Iterable[str] = ()) -> None:
    """Recompute whole feeds after a change to who sees what in bulk (list access, a rep's groups).

    Entities a rep newly sees are added; those the rep no longer sees are marked deleted; the
    others keep their stamp, so the device is not sent them again, except those of the types in
    `resend`, whose data depend on the rep's groups (a list's access rights).

    What an entity type's `seers` say decides, as for `publish`: `visible` only proposes
    candidates, together with what the feed holds. Queries, per batch of reps: one for what
    their feeds hold, then per type one `visible` per rep and one `seers` per 2000 candidates,
    then the upserts and one update per 2000 entries leaving.
    """
    from django.contrib.auth import get_user_model

    resent = set(resend)
    for batch in _chunks(sorted({int(rep_id) for rep_id in rep_ids}), REFRESH_BATCH):
        reps = list(get_user_model().objects.filter(pk__in=batch).only("pk", "is_active"))
        held: dict[tuple[int, int], dict[str, int]] = {}
        for entry_id, rep_id, kind, entity_id in SyncEntry.objects.filter(rep_id__in=batch, deleted=False).values_list(
            "pk", "rep_id", "kind", "entity_id"
        ):
            held.setdefault((rep_id, kind), {})[entity_id] = entry_id
        fresh: list[SyncEntry] = []
        gone: list[tuple[int, int]] = []
        for entity_type in sorted(TYPES.values(), key=lambda t: t.rank):
            candidates = {rep.pk: set(held.get((rep.pk, entity_type.rank), ())) for rep in reps}
            for rep in reps:
                if rep.is_active:
                    candidates[rep.pk].update(str(entity_id) for entity_id in entity_type.visible(rep))
            seers: dict[str, set[int]] = {}
            for chunk in _chunks(sorted(set().union(*candidates.values()))):
                seers.update(entity_type.seers(chunk))
            for rep in reps:
                had = held.get((rep.pk, entity_type.rank), {})
                sees = {entity_id for entity_id in candidates[rep.pk] if rep.pk in seers.get(entity_id, ())}
                fresh.extend(
                    SyncEntry(rep_id=rep.pk, kind=entity_type.rank, entity_id=entity_id, deleted=False)
                    for entity_id in (sees if entity_type.name in resent else sees - had.keys())
                )
                gone.extend((entry_id, rep.pk) for entity_id, entry_id in had.items() if entity_id not in sees)
        _upsert(fresh)
        _mark_deleted(gone)


def descendants(type_name: str, ids: Iterable[Any]) -> dict[str, list[str]]:
    """The entities hanging on these ones, by type (read before a delete cascades them away)."""
    found: dict[str, list[str]] = {}
    keys = [str(entity_id) for entity_id in ids]
    for child in children_of(type_name):
        child_ids = [str(child_id) for child_id in child.children_of(keys)]
        if child_ids:
            found[child.name] = child_ids
            for grandchild_type, grandchild_ids in descendants(child.name, child_ids).items():
                found.setdefault(grandchild_type, []).extend(grandchild_ids)
    return found
