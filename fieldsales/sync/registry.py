"""What the sync engine knows of the apps: the entity types a device holds and the op types it may push.

The engine itself imports no app. Each app registers its types and op handlers from its
`AppConfig.ready()` (see `clients/sync.py`, `workflows/sync.py`), which keeps the dependencies
one-way: clients ← workflows ← kpis, and all of them → fieldsales.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from fieldsales.sync.push import Op, Outcome

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

    def serializer(self, version: int) -> Serializer:
        return self.serialize_v2 if version >= 2 and self.serialize_v2 is not None else self.serialize


TYPES: dict[str, EntityType] = {}
TYPES_BY_RANK: dict[int, EntityType] = {}
OPS: dict[str, Callable[[Op], Outcome]] = {}
# Op types that create the entity they name: an op on an entity whose creation was rejected is
# `depends_on_rejected`, not `not_found`.
CREATING_OPS: set[str] = set()
# Who may download a photo besides its uploader and staff: (user, blob) -> bool, one per app that shows photos.
BLOB_READERS: list[Callable[[Any, Any], bool]] = []


def register_type(entity_type: EntityType) -> None:
    if TYPES_BY_RANK.get(entity_type.rank, entity_type).name != entity_type.name:
        raise ValueError(f"sync rank {entity_type.rank} is taken")
    TYPES[entity_type.name] = entity_type
    TYPES_BY_RANK[entity_type.rank] = entity_type


def register_op(name: str, handler: Callable[[Op], Outcome], *, creates: bool = False) -> None:
    OPS[name] = handler
    if creates:
        CREATING_OPS.add(name)


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
