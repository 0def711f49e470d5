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

The pull also publishes the rules the app validates and computes with (`published_rules`: money rounding, the
geofence's accuracy credit, what the apps register), with a version. A device says which version it holds
(`rules_version`); a page carries the rules only when that differs, and then, on a pull with a cursor, the records
that carry rules of their own too (a list's attribute limits), which a device holding other rules holds as they
were.

A first sync may say where the phone is (`near`): the snapshot then hands out the entries of the types that
have a position (clients) nearest first, ties and entities without a position last, by id. Their order is
worked out here, from every entry of those types left in the snapshot, and the cursor keeps the point and
the distance (whole decimetres) of the last entry handed out. A snapshot entry cannot move: a client that
moves gets a new stamp, above the horizon, and comes with the changes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from fieldsales.geo import MAX_ACCURACY_CREDIT_M, haversine_m, point_of
from fieldsales.models import SyncEntry
from fieldsales.sync.registry import RULES, TYPES_BY_RANK

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000
CHANGES = 1
SNAPSHOT = 2
VERSIONS = (1, 2)
# The distance given to an entity without a position: beyond any on the Earth (half its circumference is
# 2.0e8 dm), so those come last.
NO_POSITION = 10**12


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Position:
    """Where a device is in its feed.

    In the changes phase, `stamp` is the stamp of the last entry handed out; in the snapshot
    phase, it is the horizon, and (`kind`, `entity_id`) the last entry handed out. In a snapshot
    asked for `near` a point, `distance` is the last entry's from it, when its type has positions.
    """

    stamp: int
    kind: int
    entity_id: str
    snapshot: bool = False
    near: tuple[float, float] | None = None
    distance: int | None = None

    def encode(self) -> str:
        phase = SNAPSHOT if self.snapshot else CHANGES
        fields: list[Any] = [phase, self.stamp, self.kind, self.entity_id]
        if self.near is not None:
            fields += [*self.near, self.distance]
        text = json.dumps(fields, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, TypeError, binascii.Error):
            raise InvalidCursor(cursor) from None
        # Four fields: every cursor before `near` existed, and every one without it.
        if not isinstance(raw, list) or len(raw) not in (4, 7):
            raise InvalidCursor(cursor)
        phase, stamp, kind, entity_id = raw[:4]
        if phase not in (CHANGES, SNAPSHOT) or not all(
            (type(stamp) is int, type(kind) is int, isinstance(entity_id, str))
        ):
            raise InvalidCursor(cursor)
        if len(raw) == 4:
            return cls(stamp, kind, entity_id, snapshot=phase == SNAPSHOT)
        lat, lng, distance = raw[4:]
        near = point_of(lat, lng)
        if phase != SNAPSHOT or near is None or not (distance is None or (type(distance) is int and distance >= 0)):
            raise InvalidCursor(cursor)
        return cls(stamp, kind, entity_id, snapshot=True, near=near, distance=distance)

    @classmethod
    def changes_from(cls, horizon: int) -> Position:
        """Just before every entry stamped `horizon` or later (kinds are never negative)."""
        return cls(horizon, -1, "")


@dataclass(frozen=True)
class Page:
    """`snapshot`: on a page of the snapshot phase, how many entries of each type the whole snapshot holds. `rules`:
    the published rules, when the device holds another version of them."""

    cursor: str | None
    more: bool
    changes: list[dict[str, Any]]
    snapshot: dict[str, int] | None = None
    rules: dict[str, Any] | None = None


def published_rules() -> dict[str, Any]:
    """The rules the app validates and computes with, each from where it lives, and their `version`: a short hash
    of them and of what the records that carry rules are made of (`EntityType.rules`), so that a change to either
    reaches the devices."""
    rules: dict[str, Any] = {"accuracy_credit_m": MAX_ACCURACY_CREDIT_M}
    rules.update((name, publish()) for name, publish in sorted(RULES.items()))
    carried = {entity_type.name: entity_type.rules() for entity_type in TYPES_BY_RANK.values() if entity_type.rules}
    text = json.dumps([rules, carried], sort_keys=True, separators=(",", ":"))
    return {**rules, "version": hashlib.sha256(text.encode()).hexdigest()[:12]}


def _records_with_rules(rep: User, version: int) -> list[dict[str, Any]]:
    """Every record of the types that carry rules that the rep holds, as now: sent again with new rules.

    Queries: those of each such type's `visible` and serializer (a list's: the rights, the lists, their attributes)."""
    changes: list[dict[str, Any]] = []
    for entity_type in (TYPES_BY_RANK[rank] for rank in sorted(TYPES_BY_RANK)):
        if entity_type.rules is None:
            continue
        ids = [str(entity_id) for entity_id in entity_type.visible(rep)]
        records = entity_type.serializer(version)(rep, ids) if ids else {}
        changes.extend({"type": entity_type.name, "id": entity_id, **records[entity_id]} for entity_id in records)
    return changes


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


def _settled(
    entries: QuerySet[SyncEntry], horizon: int | None, count: int | None = None
) -> tuple[list[Row], int | None]:
    """These entries (their first `count`) below `horizon`, or below the horizon read in the same statement when
    None, and that horizon (None when there is none)."""
    if horizon is not None:
        return list(entries.filter(stamp__lt=horizon).values_list(*COLUMNS)[:count]), horizon
    horizon_sql = RawSQL(_horizon_sql(), [])  # noqa: S611 (constant SQL, no input)
    entries = entries.annotate(horizon=horizon_sql).filter(stamp__lt=horizon_sql)
    fetched = list(entries.values_list(*COLUMNS, "horizon")[:count])
    return [row[:4] for row in fetched], (fetched[0][4] if fetched else None)


def _snapshot_near(
    feed: QuerySet[SyncEntry], rep: User, position: Position | None, limit: int, near: tuple[float, float]
) -> tuple[list[Row], int | None, dict[tuple[int, str], int]]:
    """`_snapshot` with the entries of the types that have positions nearest `near` first, and the distance of
    each of those handed out, by (kind, entity id).

    Queries: one for the entries of the types up to the last with positions, one for the positions of each such
    type the page reaches, and one for the types after them when the page has room left.
    """
    positioned = {rank: entity_type.positions for rank, entity_type in TYPES_BY_RANK.items() if entity_type.positions}
    if not positioned or (position is not None and position.kind > max(positioned)):
        return (*_snapshot(feed, position, limit), {})
    if position is not None and position.kind in positioned and position.distance is None:
        raise InvalidCursor(position.encode())
    last_positioned = max(positioned)
    entries = feed.filter(deleted=False)
    # Every entry of these types, not a slice: a positioned type's order is only known once all of its entries are.
    # The keyset is applied below, in the same (Python) order as the sort, so that the two cannot disagree.
    head = entries.filter(kind__lte=last_positioned)
    if position is None:
        head_rows, horizon = _settled(head, None)
        after: tuple[int, int, str] = (-1, 0, "")
    else:
        head_rows, horizon = _settled(head.filter(kind__gte=position.kind), position.stamp)
        after = (position.kind, position.distance or 0, position.entity_id)

    by_kind: dict[int, list[Row]] = {}
    for row in head_rows:
        by_kind.setdefault(row[1], []).append(row)
    rows: list[Row] = []
    distances: dict[tuple[int, str], int] = {}
    for kind in sorted(by_kind):
        if len(rows) > limit:
            break
        kind_positions = positioned.get(kind)
        if kind_positions is not None:
            from_near = _distances(kind_positions(rep), near, [row[2] for row in by_kind[kind]])
            distances.update(((kind, entity_id), distance) for entity_id, distance in from_near.items())
            keyed = [((kind, from_near[row[2]], row[2]), row) for row in by_kind[kind]]
        else:
            keyed = [((kind, 0, row[2]), row) for row in by_kind[kind]]
        rows.extend(row for key, row in sorted(keyed) if key > after)

    room = limit + 1 - len(rows)
    if room > 0:
        tail = entries.filter(kind__gt=last_positioned).order_by("kind", "entity_id")
        tail_rows, horizon = _settled(tail, horizon, room)
        rows.extend(tail_rows)
    return rows[: limit + 1], horizon, distances


def _distances(
    positions: Iterable[tuple[Any, float, float]], near: tuple[float, float], entity_ids: list[str]
) -> dict[str, int]:
    """Each entity's distance from `near` in whole decimetres (NO_POSITION without a position)."""
    places = {str(entity_id): (lat, lng) for entity_id, lat, lng in positions}
    return {
        entity_id: NO_POSITION if entity_id not in places else round(haversine_m(*near, *places[entity_id]) * 10)
        for entity_id in entity_ids
    }


def _snapshot_counts(feed: QuerySet[SyncEntry], horizon: int) -> dict[str, int]:
    """How many entries of each type the whole snapshot below `horizon` holds."""
    counts = feed.filter(deleted=False, stamp__lt=horizon).values_list("kind").annotate(count=Count("*"))
    return {TYPES_BY_RANK[kind].name: count for kind, count in counts.order_by("kind") if kind in TYPES_BY_RANK}


def sync_pull(
    *,
    rep: User,
    cursor: str | None,
    limit: int = DEFAULT_LIMIT,
    version: int = 1,
    near: tuple[float, float] | None = None,
    rules_version: str | None = None,
) -> Page:
    """One page of `rep`'s changes after `cursor` (from nothing when None), with the records of `version`.

    `near` orders a first sync's snapshot (see `_snapshot_near`); with a cursor, the cursor's point counts.
    `rules_version`: the version of the rules the device holds ("" for none; None: a device that does not ask for
    them). When it is not the server's, the page carries the rules, and a page after a cursor the records that carry
    rules (`_records_with_rules`) before its changes.

    Queries: one for the page of entries (two on the page where the snapshot ends and the
    changes begin; with `near`, see `_snapshot_near`), one for the snapshot's counts on a page
    of the snapshot phase, then one per entity type present on it (a type may prefetch). None
    grows with the page size. New rules add those of `_records_with_rules` after a cursor.
    """
    page = _page(rep=rep, cursor=cursor, limit=limit, version=version, near=near)
    if rules_version is None:
        return page
    rules = published_rules()
    if rules_version == rules["version"]:
        return page
    again = _records_with_rules(rep, version) if cursor else []
    return dataclasses.replace(page, changes=again + page.changes, rules=rules)


def _page(*, rep: User, cursor: str | None, limit: int, version: int, near: tuple[float, float] | None) -> Page:
    """The page of changes of `sync_pull`, without the rules."""
    limit = max(1, min(limit, MAX_LIMIT))
    position = Position.decode(cursor) if cursor else None
    if position is not None:
        near = position.near
    feed = SyncEntry.objects.filter(rep=rep)
    snapshot: list[Row] = []
    counts: dict[str, int] | None = None
    if position is None or position.snapshot:
        distances: dict[tuple[int, str], int] = {}
        if near is None:
            snapshot, horizon = _snapshot(feed, position, limit)
        else:
            snapshot, horizon, distances = _snapshot_near(feed, rep, position, limit, near)
        if horizon is None:
            # Nothing settled yet: the next pull starts from nothing again.
            return Page(cursor=None, more=False, changes=[], snapshot={})
        counts = _snapshot_counts(feed, horizon)
        if len(snapshot) > limit:
            snapshot = snapshot[:limit]
            kind, entity_id = snapshot[-1][1], snapshot[-1][2]
            last = Position(
                horizon, kind, entity_id, snapshot=True, near=near, distance=distances.get((kind, entity_id))
            )
            records = _records(rep, snapshot, from_snapshot=limit, version=version)
            return Page(cursor=last.encode(), more=True, changes=records, snapshot=counts)
        position = Position.changes_from(horizon)
    room = limit - len(snapshot)
    changes = _changes(feed, position, room)
    more = len(changes) > room
    changes = changes[:room]
    if changes:
        position = Position(changes[-1][0], changes[-1][1], changes[-1][2])
    records = _records(rep, snapshot + changes, from_snapshot=len(snapshot), version=version)
    return Page(cursor=position.encode(), more=more, changes=records, snapshot=counts)


def _records(rep: User, rows: list[Row], *, from_snapshot: int, version: int) -> list[dict[str, Any]]:
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
    found = {kind: TYPES_BY_RANK[kind].serializer(version)(rep, ids) for kind, ids in wanted.items()}

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
