"""`POST /api/sync/push`: apply a device's queued ops in order, each exactly once.

A push runs in one transaction, and each op in it claims its op id (a row in `SyncOp`, whose
primary key is the op id) and then makes its write, in a savepoint: a rejected op undoes its
own write and nothing else, and an op's claim commits with its write or not at all. A second
request with the same op id blocks on that row until the first commits, then reads its result:
`duplicate`. If the first rolls back, nothing was claimed and the second applies. No
read-then-write: the database's unique key decides (`INSERT ... ON CONFLICT DO NOTHING`, which
waits for a concurrent claimer the way a unique violation would, but leaves the transaction
usable). A rejected op keeps its row (so ops depending on it are `depends_on_rejected`) but is
tried again when the device sends it again (after uploading a missing photo, say).

One transaction per push rather than per op: a commit (a disk flush on PostgreSQL) per op, and
a feed update per op, cost more than the ops themselves. The feed is updated once, at the end,
for every entity the push touched (`feed.deferred`). An error that is not a rejection fails the
whole push, which the device sends again: none of it was applied.

What a push costs is its round trips to the database, so a push first runs the fast way:
- every op id claimed in one statement (`INSERT ... ON CONFLICT DO NOTHING RETURNING`) rather than one per op; an
  op whose id was taken already (sent before, or twice in this push) takes the path above, one at a time;
- the new records no later op reads back (notes, submissions, orders and their lines: `fieldsales.db.insert`)
  inserted together once every op ran, one statement per model;
- no savepoints (two round trips each, for the op and for the service it calls), since almost every op either
  writes or is rejected before it writes anything. A rejected op that wrote something, or met a database error
  (`_Careful`), undoes the whole transaction, and the push runs again the careful way, a savepoint around each op
  and each record inserted at once. So does a record whose id is taken, found when the records are inserted.
  Nothing of the fast attempt is kept: it was one transaction.

The handlers are the apps' (`<app>/ops.py`), found by op type in the registry (registry.py); they answer with an
`Outcome` or raise `Rejected` (errors.py). No app imports this module: what they need is in those two.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db import DatabaseError, OperationalError, connection, transaction

from fieldsales.db import InsertBatch, inserts_batched
from fieldsales.models import SyncOp
from fieldsales.sync.errors import (
    BROKEN_TEXT,
    INVALID,
    NON_FIELD,
    NOT_A_NUMBER,
    NOT_MADE_AT,
    NOT_OBJECT,
    NOT_UUID,
    NOT_VERSION,
    OP_ID_REUSED,
    OP_ID_REUSED_MESSAGE,
    TOO_DEEP,
    UNKNOWN_TYPE,
    Rejected,
    parse_moment,
    uuid_or_none,
)
from fieldsales.sync.feed import deferred
from fieldsales.sync.registry import OPS, TYPES, Op

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_OPS = 200
# An op's data is a few levels deep (data, lines, a line); far deeper is no op a device makes.
MAX_DEPTH = 16


def _result(op_id: Any, status: str, entity_id: Any, **fields: Any) -> dict[str, Any]:
    return {
        "op_id": str(op_id),
        "status": status,
        "entity_id": str(entity_id) if entity_id is not None else None,
        "version": fields.get("version"),
        "code": fields.get("code"),
        "errors": fields.get("errors"),
        "conflicts": fields.get("conflicts"),
        "current": fields.get("current"),
    }


def _rejected_result(op_id: Any, entity_id: Any, rejection: Rejected) -> dict[str, Any]:
    return _result(op_id, "rejected", entity_id, code=rejection.code, errors=rejection.errors or None)


def payload_hash(user: User, raw: dict[str, Any]) -> str:
    """What makes two sends of one op id the same op: everything but the id, for the same user."""
    payload = {key: value for key, value in raw.items() if key != "op_id"}
    text = json.dumps({"user": user.pk, "op": payload}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _unstorable(value: Any) -> Any:
    """Why no database could store `value` (a NUL or half an emoji in a text, a number that is not finite, a
    nesting no op needs), looking inside lists and objects; None when it can be stored. Walked without
    recursion, so that no nesting the JSON parser accepts can exhaust the stack."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return ProhibitNullCharactersValidator.message
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return BROKEN_TEXT
        elif isinstance(item, float) and not math.isfinite(item):
            return NOT_A_NUMBER
        elif isinstance(item, list | dict):
            if depth >= MAX_DEPTH:
                return TOO_DEEP
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _data_errors(data: dict[str, Any]) -> dict[str, list[Any]]:
    """Per field, the values of `data` that cannot be stored. Attributes and form values are named by their own
    key; a key that cannot be stored itself is reported on its parent."""
    errors: dict[str, list[Any]] = {}
    for key, value in data.items():
        if key in ("attributes", "values") and isinstance(value, dict):
            for inner_key, inner_value in value.items():
                problem = _unstorable(inner_key)
                if problem is None and (problem := _unstorable(inner_value)) is not None:
                    errors[inner_key] = [problem]
                elif problem is not None:
                    errors[key] = [problem]
            continue
        problem = _unstorable(key)
        if problem is None and (problem := _unstorable(value)) is not None:
            errors[key] = [problem]
        elif problem is not None:
            errors["data"] = [problem]
    return errors


