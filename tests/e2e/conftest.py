"""Browser tests: Playwright drives Debian's Chromium against the live server, as a rep's phone would.

Skipped only when no Chromium is found; CI installs Debian's `chromium`, so there they always run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test.testcases import QuietWSGIRequestHandler

from tests.browser import CHROMIUM_ARGS, headless_chromium_path, wait_for
from tests.factories import ABIDJAN, RepFactory, make_client, signed_in
from tests.sync import conftest as sync_fixtures

PHONE = {"width": 390, "height": 800}
TIMEOUT_MS = 20_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that drive Chromium carry the `browser` mark (`-m "not browser"` leaves them out)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


class Chromium:
    """One Chromium for browser tests that run one after another, closed after the last of them.

    Each test has its own contexts (cookies, storage, service workers), so sharing the browser shares nothing a test
    sees, and saves its start and stop, about a second a test. It must not outlive them: Playwright's sync API keeps
    an event loop running in this thread while it lives, and Django refuses database work beside a running loop.
    While it lives, DJANGO_ALLOW_ASYNC_UNSAFE lets the tests' own ORM calls, which are still synchronous, and the
    database flush between two of them through; other tests keep Django's guard.
    """

    def __init__(self) -> None:
        self.playwright: Any = None
        self.browser: Any = None
        self.violations: list[str] = []
        self.async_unsafe: str | None = None

    def start(self, path: str) -> Any:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.async_unsafe = os.environ.get(ASYNC_UNSAFE)
            os.environ[ASYNC_UNSAFE] = "true"
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            _report_csp_violations(self.browser, self.violations)
        return self.browser

    def stop(self) -> None:
        if self.browser is None:
            return
        try:
            self.browser.close()
        finally:
            self.playwright.stop()
            self.browser = self.playwright = None
            if self.async_unsafe is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self.async_unsafe


CHROMIUM = Chromium()
NEXT_ITEM = pytest.StashKey["pytest.Item | None"]()


def uses_browser(item: pytest.Item | None) -> bool:
    return item is not None and "browser" in getattr(item, "fixturenames", ())


def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # The `browser` fixture reads it to know whether the test after this one needs Chromium.
    item.stash[NEXT_ITEM] = nextitem


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # A browser test whose set-up failed before it reached the `browser` fixture does not close Chromium there.
    if "browser" not in getattr(item, "funcargs", {}) and not uses_browser(nextitem):
        CHROMIUM.stop()


class NoDelayHandler(QuietWSGIRequestHandler):
    disable_nagle_algorithm = True


@pytest.fixture(scope="session")
def live_server(live_server: Any) -> Any:
    """pytest-django's live server, sending with Nagle's algorithm off (TCP_NODELAY), as uvicorn does in production.

    Django's test server writes an answer's headers and its body apart: with Nagle's algorithm on, the body waited for
    the client to acknowledge the headers, which Linux delays by 40 ms on a connection kept alive (44 ms a request
    against 1 to 7 ms without, measured here). A sign-in makes about a hundred requests on Chromium's six connections:
    it took a tenth longer. The server makes a handler for each connection it accepts, from this class.
    """
    live_server.thread.httpd.RequestHandlerClass = NoDelayHandler
    return live_server


@pytest.fixture
def browser(request: pytest.FixtureRequest, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """Chromium, started after the database (see `Chromium`), and shared with the browser tests that follow."""
    path = headless_chromium_path()
    if path is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI installs it")
    browser = CHROMIUM.start(path)
    failures = request.session.testsfailed
    yield browser
    # After a failure Chromium itself may be what failed: the next test starts a fresh one.
    if request.session.testsfailed > failures or not uses_browser(request.node.stash.get(NEXT_ITEM, None)):
        CHROMIUM.stop()
    else:
        for context in browser.contexts:  # those the test left open
            context.close()
    violations = list(CHROMIUM.violations)
    CHROMIUM.violations.clear()
    # Every page of the test ran under the site's Content-Security-Policy: nothing it needed was refused.
    assert not violations, f"Content-Security-Policy refused: {violations}"


def _report_csp_violations(browser: Any, violations: list[str]) -> None:
    """Chromium logs each resource, script or style the page's CSP refuses: every context this browser opens collects
    those lines into `violations`."""
    open_context = browser.new_context

    def new_context(**options: Any) -> Any:
        context = open_context(**options)
        context.base_url = options.get("base_url")  # for `sign_in`'s cookies
        context.on(
            "console",
            lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
        )
        return context

    browser.new_context = new_context


def offset(metres_north: float, metres_east: float = 0.0) -> tuple[float, float]:
    """A point this many metres north and east of Abidjan's centre."""
    lat = ABIDJAN[0] + metres_north / 111_320
    lng = ABIDJAN[1] + metres_east / (111_320 * math.cos(math.radians(ABIDJAN[0])))
    return lat, lng


