import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from tests.factories import BackOfficeFactory, ManagerFactory, make_pos_list


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need PostgreSQL's concurrency; on SQLite they are skipped with that reason."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def language_of_the_settings():  # type: ignore[no-untyped-def]
    """Each test starts in the settings' language: a request in French leaves French active in the test's thread
    (LocaleMiddleware activates it and nothing deactivates it), and a message asserted in English would fail in the
    tests that follow."""
    yield
    translation.deactivate()


@pytest.fixture
def pos_list(db):  # type: ignore[no-untyped-def]
    """A points-of-sale list with one attribute of each interesting type (see `make_pos_list`)."""
    return make_pos_list()


@pytest.fixture
def clerk(db):  # type: ignore[no-untyped-def]
    """A back-office user: clients, imports, the ledger, targets and statements; no purge."""
    return BackOfficeFactory(username="clerk")


@pytest.fixture
def clerk_client(client, clerk):  # type: ignore[no-untyped-def]
    client.force_login(clerk)
    return client


@pytest.fixture
def clerk_fr(clerk_client):  # type: ignore[no-untyped-def]
    """The clerk, reading the admin in French."""
    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return clerk_client


@pytest.fixture
def manager(db):  # type: ignore[no-untyped-def]
    """A back-office manager: the back office's rights, and purge, users and teams, list schemas, KPIs, workflows."""
    return ManagerFactory(username="manager")


@pytest.fixture
def manager_client(client, manager):  # type: ignore[no-untyped-def]
    client.force_login(manager)
    return client


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