def parse_op(
    user: User, device: uuid.UUID | None, raw: dict[str, Any], memo: dict[str, Any] | None = None
) -> tuple[Op | None, dict[str, list[Any]]]:
    """Read one op's envelope; the errors, if any, reject it as `invalid` without looking further."""
    errors: dict[str, list[Any]] = {}
    op_type = raw.get("type")
    if not isinstance(op_type, str) or op_type not in OPS:
        errors["type"] = [UNKNOWN_TYPE]
    try:
        entity_id = uuid.UUID(str(raw.get("entity_id")))
    except ValueError:
        errors["entity_id"] = [NOT_UUID]
    base_version = raw.get("base_version")
    if base_version is not None and (isinstance(base_version, bool) or not isinstance(base_version, int)):
        errors["base_version"] = [NOT_VERSION]
    made_at = None
    if raw.get("made_at") is not None:
        made_at = parse_moment(raw["made_at"])
        if made_at is None:
            errors["made_at"] = [NOT_MADE_AT]
    data = raw.get("data", {})
    if not isinstance(data, dict):
        errors["data"] = [NOT_OBJECT]
    else:
        errors.update(_data_errors(data))
    for key, value in raw.items():
        # The whole op is hashed (payload_hash): any other part of it must be storable too.
        if key not in errors and key != "data" and (problem := _unstorable(value)) is not None:
            errors[key if _unstorable(key) is None else NON_FIELD] = [problem]
    if errors:
        return None, errors
    op = Op(
        op_id=uuid.UUID(str(raw["op_id"])),
        type=str(op_type),
        entity_id=entity_id,
        base_version=base_version,
        made_at=made_at,
        data=data,
        user=user,
        device=device,
        memo={} if memo is None else memo,
    )
    return op, {}


@dataclass
class Batch:
    """What the ops of one push share: a memo, where handlers keep the back office's configuration they read
    (a list's schema, a workflow with its activities), and the outcomes still to store on their claims."""

    memo: dict[str, Any] = field(default_factory=dict)
    settles: list[list[Any]] = field(default_factory=list)
    # The fast way's: the new records its ops made, inserted together once they all ran (fieldsales.db.insert).
    inserts: InsertBatch | None = None

    def store(self) -> None:
        """The outcomes still to store, on their claims: one statement for all of them."""
        if self.settles:
            with connection.cursor() as cursor:
                cursor.execute(
                    _settles_sql(connection.vendor, len(self.settles)), [v for row in self.settles for v in row]
                )
            self.settles.clear()


class _Careful(Exception):
    """A rejected op of a fast push wrote something, or met a database error: only a savepoint could undo it."""


class _Writes:
    """An execute wrapper counting the statements that may have changed something: all but reads, and any that
    failed (on PostgreSQL a failed statement spoils the transaction until a savepoint is rolled back)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip()[:6].upper() != "SELECT":
            self.count += 1
        try:
            return execute(sql, params, many, context)
        except Exception:
            self.count += 1
            raise


def apply_ops(user: User, device: uuid.UUID | None, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply a push's ops in order, in one transaction; one result per op. Each `op_id` is a valid UUID.

    The push sees the back office's configuration as it was when an op first read it, as if checked all at once;
    who sees what, and the records themselves, each op reads afresh. The fast way first, the careful way when the
    fast one cannot undo a rejected op (see the module's docstring); both give the same results.
    """
    try:
        return _apply_all(user, device, raws, careful=False)
    except _Careful:
        return _apply_all(user, device, raws, careful=True)


