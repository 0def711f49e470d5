"""A cheaper end for the tests that commit for real (transactional_db: the sync, browser and fault tests).

Django empties the database after each of them, then sends `post_migrate` to every app, whose receivers write the
content types, permissions and roles again, query by query: about a tenth of a second a test, several hundred tests.
Here the database is emptied without the signal, and the rows those receivers wrote once, when the test database was
made, are put back as they were, in one statement a table. tests/fieldsales/test_flush.py checks that both ends leave
the same rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import connections
from django.test import TransactionTestCase

# The tables `post_migrate` fills (content types, permissions, the roles' groups and grants), parents first.
POST_MIGRATE_TABLES = (
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "fieldsales_rolegrant",
)

Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def snapshot(alias: str) -> Rows:
    """The rows of POST_MIGRATE_TABLES, with their columns."""
    connection = connections[alias]
    rows: Rows = {}
    with connection.cursor() as cursor:
        for table in POST_MIGRATE_TABLES:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (our constant)
            rows[table] = ([column[0] for column in cursor.description], cursor.fetchall())
    return rows


def restore(alias: str, rows: Rows) -> None:
    """Writes `rows` back into their emptied tables."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in POST_MIGRATE_TABLES:
            columns, values = rows[table]
            if not values:
                continue
            names = ", ".join(quote(column) for column in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", values)  # noqa: S608


def flush_and_restore(alias: str, rows: Rows) -> None:
    """The database emptied as a TransactionTestCase empties it, then `rows` written back instead of post_migrate.

    On SQLite the id sequences start again from where the test database was made (a tenth of a millisecond): every
    such test then begins with the same ids, which `DatabaseImages` (tests/sync/conftest.py) needs to copy a module's
    fixtures back instead of building them again. The rows written back move their tables' sequences past their own
    ids again (SQLite's AUTOINCREMENT), so those ids are not handed out twice. PostgreSQL's sequences are left where
    they were: its rows written back would not move them."""
    connection = connections[alias]
    call_command(
        "flush",
        verbosity=0,
        interactive=False,
        database=alias,
        reset_sequences=connection.vendor == "sqlite",
        inhibit_post_migrate=True,
    )
    restore(alias, rows)


def teardown(rows_by_alias: dict[str, Rows]) -> Any:
    """A TransactionTestCase's end (pytest-django's transactional_db among them) that empties each database with
    `flush_and_restore`; Django's own where the test names databases or apps this does not know."""
    original = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]

    def _fixture_teardown(self: TransactionTestCase) -> None:
        names = self._databases_names(include_mirrors=False)  # type: ignore[attr-defined]
        if self.available_apps is not None or any(name not in rows_by_alias for name in names):
            original(self)
            return
        for name in names:
            flush_and_restore(name, rows_by_alias[name])

    return _fixture_teardown
