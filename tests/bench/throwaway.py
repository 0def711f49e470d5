"""The database every benchmark runs on: a throwaway one of the configured kind (SQLite unless DATABASE_URL names
PostgreSQL), created before the run and dropped after it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable


def on_throwaway_db(run: Callable[[], None], name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldsales.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if connection.vendor == "sqlite":
        # A file, as in production, not the test runner's in-memory database.
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tempfile.gettempdir(), f"{name}.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
