"""Browser tests: Playwright drives Debian's Chromium against the live server, as a rep's phone would.

Skipped only when no Chromium is found; CI installs Debian's `chromium`, so there they always run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group

from tests.browser import CHROMIUM_ARGS, chromium_path, wait_for
from tests.factories import RepFactory
from tests.sync import conftest as sync_fixtures
from tests.sync.conftest import ABIDJAN, make_client

PHONE = {"width": 390, "height": 800}
TIMEOUT_MS = 20_000


pytestmark = pytest.mark.browser


@pytest.fixture
def browser(live_server: Any, transactional_db: None) -> Iterator[Any]:
    """One Chromium per test, started after the database: Playwright's sync API keeps an event loop running in
    this thread while it lives, and Django refuses database set-up and teardown beside a running loop."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        violations = _report_csp_violations(browser)
        yield browser
        browser.close()
    # Every page of every test ran under the site's Content-Security-Policy: nothing it needed was refused.
    assert not violations, f"Content-Security-Policy refused: {violations}"


def _report_csp_violations(browser: Any) -> list[str]:
    """Chromium logs each resource, script or style the page's CSP refuses: every context this browser opens collects
    those lines."""
    violations: list[str] = []
    open_context = browser.new_context

    def new_context(**options: Any) -> Any:
        context = open_context(**options)
        context.on(
            "console",
            lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
        )
        return context

    browser.new_context = new_context
    return violations


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def offset(metres_north: float, metres_east: float = 0.0) -> tuple[float, float]:
    """A point this many metres north and east of Abidjan's centre."""
    lat = ABIDJAN[0] + metres_north / 111_320
    lng = ABIDJAN[1] + metres_east / (111_320 * math.cos(math.radians(ABIDJAN[0])))
    return lat, lng


# The list reps create and edit on, as the sync tests have it (committed for real: the live server reads it).
reps_group = sync_fixtures.reps_group
pos_list = sync_fixtures.pos_list


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
        clerk,
        client_list,
        reps=(rep,),
        name=name,
        lat=lat,
        lng=lng,
        attributes={"quartier": "Cocody", "categorie": "Boutique", **attributes},
    )


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh phone (browser context) with the position granted, at Abidjan's centre."""
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        locale="en-GB",
        geolocation={"latitude": ABIDJAN[0], "longitude": ABIDJAN[1], "accuracy": 10},
        permissions=["geolocation"],
        service_workers="allow",
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def sign_in(context: Any, username: str = "awa", password: str = "fieldsales") -> Any:
    """Signs in through the real login page and waits for the app's first sync to finish."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
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