# The Reps group as the sync tests have it, committed for real: the live server reads it, and `pos_list_editable`,
# the list reps create and edit on, with it.
reps_group = sync_fixtures.reps_group


@pytest.fixture
def rep(reps_group: Group) -> Any:
    return RepFactory(username="awa", first_name="Awa", last_name="Koné")


@pytest.fixture
def clerk_user(transactional_db: None) -> Any:
    from tests.factories import BackOfficeFactory

    return BackOfficeFactory(username="clerk")


def assigned_client(clerk: Any, client_list: Any, rep: Any, name: str, north_m: float = 0, **attributes: Any) -> Any:
    lat, lng = offset(north_m)
    return make_client(
        client_list,
        user=clerk,
        reps=(rep,),
        name=name,
        lat=lat,
        lng=lng,
        attributes={"quartier": "Cocody", "categorie": "Boutique", **attributes},
    )


def open_phone(browser: Any, url: str, **options: Any) -> Any:
    """A phone (browser context) on the server at `url`: 390×800, English, the position granted at Abidjan's centre,
    service workers on; `options` override any of these."""
    context = browser.new_context(
        **{
            "viewport": PHONE,
            "base_url": url,
            "locale": "en-GB",
            "geolocation": {"latitude": ABIDJAN[0], "longitude": ABIDJAN[1], "accuracy": 10},
            "permissions": ["geolocation"],
            "service_workers": "allow",
            **options,
        }
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh phone (browser context) with the position granted, at Abidjan's centre."""
    context = open_phone(browser, live_server.url)
    yield context
    context.close()


def sign_in(context: Any, username: str = "awa") -> Any:
    """Opens the app signed in as `username` and waits for its first sync to finish.

    The session is made on the server, as the sign-in page would make it, with the CSRF cookie that page would set (the
    app's writes carry it back): the sign-in page itself is driven by tests/e2e/test_signin.py, and skipping it here
    saves half a second of each of the browser tests.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils.crypto import get_random_string

    session = signed_in(get_user_model().objects.get(username=username)).cookies[settings.SESSION_COOKIE_NAME].value
    url = context.base_url
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url},
            {"name": settings.CSRF_COOKIE_NAME, "value": get_random_string(32), "url": url},
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto("/")
    wait_synced(page)
    return page


def wait_synced(page: Any) -> None:
    """The app's sync loop has run to the end at least once since the page loaded, and is idle."""
    wait_for(
        page,
        "window.fieldsales && window.fieldsales.state.sync.lastSync && !window.fieldsales.state.sync.running"
        " && window.fieldsales.state.outbox.length === 0",
    )


def wait_controlled(page: Any) -> None:
    """The service worker controls the page: the shell and static files are cached for offline starts."""
    wait_for(page, "navigator.serviceWorker.controller !== null")


def go_offline(context: Any, page: Any) -> None:
    context.set_offline(True)
    page.reload()
    wait_for(page, "window.fieldsales && window.fieldsales.state.clientsVersion > 0")


def row_names(page: Any) -> list[str]:
    return page.locator("ul.clients .client-name").all_inner_texts()