def _apply_all(user: User, device: uuid.UUID | None, raws: list[dict[str, Any]], *, careful: bool) -> list[Any]:
    batch = Batch(memo={"raws": raws, "records": {}})
    with transaction.atomic(), deferred():
        _lock_records(raws)
        parsed = [parse_op(user, device, raw, batch.memo) for raw in raws]
        if careful:
            return _stored(
                batch, [apply_op(user, device, raw, batch, parsed=op) for raw, op in zip(raws, parsed, strict=True)]
            )
        claimed = _claim_all(raws, parsed)
        writes = _Writes()
        with _no_savepoints(), connection.execute_wrapper(writes), inserts_batched() as inserts:
            batch.inserts = inserts
            results = [
                apply_op(user, device, raw, batch, parsed=op, claimed=claimed.get(id(raw)), writes=writes)
                for raw, op in zip(raws, parsed, strict=True)
            ]
            try:
                inserts.flush()
            except OperationalError:
                raise
            except DatabaseError:
                # A record's id taken already: only the careful way tells which op it was.
                raise _Careful from None
        return _stored(batch, results)


def _stored(batch: Batch, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    batch.store()
    return results


@contextlib.contextmanager
def _no_savepoints() -> Iterator[None]:
    """Within, `transaction.atomic()` blocks inside the push's transaction make no savepoint: Django asks
    `_savepoint_allowed` before each one. A block left by an exception then marks the transaction for rollback,
    which `apply_op` clears when the rejected op changed nothing, or turns into `_Careful`."""
    connection._savepoint_allowed = lambda: False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del connection._savepoint_allowed  # type: ignore[attr-defined]


def _claim_all(raws: list[dict[str, Any]], parsed: list[tuple[Op | None, Any]]) -> dict[int, SyncOp]:
    """Claim the op ids of these ops in one statement, in the order of the ids (two pushes naming the same ids wait
    for each other rather than deadlock); the claim of each raw op (by `id(raw)`) whose id this push holds now. The
    first op of an id claims it; a later op of the same id, or one whose id was claimed before, goes the one-at-a-time
    way (`_claim`)."""
    first: dict[uuid.UUID, tuple[dict[str, Any], SyncOp]] = {}
    for raw, (op, _errors) in zip(raws, parsed, strict=True):
        if op is not None and op.op_id not in first:
            first[op.op_id] = (raw, _claim_of(op, payload_hash(op.user, raw)))
    if not first:
        return {}
    taken = _insert_claims([first[op_id][1] for op_id in sorted(first)])
    return {id(raw): claim for op_id, (raw, claim) in first.items() if op_id in taken}


def _insert_claims(claims: list[SyncOp]) -> set[uuid.UUID]:
    """Insert these claims of one push, in the order given, except those whose op id a row holds already (or is being
    inserted by a transaction that then commits): one statement; the op ids inserted."""
    # What the claims share (user, device, status, no result yet, this moment) is sent once; the rest, row by row.
    shared = _values(claims[0], SHARED_CLAIM_FIELDS)
    key = SyncOp._meta.get_field("op_id").get_db_prep_value
    rows = [
        (key(claim.op_id, connection), claim.type, key(claim.entity_id, connection), claim.payload_hash)
        for claim in claims
    ]
    with connection.cursor() as cursor:
        cursor.execute(_claims_sql(connection.vendor, len(rows)), [*shared, *(value for row in rows for value in row)])
        return {_op_id(value) for (value,) in cursor.fetchall()}


# A claim's fields sent once for all of a push's, and those sent for each op.
SHARED_CLAIM_FIELDS = ("user", "device", "status", "result", "created_at")
OWN_CLAIM_FIELDS = ("op_id", "type", "entity_id", "payload_hash")


@functools.cache
def _claims_sql(vendor: str, count: int) -> str:
    """The INSERT of `count` claims, for the connection's kind of database; its parameters: the shared values, then
    each op's. `INSERT ... SELECT ... FROM (VALUES ...)`: PostgreSQL and SQLite both name a VALUES list's columns
    column1, column2...; `WHERE true` is SQLite's way of telling an upsert's ON CONFLICT from a join's ON."""
    qn = connection.ops.quote_name
    column = {name: qn(str(SyncOp._meta.get_field(name).column)) for name in CLAIM_FIELDS}  # type: ignore[union-attr]
    own = {name: f"claim.column{index}" for index, name in enumerate(OWN_CLAIM_FIELDS, start=1)}
    selected = [own.get(name, "%s") for name in (*SHARED_CLAIM_FIELDS, *OWN_CLAIM_FIELDS)]
    row = f"({', '.join(['%s'] * len(OWN_CLAIM_FIELDS))})"
    columns = ", ".join(column[name] for name in (*SHARED_CLAIM_FIELDS, *OWN_CLAIM_FIELDS))
    return (
        f"INSERT INTO {qn(SyncOp._meta.db_table)} ({columns}) "  # noqa: S608 (names from the models, values as parameters)
        f"SELECT {', '.join(selected)} FROM (VALUES {', '.join([row] * count)}) AS claim WHERE true "
        f"ON CONFLICT ({column['op_id']}) DO NOTHING RETURNING {column['op_id']}"
    )


def _lock_records(raws: list[dict[str, Any]]) -> None:
    """Lock, type by type and in one order, the records the push's ops change (those not created by them): the ops
    then find them locked by their own transaction. Without this, two pushes naming the same clients in opposite
    orders each held one that the other waited for, until PostgreSQL failed one of them (a deadlock)."""
    named: dict[str, set[str]] = {}
    for raw in raws:
        type_name = raw.get("type")
        op_type = OPS.get(type_name) if isinstance(type_name, str) else None
        entity_id = uuid_or_none(raw.get("entity_id"))
        if op_type is not None and op_type.entity is not None and not op_type.creates and entity_id is not None:
            named.setdefault(op_type.entity, set()).add(str(entity_id))
    for type_name in sorted(named, key=lambda name: TYPES[name].rank):
        lock = TYPES[type_name].lock
        if lock is not None:
            lock(sorted(named[type_name]))


def apply_op(
    user: User,
    device: uuid.UUID | None,
    raw: dict[str, Any],
    batch: Batch | None = None,
    *,
    parsed: tuple[Op | None, dict[str, list[Any]]] | None = None,
    claimed: SyncOp | None = None,
    writes: _Writes | None = None,
) -> dict[str, Any]:
    """Apply one op atomically and return its result. `raw["op_id"]` is a valid UUID (the envelope checked it).

    Within `apply_ops`, in the push's transaction, and the outcome is stored on the claim with the others'; else
    in its own transaction. `parsed`: the op as `parse_op` read it already; `claimed`: its claim, made with the push's
    others; `writes`: the fast way's count of writes (no savepoints: see `_apply_all`)."""
    op, errors = (
        parsed if parsed is not None else parse_op(user, device, raw, batch.memo if batch is not None else None)
    )
    if op is None:
        op_id = uuid.UUID(str(raw["op_id"]))
        return _result(op_id, "rejected", uuid_or_none(raw.get("entity_id")), code=INVALID, errors=_texts(errors))
    # No savepoint of its own: an error here fails the whole transaction anyway, and the claim is kept only
    # together with the write (or the rejection) settled on it.
    with transaction.atomic(savepoint=False):
        claim = claimed if claimed is not None else _claim(op, payload_hash(user, raw), batch)
        if not isinstance(claim, SyncOp):
            return claim
        try:
            if writes is None:
                with transaction.atomic():
                    outcome = OPS[op.type].handler(op)
            else:
                outcome = _fast(op, writes, batch.inserts if batch is not None else None)
        except Rejected as rejection:
            if batch is not None:
                batch.memo["records"].clear()
            result = _rejected_result(op.op_id, op.entity_id, rejection)
            # At once: the push's later ops on the entity it would have created are `depends_on_rejected`.
            _settle(claim, SyncOp.Status.REJECTED, result)
            return result
        status = SyncOp.Status.CONFLICT if outcome.conflicts else SyncOp.Status.APPLIED
        result = _result(
            op.op_id,
            status.value,
            op.entity_id,
            version=outcome.version,
            conflicts=outcome.conflicts or None,
            current=outcome.current,
        )
        # Later is the same to every reader: the claim already says `applied`, which tells later ops all they
        # ask, and the rows are locked until the push commits.
        _settle(claim, status, result, batch)
        return result


def _fast(op: Op, writes: _Writes, inserts: InsertBatch | None) -> Any:
    """The op's handler without a savepoint. A rejection that changed nothing in the database leaves the transaction
    as it was (an atomic block it left marked it for rollback only for want of a savepoint), and the records it gave
    to insert are forgotten; any other needs the careful way."""
    before, callbacks = writes.count, len(connection.run_on_commit)
    mark = inserts.mark() if inserts is not None else 0
    try:
        outcome = OPS[op.type].handler(op)
    except Rejected:
        if writes.count != before or len(connection.run_on_commit) != callbacks:
            raise _Careful from None
        if inserts is not None:
            inserts.undo(mark)
        connection.needs_rollback = False
        raise
    except OperationalError:
        # A deadlock, a lost connection: the push fails, and `db.retried` runs it again if it may.
        raise
    except DatabaseError:
        raise _Careful from None
    if connection.needs_rollback:
        # A handler that went on after an error inside an atomic block: only a savepoint would have undone it.
        raise _Careful
    return outcome


def _claim_of(op: Op, digest: str) -> SyncOp:
    return SyncOp(
        op_id=op.op_id,
        user=op.user,
        device=op.device,
        type=op.type,
        entity_id=op.entity_id,
        payload_hash=digest,
        status=SyncOp.Status.APPLIED,
    )


def _claim(op: Op, digest: str, batch: Batch | None) -> SyncOp | dict[str, Any]:
    """Claim the op id (the row to settle), or return the answer for an op id already claimed."""
    claim = _claim_of(op, digest)
    if _insert_unless_claimed(claim):
        return claim
    if batch is not None:
        # The op id may be an earlier op of this push's, whose outcome is not stored yet.
        batch.store()
    # Blocks until a concurrent claimer commits; then its row is the answer.
    existing = SyncOp.objects.select_for_update().get(op_id=op.op_id)
    if existing.payload_hash != digest:
        return _rejected_result(op.op_id, op.entity_id, Rejected.message(OP_ID_REUSED, OP_ID_REUSED_MESSAGE))
    if existing.status == SyncOp.Status.REJECTED:
        return existing
    if existing.status == SyncOp.Status.APPLIED:
        return {**existing.result, "status": "duplicate"}
    return dict(existing.result)


# Every op writes its SyncOp row twice (its claim, then its outcome): these statements, written out, cost a fraction of
# what the ORM's do.
CLAIM_FIELDS = ("op_id", "user", "device", "type", "entity_id", "payload_hash", "status", "result", "created_at")
SETTLE_FIELDS = ("status", "result", "op_id")


@functools.cache
def _settles_sql(vendor: str, count: int) -> str:
    """The UPDATE that stores `count` outcomes (status, result, op id, each), for the connection's kind of database:
    `UPDATE ... FROM (VALUES ...)`, which PostgreSQL and SQLite (3.33 on) both read."""
    qn = connection.ops.quote_name
    table = qn(SyncOp._meta.db_table)
    status, result, key = (qn(str(SyncOp._meta.get_field(name).column)) for name in SETTLE_FIELDS)  # type: ignore[union-attr]
    rows = ", ".join(["(%s, %s, %s)"] * count)
    return (
        f"UPDATE {table} SET {status} = settled.column1, {result} = settled.column2 "  # noqa: S608 (names from the models, values as parameters)
        f"FROM (VALUES {rows}) AS settled WHERE {table}.{key} = settled.column3"
    )


def _op_id(value: Any) -> uuid.UUID:
    """An op id as the database returns it (a UUID on PostgreSQL, 32 hex digits on SQLite)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _values(instance: SyncOp, names: tuple[str, ...]) -> list[Any]:
    """The database values of these fields of `instance`, as the ORM would save them."""
    fields = [SyncOp._meta.get_field(name) for name in names]
    return [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]  # type: ignore[union-attr]


def _insert_unless_claimed(claim: SyncOp) -> bool:
    """Insert the claim unless a row holds its op id already (or is being inserted by a transaction that then
    commits); whether it was inserted."""
    return claim.op_id in _insert_claims([claim])


def _settle(claim: SyncOp, status: str, result: dict[str, Any], batch: Batch | None = None) -> None:
    """Store the op's outcome on its claim, now or with the push's others."""
    claim.status = status
    claim.result = result
    values = _values(claim, SETTLE_FIELDS)
    if batch is not None:
        batch.settles.append(values)
        return
    with connection.cursor() as cursor:
        cursor.execute(_settles_sql(connection.vendor, 1), values)


def _texts(errors: dict[str, list[Any]]) -> dict[str, list[str]]:
    return {key: [str(message) for message in messages] for key, messages in errors.items()}


# The contract keeps op results at least this long (sync-protocol.md).
OPS_KEPT = dt.timedelta(days=90)


def prune_ops(*, older_than: dt.timedelta = OPS_KEPT) -> int:
    """Forget op results older than `older_than` (the contract keeps them at least 90 days)."""
    from django.utils import timezone

    return SyncOp.objects.filter(created_at__lt=timezone.now() - older_than).delete()[0]
