"""`GET /api/sync/pull`: a rep's feed, page by page, in commit order, never skipping a change.

Stamps come from the database (see migration 0003): on PostgreSQL the writing transaction's id,
on SQLite a counter bumped inside the (serialized) write transaction. Ids are handed out in
begin order but transactions commit in any order, so a plain "greater than the last stamp"
would skip a transaction that began early and committed late. A page therefore holds only
entries stamped below the oldest transaction of this database still running when it is read
(see POSTGRES_HORIZON): every such transaction has ended, so nothing can later appear behind the
cursor. A long transaction delays what follows it; it never hides it.

A pull runs in two phases, both keyset-paginated:

- **Snapshot** (no cursor yet): the entries the rep holds now, not deleted, stamped below the
  horizon read with the first page, ordered by type then id, so lists come before the clients
  that belong to them. An entry stamped below the horizon cannot change without getting a new
  stamp above it, so the snapshot's entries stay put while the device pages through them, and
  a deleted one among them was never sent: a new device is sent no deletions.
- **Changes** (from the horizon on): every entry in stamp order, deletions included. Whatever
  changed while the device paged through the snapshot is there.

The cursor is the position of the last entry handed out, with its phase.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from fieldsales.models import SyncEntry
from fieldsales.sync.registry import TYPES_BY_RANK

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000
CHANGES = 1
SNAPSHOT = 2


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Position:
    """Where a device is in its feed.

    In the changes phase, `stamp` is the stamp of the last entry handed out; in the snapshot
    phase, it is the horizon, and (`kind`, `entity_id`) the last entry handed out.
    """

    stamp: int
    kind: int
    entity_id: str
    snapshot: bool = False

    def encode(self) -> str:
        phase = SNAPSHOT if self.snapshot else CHANGES
        text = json.dumps([phase, self.stamp, self.kind, self.entity_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            phase, stamp, kind, entity_id = raw
        except (ValueError, TypeError, binascii.Error):
            raise InvalidCursor(cursor) from None
        if phase not in (CHANGES, SNAPSHOT) or not all(
            (type(stamp) is int, type(kind) is int, isinstance(entity_id, str))
        ):
            raise InvalidCursor(cursor)
        return cls(stamp, kind, entity_id, snapshot=phase == SNAPSHOT)

    @classmethod
    def changes_from(cls, horizon: int) -> Position:
        """Just before every entry stamped `horizon` or later (kinds are never negative)."""
        return cls(horizon, -1, "")


@dataclass(frozen=True)
class Page:
    cursor: str | None
    more: bool
    changes: list[dict[str, Any]]


Row = tuple[int, int, str, bool]
COLUMNS = ("stamp", "kind", "entity_id", "deleted")


# PostgreSQL: the oldest transaction of this database still running when the statement's snapshot
# was taken, else the snapshot's xmax (every id below it not listed as running has ended). Transaction
# ids are cluster-wide: a transaction known to run in another database (a test suite's, a dump
# restoring elsewhere) writes no feed here and must not hold this one back. One whose database is not
# known (it ended since, say) counts, which can only delay a page. An id is tied to one database for
# its life, so the check is sound whenever it is read; stamps are 64-bit, `backend_xid` its low 32 bits.
POSTGRES_HORIZON = """(
    SELECT COALESCE(MIN(running::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
    FROM pg_snapshot_xip(pg_current_snapshot()) AS running
    WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity AS activity
        WHERE activity.backend_xid::text::bigint = mod(running::text::bigint, 4294967296)
        AND activity.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    )
)"""
# SQLite: one writer at a time commits, in stamp order, so every committed stamp is at most the counter.
SQLITE_HORIZON = "(SELECT value + 1 FROM fieldsales_sync_counter WHERE id = 1)"


def _horizon_sql() -> str:
    """The stamp below which every entry is settled, read in the same statement as the entries."""
    return POSTGRES_HORIZON if connection.vendor == "postgresql" else SQLITE_HORIZON


def _snapshot(feed: QuerySet[SyncEntry], position: Position | None, limit: int) -> tuple[list[Row], int | None]:
    """Up to `limit` + 1 entries of the snapshot after `position`, and its horizon (None if it is empty)."""
    entries = feed.filter(deleted=False)
    if position is None:
        horizon = RawSQL(_horizon_sql(), [])  # noqa: S611 (constant SQL, no input)
        entries = entries.annotate(horizon=horizon).filter(stamp__lt=horizon)
        rows = list(entries.order_by("kind", "entity_id").values_list(*COLUMNS, "horizon")[: limit + 1])
        return [row[:4] for row in rows], (rows[0][4] if rows else None)
    entries = entries.filter(
        Q(kind__gt=position.kind) | Q(kind=position.kind, entity_id__gt=position.entity_id),
        stamp__lt=position.stamp,
    )
    return list(entries.order_by("kind", "entity_id").values_list(*COLUMNS)[: limit + 1]), position.stamp


def _changes(feed: QuerySet[SyncEntry], position: Position, limit: int) -> list[Row]:
    """Up to `limit` + 1 settled entries after `position`, in stamp order."""
    entries = feed.filter(
        Q(stamp__gt=position.stamp)
        | Q(stamp=position.stamp, kind__gt=position.kind)
        | Q(stamp=position.stamp, kind=position.kind, entity_id__gt=position.entity_id)
    )
    if connection.vendor == "postgresql":
        entries = entries.filter(stamp__lt=RawSQL(_horizon_sql(), []))  # noqa: S611 (constant SQL, no input)
    return list(entries.order_by("stamp", "kind", "entity_id").values_list(*COLUMNS)[: limit + 1])


def sync_pull(*, rep: User, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """One page of `rep`'s changes after `cursor` (from nothing when None).

    Queries: one for the page of entries (two on the page where the snapshot ends and the
    changes begin), then one per entity type present on it (a type may prefetch). None grows
    with the page size.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    position = Position.decode(cursor) if cursor else None
    feed = SyncEntry.objects.filter(rep=rep)
    snapshot: list[Row] = []
    if position is None or position.snapshot:
        snapshot, horizon = _snapshot(feed, position, limit)
        if horizon is None:
            # Nothing settled yet: the next pull starts from nothing again.
            return Page(cursor=None, more=False, changes=[])
        if len(snapshot) > limit:
            snapshot = snapshot[:limit]
            last = Position(horizon, snapshot[-1][1], snapshot[-1][2], snapshot=True)
            return Page(cursor=last.encode(), more=True, changes=_records(rep, snapshot, from_snapshot=limit))
        position = Position.changes_from(horizon)
    room = limit - len(snapshot)
    changes = _changes(feed, position, room)
    more = len(changes) > room
    changes = changes[:room]
    if changes:
        position = Position(changes[-1][0], changes[-1][1], changes[-1][2])
    records = _records(rep, snapshot + changes, from_snapshot=len(snapshot))
    return Page(cursor=position.encode(), more=more, changes=records)


def _records(rep: User, rows: list[Row], *, from_snapshot: int) -> list[dict[str, Any]]:
    """The changes for these entries, the first `from_snapshot` of them from the snapshot.

    An entity gone since its entry was written (purged, say) is sent as deleted (the next publish
    marks its entry deleted too), except from the snapshot: a device that never held it has
    nothing to delete.
    """
    if not rows:
        return []
    wanted: dict[int, list[str]] = {}
    for _stamp, kind, entity_id, deleted in rows:
        if not deleted and kind in TYPES_BY_RANK:
            wanted.setdefault(kind, []).append(entity_id)
    found = {kind: TYPES_BY_RANK[kind].serialize(rep, ids) for kind, ids in wanted.items()}

    changes: list[dict[str, Any]] = []
    for index, (_stamp, kind, entity_id, deleted) in enumerate(rows):
        entity_type = TYPES_BY_RANK.get(kind)
        if entity_type is None:
            continue
        record = None if deleted else found[kind].get(entity_id)
        if record is not None:
            changes.append({"type": entity_type.name, "id": entity_id, **record})
        elif index >= from_snapshot:
            changes.append({"type": entity_type.name, "id": entity_id, "deleted": True})
    return changes
