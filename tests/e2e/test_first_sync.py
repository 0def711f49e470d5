"""A rep's first sync on a slow network: the nearest clients first, a progress bar with its count instead of "No
clients here", a sync cut short resumed from its last page, and compressed answers."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from clients.models import Assignment, Client
from fieldsales.sync.feed import refresh_reps
from tests.browser import wait_for
from tests.e2e.conftest import PHONE, TIMEOUT_MS, offset

CLIENTS = 130


def many_clients(clerk: Any, client_list: Any, rep: Any, count: int = CLIENTS) -> None:
    """`count` clients, client n standing n × 50 m north of the rep, written in bulk as an import would, then the
    rep's feed brought in step."""
    clients = []
    for n in range(1, count + 1):
        lat, lng = offset(50 * n)
        clients.append(
            Client(
                client_list=client_list,
                name=f"Boutique {n:03d}",
                lat=lat,
                lng=lng,
                attributes={"quartier": "Cocody", "categorie": "Boutique"},
                created_by=clerk,
                updated_by=clerk,
            )
        )
    Client.objects.bulk_create(clients)
    Assignment.objects.bulk_create([Assignment(client=client, rep=rep) for client in clients])
    refresh_reps([rep.pk])


def slow_phone(browser: Any, live_server: Any) -> Any:
    """A phone whose network the test holds: no service worker between the app and the test's routes."""
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        locale="en-GB",
        geolocation={"latitude": 5.3599, "longitude": -4.0083, "accuracy": 10},
        permissions=["geolocation"],
        service_workers="block",
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


class Pulls:
    """Every pull the app makes, in order: the first `hold` answered, the next one held (or cut) until released."""

    def __init__(self, context: Any, *, hold: int, cut: bool = False) -> None:
        self.asked: list[dict[str, list[str]]] = []
        self.reached: list[str] = []  # the cursors of the pulls that reached the server
        self.held: Any = None
        self.hold, self.cut = hold, cut
        context.route("**/api/sync/pull?*", self.handle)

    def handle(self, route: Any) -> None:
        query = parse_qs(urlparse(route.request.url).query)
        self.asked.append(query)
        if len(self.asked) == self.hold + 1 and self.held is None:
            if self.cut:
                self.held = "cut"
                route.abort("internetdisconnected")
                return
            self.held = route
            return
        self.reached.append(query.get("cursor", [""])[0])
        route.continue_()

    def release(self) -> None:
        self.reached.append(parse_qs(urlparse(self.held.request.url).query).get("cursor", [""])[0])
        self.held.continue_()


def sign_in_slowly(context: Any) -> Any:
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Username").fill("awa")
    page.get_by_label("Password").fill("fieldsales")
    page.get_by_role("button", name="Log in").click()
    return page


def test_the_first_sync_shows_its_progress_nearest_clients_first(
    browser, live_server, pos_list_editable, rep, clerk_user
):
    many_clients(clerk_user, pos_list_editable, rep)
    context = slow_phone(browser, live_server)
    pulls = Pulls(context, hold=1)
    page = sign_in_slowly(context)
    progress = page.get_by_role("status").filter(has=page.locator("progress"))
    # The first page is small: the list and the nearest clients, shown at once; the next one is on its way.
    expect(progress).to_contain_text(re.compile(r"Downloading your clients: \d+ of 130"))
    wait_for(page, "window.fieldsales.state.clients.size > 25")
    first_page = page.evaluate("window.fieldsales.state.clients.size")
    expect(progress).to_have_text(f"Downloading your clients: {first_page} of 130")
    assert page.locator("progress").evaluate("(bar) => [bar.value, bar.max]") == [first_page, 130]
    expect(page.locator("ul.clients li")).to_have_count(25)
    assert page.locator("ul.clients .client-name").first.inner_text() == "Boutique 001"
    expect(page.get_by_text("No clients here.")).to_be_hidden()
    # It asked for the lean form and for the clients near the phone.
    assert pulls.asked[0]["v"] == ["2"]
    assert pulls.asked[0]["near"] == ["5.35990,-4.00830"]

    pulls.release()
    wait_for(page, "window.fieldsales.state.sync.lastSync && !window.fieldsales.state.sync.running")
    expect(progress).to_be_hidden()
    expect(page.get_by_role("tab", name="Synced 130")).to_be_visible()
    assert page.locator("ul.clients .client-name").first.inner_text() == "Boutique 001"
    context.close()


def test_a_first_sync_cut_short_resumes_from_its_last_page(browser, live_server, pos_list_editable, rep, clerk_user):
    many_clients(clerk_user, pos_list_editable, rep)
    context = slow_phone(browser, live_server)
    pulls = Pulls(context, hold=1, cut=True)
    page = sign_in_slowly(context)
    # The second page is cut by the network; the app tries again by itself, from the cursor of the first.
    wait_for(page, "window.fieldsales && window.fieldsales.state.sync.error", timeout_ms=TIMEOUT_MS)
    kept = page.evaluate("window.fieldsales.state.clients.size")
    assert 0 < kept < CLIENTS
    wait_for(page, "window.fieldsales.state.sync.lastSync && !window.fieldsales.state.sync.running")
    expect(page.get_by_role("tab", name="Synced 130")).to_be_visible()
    # The server saw each page once: the first from nothing, the others from the cursor before them.
    assert pulls.reached[0] == ""
    assert len(pulls.reached) == len(set(pulls.reached))
    assert pulls.asked[1]["cursor"] == pulls.asked[2]["cursor"] != [""]
    context.close()


def test_answers_are_compressed_when_asked_and_plain_when_not(browser, live_server, pos_list_editable, rep, clerk_user):
    many_clients(clerk_user, pos_list_editable, rep, count=60)
    context = slow_phone(browser, live_server)
    encodings: list[str | None] = []
    context.on(
        "response",
        lambda response: (
            encodings.append(response.headers.get("content-encoding")) if "/api/sync/pull" in response.url else None
        ),
    )
    page = sign_in_slowly(context)
    wait_for(page, "window.fieldsales.state.sync.lastSync && !window.fieldsales.state.sync.running")
    expect(page.get_by_role("tab", name="Synced 60")).to_be_visible()
    assert encodings and all(encoding in ("zstd", "br", "gzip") for encoding in encodings), encodings
    # Without Accept-Encoding, the same answer comes as plain JSON.
    plain = context.request.get("/api/sync/pull?v=2&limit=2000", headers={"Accept-Encoding": "identity"})
    assert plain.headers.get("content-encoding") is None
    records = [change for change in json.loads(plain.body())["changes"] if change["type"] == "client"]
    assert len(records) == 60
    context.close()
