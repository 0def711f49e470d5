"""The sync contract as data: what the engine knows of the apps, and all that the phone and the OpenAPI document know.

The engine (pull.py, push.py, feed.py) imports no app. Each app tells it what it holds from its `AppConfig.ready()`,
through `<app>/sync.py`'s `register()`, which keeps the dependencies one-way: clients ← workflows ← kpis, all →
fieldsales. What is registered, where it is written, and who reads it:

- `register_type(EntityType(...))`: a kind of record a device holds (a client, a visit), built in `<app>/records.py`
  (its serializers, who sees it). The pull serializes it; the feed asks who sees it.
- `register_op(name, handler, label=..., entity=...)`: an op type a device may push; its handler, in `<app>/ops.py`;
  its label, what the app's sync alerts call it; the entity type whose records it creates or changes.
- `register_code(code, label)`: a rejection code an op's answer may carry, with what the app says of it. The engine
  registers its own (errors.py); an app registers the codes only its rules raise (workflows: `too_far`).
- `register_rules(name, publish)`: a rule the app validates or computes with, published in the pull's `rules` under
  `name` (workflows: `money`), read from where the rule lives so that the app never restates it.

From these and from nothing written by hand: the choices of the OpenAPI document (views.py, read when the document
is built) and the app's generated module static/js/lib/contract.js (`manage.py sync_contract`; a test fails when it
is stale).

Where a rule lives: in the app's services (writes) and selectors (who sees what), never in a handler. A handler
(`<app>/ops.py`) reads the op, calls one service and turns its answer into an `Outcome`, or its exception into an
`errors.Rejected`. Adding an op type end to end:

1. The rule, as a service in `<app>/services.py` (keyword-only, typed), tested in tests/<app>/test_services.py.
2. The handler in `<app>/ops.py`: `def handle_x(op: Op) -> Outcome`, parsing `op.data`, calling the service.
3. `register_op("x.do", ops.handle_x, label=_("…"), entity="x", creates=...)` in `<app>/sync.py`; a code of the
   app's own, if its rule needs one, with `register_code`.
4. `manage.py sync_contract` to write contract.js again; French for the new labels in locale/ (`make messages`).
5. The phone: make the op in static/js/lib (the outbox) and show its record; settings.js shows its label already.
6. Push tests in tests/sync/ (applied, rejected, replayed), and the contract's document if the records change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.utils.functional import Promise

# id -> the data a device stores for that entity: {"version": int, "data": {...}}
Serializer = Callable[["User", list[str]], Mapping[str, dict[str, Any]]]
# ids -> for each id, the ids of the reps who see that entity now
Seers = Callable[[list[str]], Mapping[str, set[int]]]
# a rep -> the ids of every entity of this type the rep sees now
Visible = Callable[["User"], Iterable[Any]]
# parent ids -> the ids of the entities of this type that hang on them (a client's visits, say)
Children = Callable[[list[str]], Iterable[Any]]
# a rep -> (id, latitude, longitude) of the entities of this type the rep sees that have a position
Positions = Callable[["User"], Iterable[tuple[Any, float, float]]]


@dataclass(frozen=True)
class EntityType:
    """A kind of record a device holds. `rank` orders types within one change stamp: lists before clients.

    `serialize` gives the records of version 1 of the pull; `serialize_v2` those of version 2 when they differ.
    `positions`: a first sync asked for `near` a point hands out this type's records nearest first.
    `follows_language`: the records depend on the rep's language, and are sent again when it changes.
    `rules`: the records carry rules (a list's attribute limits); this gives what those are made of, as JSON. The
    pull's rules version covers it, and a device holding another version is sent this type's records again.
    `lock`: locks these records' rows until the transaction ends, in the order of the ids given. A push locks every
    record its ops change this way before its first op (push.apply_ops), so that two pushes naming the same records
    in other orders queue behind each other instead of deadlocking.
    """

    name: str
    rank: int
    serialize: Serializer
    seers: Seers
    visible: Visible
    parent: str | None = None
    children_of: Children | None = None
    serialize_v2: Serializer | None = None
    positions: Positions | None = None
    follows_language: bool = False
    rules: Callable[[], Any] | None = None
    lock: Callable[[list[str]], None] | None = None

    def serializer(self, version: int) -> Serializer:
        return self.serialize_v2 if version >= 2 and self.serialize_v2 is not None else self.serialize


@dataclass(frozen=True)
class Op:
    """One op a device pushed, its envelope read (push.parse_op): what a handler is given."""

    op_id: uuid.UUID
    type: str
    entity_id: uuid.UUID
    base_version: int | None
    made_at: dt.datetime | None
    data: dict[str, Any]
    user: User
    device: uuid.UUID | None
    # Shared by the ops of one push: what handlers read once per push (see `push.apply_ops`). `memo["raws"]`: the
    # push's ops as sent, for handlers that read ahead. `memo["records"]`: records as earlier ops of the push read or
    # left them, which the push forgets whenever an op is rejected (its writes undone, an instance may be out of step).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Outcome:
    """What an applied op did. With `conflicts`, those fields were not applied and `current` is the server's copy.

    A handler returns one, or raises `errors.Rejected` when nothing of the op may be applied."""

    version: int | None
    conflicts: list[str] = field(default_factory=list)
    current: dict[str, Any] | None = None


Handler = Callable[[Op], Outcome]


@dataclass(frozen=True)
class OpType:
    """An op type a device may push.

    `label` names it to the rep (the app's sync alerts). `entity` is the type of the records it creates or changes
    (`visit` for `activity.submit`: a visit's record holds its submissions), None when it changes none a device holds
    (a statement sent). `creates`: its `entity_id` is the id of a record it creates, so that an op on that record,
    once this one was rejected, is `depends_on_rejected` rather than `not_found`."""

    name: str
    handler: Handler
    label: Promise | str
    entity: str | None
    creates: bool = False


TYPES: dict[str, EntityType] = {}
TYPES_BY_RANK: dict[int, EntityType] = {}
OPS: dict[str, OpType] = {}
# The names of the op types that create the entity they name (`OpType.creates`), for `errors.missing`.
CREATING_OPS: set[str] = set()
# Rejection codes, in the order they were registered (the engine's first), with their labels.
CODES: dict[str, Promise | str] = {}
# Who may download a photo besides its uploader and staff: (user, blob) -> bool, one per app that shows photos.
BLOB_READERS: list[Callable[[Any, Any], bool]] = []
# The rules the pull publishes, by name: each gives its JSON when a pull asks (settings may differ between calls).
RULES: dict[str, Callable[[], Any]] = {}


def register_type(entity_type: EntityType) -> None:
    if TYPES_BY_RANK.get(entity_type.rank, entity_type).name != entity_type.name:
        raise ValueError(f"sync rank {entity_type.rank} is taken")
    TYPES[entity_type.name] = entity_type
    TYPES_BY_RANK[entity_type.rank] = entity_type


def register_op(
    name: str, handler: Handler, *, label: Promise | str, entity: str | None, creates: bool = False
) -> None:
    """Let devices push ops of type `name`, applied by `handler`. `entity` must be registered first."""
    if entity is not None and entity not in TYPES:
        raise ValueError(f"op {name}: register the entity type {entity!r} before its ops")
    OPS[name] = OpType(name=name, handler=handler, label=label, entity=entity, creates=creates)
    if creates:
        CREATING_OPS.add(name)


def register_code(code: str, label: Promise | str) -> None:
    """Let op answers carry the rejection code `code`; `label` says to the rep, in a few words, what went wrong."""
    CODES[code] = label


def register_rules(name: str, publish: Callable[[], Any]) -> None:
    """Publish `publish()` in the pull's `rules` as `name`."""
    RULES[name] = publish


def entity_type_names() -> list[str]:
    """The entity types' names in rank order: the order of a first sync's snapshot."""
    return [TYPES_BY_RANK[rank].name for rank in sorted(TYPES_BY_RANK)]


@dataclass(frozen=True)
class ChildType:
    name: str
    children_of: Children


def children_of(type_name: str) -> list[ChildType]:
    """The types whose entities hang on entities of `type_name` (a client's visits, say)."""
    return [
        ChildType(entity_type.name, entity_type.children_of)
        for entity_type in TYPES.values()
        if entity_type.parent == type_name and entity_type.children_of is not None
    ]
