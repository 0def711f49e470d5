import pytest
from django.db import connection

from tests.factories import BackOfficeFactory, make_pos_list


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need PostgreSQL's concurrency; on SQLite they are skipped with that reason."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def pos_list(db):  # type: ignore[no-untyped-def]
    """A points-of-sale list with one attribute of each interesting type (see `make_pos_list`)."""
    return make_pos_list()


@pytest.fixture
def clerk(db):  # type: ignore[no-untyped-def]
    """A back-office user with every domain permission, including purge."""
    return BackOfficeFactory(username="clerk")


@pytest.fixture
def clerk_client(client, clerk):  # type: ignore[no-untyped-def]
    client.force_login(clerk)
    return client


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
