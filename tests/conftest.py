from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import TransactionTestCase, override_settings
from django.utils import translation
from whitenoise.middleware import WhiteNoiseMiddleware

from clients.models import ClientList, ListAccess
from fieldsales.accounts import REPS
from tests import flush, servers
from tests.factories import BackOfficeFactory, ManagerFactory, RepFactory, make_pos_list, reps_may_edit


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need PostgreSQL's concurrency; on SQLite they are skipped with that reason."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The test database as pytest-django makes it; the tests that commit for real end with `tests.flush`'s cheaper
    flush, which writes back the rows post_migrate wrote when it was made."""
    with django_db_blocker.unblock():
        rows = {DEFAULT_DB_ALIAS: flush.snapshot(DEFAULT_DB_ALIAS)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", flush.teardown(rows))
        yield


@pytest.fixture(scope="session", autouse=True)
def static_files_listed_once() -> Iterator[None]:
    """WhiteNoise lists every static file its finders know each time its middleware is made, which is each time a
    test makes an HTTP client: about 40 ms, hundreds of times a run. The files do not change while the tests run (the
    tests that collect them write to STATIC_ROOT, which WhiteNoise reads apart), so the list is made once for each
    configuration and copied after."""
    original = WhiteNoiseMiddleware.add_files_from_finders
    listed: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add_files_from_finders(self: WhiteNoiseMiddleware) -> None:
        key = (
            type(self),
            self.static_prefix,
            self.max_age,
            repr(settings.STATICFILES_DIRS),
            tuple(settings.INSTALLED_APPS),
            tuple(settings.STATICFILES_FINDERS),
        )
        if key not in listed:
            before = dict(self.files)
            original(self)
            listed[key] = {url: found for url, found in self.files.items() if before.get(url) is not found}
        self.files.update(listed[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WhiteNoiseMiddleware, "add_files_from_finders", add_files_from_finders)
        yield


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Passwords hashed with MD5 for the whole run, in this process and its live servers' threads.

    PBKDF2 costs about half a second a hash on purpose, and every user a factory makes gets a password: that was most
    of the setup time of the admin, board and sync tests. A wrong password is still refused with MD5, so the sign-in
    and lockout tests (django-axes) test the same rules. Production keeps the settings' hashers
    (tests/fieldsales/test_production.py checks it); they follow MD5 here so that a hash they made still verifies.
    """
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(autouse=True)
def language_of_the_settings():  # type: ignore[no-untyped-def]
    """Each test starts in the settings' language: a request in French leaves French active in the test's thread
    (LocaleMiddleware activates it and nothing deactivates it), and a message asserted in English would fail in the
    tests that follow."""
    yield
    translation.deactivate()


@pytest.fixture
def pos_list(db):  # type: ignore[no-untyped-def]
    """A points-of-sale list with one attribute of each interesting type (see `make_pos_list`). No group has access
    to it unless the test also asks for `pos_list_readonly` or `pos_list_editable`, which grant the Reps group
    theirs."""
    return make_pos_list()


@pytest.fixture
def reps_group(db) -> Group:  # type: ignore[no-untyped-def]
    """The Reps group. The sync and browser tests override it to commit for real (see tests/sync/conftest.py)."""
    return Group.objects.get_or_create(name=REPS)[0]


@pytest.fixture
def pos_list_readonly(pos_list, reps_group) -> ClientList:  # type: ignore[no-untyped-def]
    """`pos_list`, which the Reps group may read (an access with no right ticked)."""
    ListAccess.objects.create(client_list=pos_list, group=reps_group)
    return pos_list


@pytest.fixture
def pos_list_editable(pos_list, reps_group) -> ClientList:  # type: ignore[no-untyped-def]
    """`pos_list`, on which the Reps group may create and edit clients, not archive them."""
    return reps_may_edit(pos_list)


@pytest.fixture
def awa(reps_group):  # type: ignore[no-untyped-def]
    """A rep."""
    return RepFactory(username="awa")


@pytest.fixture
def koffi(reps_group):  # type: ignore[no-untyped-def]
    """Another rep."""
    return RepFactory(username="koffi")


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


@pytest.fixture
def http_server(transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """The project's ASGI application in uvicorn on loopback (tests/servers.py): its address."""
    yield from servers.serve(settings, monkeypatch)
