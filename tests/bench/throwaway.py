"""The database every benchmark runs on: a throwaway one of the configured kind (SQLite unless DATABASE_URL names
PostgreSQL), created before the run and dropped after it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable


def on_throwaway_db(run: Callable[[], None], name: str, *, database: str | None = None) -> None:
    """`database`: the exact name to create (and drop) instead of the test runner's "test_" one, for a run that
    starts other processes reaching the database by that name (the load test's server)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldsales.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if connection.vendor == "sqlite":
        # A file, as in production, not the test runner's in-memory database.
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tempfile.gettempdir(), f"{name}.sqlite3")
    if database is not None:
        connection.settings_dict["TEST"]["NAME"] = database
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
