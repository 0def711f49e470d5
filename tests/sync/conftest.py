"""Shared helpers for the sync contract tests: reps, a device that pushes and pulls, and threads of their own.

The list reps work on is `pos_list_editable` (tests/conftest.py): it asks for `reps_group`, which here commits for
real, so the list is committed too."""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.db.models import Model
from django.test import Client as HttpClient

from fieldsales.accounts import REPS
from tests.factories import RepFactory, make_visit_workflow, signed_in

T = TypeVar("T")


def new_id() -> str:
    return str(uuid.uuid4())


def op(type_: str, entity_id: str | None = None, data: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    """One op of the contract, with fresh ids unless given."""
    return {
        "op_id": envelope.pop("op_id", None) or new_id(),
        "type": type_,
        "entity_id": entity_id or new_id(),
        "made_at": envelope.pop("made_at", "2026-11-22T09:14:03+00:00"),
        "data": data if data is not None else {},
        **envelope,
    }


@dataclass
class Device:
    """A rep's phone: a signed-in HTTP session that pushes ops and follows the pull cursor."""

    http: HttpClient
    device_id: str = field(default_factory=new_id)
    cursor: str | None = None
    store: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def push(self, *ops: dict[str, Any], expect: int = 200) -> list[dict[str, Any]]:
        response = self.http.post(
            "/api/sync/push",
            json.dumps({"device": self.device_id, "ops": list(ops)}),
            content_type="application/json",
        )
        assert response.status_code == expect, response.content
        return response.json()["results"] if expect == 200 else response.json()

    def pull_page(self, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if cursor:
            params["cursor"] = cursor
        if limit:
            params["limit"] = limit
        response = self.http.get("/api/sync/pull", params)
        assert response.status_code == 200, response.content
        return response.json()

    def sync(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Follow the cursor until `more` is false, applying changes to the local store; return them."""
        seen: list[dict[str, Any]] = []
        while True:
            page = self.pull_page(self.cursor, limit)
            for change in page["changes"]:
                key = (change["type"], change["id"])
                if change.get("deleted"):
                    self.store.pop(key, None)
                else:
                    self.store[key] = change
            seen.extend(page["changes"])
            self.cursor = page["cursor"] or self.cursor
            if not page["more"]:
                return seen

    def ids(self, type_: str) -> set[str]:
        return {entity_id for kind, entity_id in self.store if kind == type_}


@pytest.fixture
def reps_group(transactional_db) -> Group:
    """Sync tests commit for real: on PostgreSQL a pull hands out only changes whose transactions have
    ended, so writes left open by a test-wide transaction would (rightly) never be pulled."""
    return Group.objects.get_or_create(name=REPS)[0]


@pytest.fixture
def rep1(db, reps_group):  # type: ignore[no-untyped-def]
    return RepFactory(username="awa")


@pytest.fixture
def rep2(db, reps_group):  # type: ignore[no-untyped-def]
    return RepFactory(username="koffi")


def device_for(user: Any) -> Device:
    return Device(signed_in(user))


@pytest.fixture
def device1(rep1) -> Device:  # type: ignore[no-untyped-def]
    return device_for(rep1)


@pytest.fixture
def device2(rep2) -> Device:  # type: ignore[no-untyped-def]
    return device_for(rep2)


@pytest.fixture
def visit_workflow(db):  # type: ignore[no-untyped-def]
    """A workflow with a 100 m geo check-in form activity and an order activity."""
    return make_visit_workflow()


def made_by(visit_workflow: dict[str, Any]) -> list[Model]:
    """The rows of a `visit_workflow`: its workflow, activities and products."""
    activities = [visit_workflow[key] for key in ("workflow", "form", "order", "note") if visit_workflow[key]]
    return [*activities, *visit_workflow["products"]]


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


# Seconds a thread may take before the test fails: a hang, not a pace.
THREAD_TIMEOUT = 60


class Worker(threading.Thread):
    """Runs `target` on its own database connection, which it closes at the end; keeps its result or error."""

    def __init__(self, target: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.target = target
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.target()
        except BaseException as error:
            self.error = error
        finally:
            connection.close()

    def outcome(self) -> Any:
        self.join(THREAD_TIMEOUT)
        assert not self.is_alive(), "a thread is stuck"
        if self.error is not None:
            raise self.error
        return self.result


def started(target: Callable[[], Any]) -> Worker:
    worker = Worker(target)
    worker.start()
    return worker


def _state_of_the_database() -> tuple[Any, ...]:
    """How many rows each table holds, and where each id sequence stands."""
    tables = sorted(connection.introspection.table_names())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        counts = [f"SELECT {i}, COUNT(*) FROM {quote(table)}" for i, table in enumerate(tables)]  # noqa: S608 (names)
        cursor.execute(" UNION ALL ".join(counts))
        sizes = sorted(cursor.fetchall())
        # A sequence at 0 is one the flush reset, as good as none.
        cursor.execute("SELECT name, seq FROM sqlite_sequence WHERE seq > 0 ORDER BY name")
        return (tables, sizes, cursor.fetchall())


class DatabaseImages:
    """What fixtures of the tests that commit for real built, kept for the module: the first test to ask for one
    builds it, the others find the database as it left it instead of building it again (half a second and more, for
    a rep's world).

    SQLite's in-memory test database only, copied aside and back with its backup API (a millisecond); elsewhere
    (PostgreSQL), and in a test's transaction, each test builds its own. A copy is written back only over a database
    like the one it was built on: as many rows in each table and the same id sequences, as the fixture's own fixtures
    leave them after the flush that ends every such test. Were another fixture to have written first, the test builds
    its own."""

    def __init__(self) -> None:
        # By fixture: the database before it was built, the database after, and a copy of what it returned.
        self.images: dict[str, tuple[tuple[Any, ...], sqlite3.Connection, Any]] = {}

    def made(self, name: str, build: Callable[[], T], *refreshed: Model) -> T:
        """What `build()` returns, and its rows: built, or copied back with a copy of what it returned the first
        time. `refreshed`, which the fixture's own fixtures made, are read again from the copy's rows (their
        passwords' salts, their times)."""
        wrapper = connections[DEFAULT_DB_ALIAS]
        usable = (
            isinstance(wrapper, SQLiteDatabaseWrapper) and wrapper.is_in_memory_db() and not wrapper.in_atomic_block
        )
        before = _state_of_the_database() if usable else None
        if name in self.images and self.images[name][0] == before:
            _before, image, value = self.images[name]
            image.backup(connection.connection)
            for instance in refreshed:
                instance.refresh_from_db()
            return copy.deepcopy(value)
        value = build()
        if before is not None and name not in self.images:
            image = sqlite3.connect(":memory:")
            connection.connection.backup(image)
            self.images[name] = (before, image, copy.deepcopy(value))
        return value

    def close(self) -> None:
        for _before, image, _value in self.images.values():
            image.close()


@pytest.fixture(scope="module")
def database_images() -> Iterator[DatabaseImages]:
    """The module's `DatabaseImages`."""
    images = DatabaseImages()
    yield images
    images.close()
