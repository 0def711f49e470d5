"""Realtime: with the rep's app open, an edit in the back office shows in it at once, through the rep's socket.

pytest-django's `live_server` speaks WSGI, without websockets: here the project's ASGI application runs in uvicorn,
in a thread on loopback, as it runs in production behind a proxy.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.browser import wait_for
from tests.e2e.conftest import PHONE, TIMEOUT_MS, assigned_client, sign_in, wait_synced
from tests.factories import ABIDJAN

STARTS_S = 20


@pytest.fixture
def asgi_server(transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`fieldsales.asgi.application` served by uvicorn on a free loopback port; its base URL."""
    import uvicorn

    from fieldsales.asgi import application

    layer = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"].startswith("channels_redis."):
        # xdist workers share the Redis, and their test databases hand out the same user ids.
        settings.CHANNEL_LAYERS = {
            "default": {**layer, "CONFIG": {**layer.get("CONFIG", {}), "prefix": f"test-{uuid.uuid4().hex}"}}
        }
    # The server's threads close their connections after each request: none is left to block the test database's
    # teardown.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=0, loop="asyncio", lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTS_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(STARTS_S)


def context_on(browser: Any, base_url: str, **options: Any) -> Any:
    context = browser.new_context(base_url=base_url, locale="en-GB", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_a_client_renamed_in_the_back_office_shows_in_the_open_app_without_a_reload(
    browser, asgi_server, pos_list_editable, rep, clerk_user
):
    shop = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Avant", north_m=20)
    phone = context_on(
        browser,
        asgi_server,
        viewport=PHONE,
        geolocation={"latitude": ABIDJAN[0], "longitude": ABIDJAN[1], "accuracy": 10},
        permissions=["geolocation"],
        service_workers="allow",
    )
    frames: list[str] = []
    phone.on(
        "page",
        lambda page: page.on(
            "websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame)))
        ),
    )
    page = sign_in(phone)
    expect(page.get_by_text("Boutique Avant")).to_be_visible()
    # The socket is open, and the pull its opening started is over: the rep's group holds it from here on.
    wait_for(page, "window.fieldsales.state.sync.live === true")
    wait_synced(page)
    pulls: list[str] = []
    page.on("request", lambda request: pulls.append(request.url) if "/api/sync/pull" in request.url else None)

    office = context_on(browser, asgi_server)
    admin = office.new_page()
    admin.goto(f"/admin/clients/client/{shop.pk}/change/")
    admin.get_by_label("Username").fill("clerk")
    admin.get_by_label("Password").fill("fieldsales")
    admin.get_by_role("button", name="Log in").click()
    admin.get_by_label("Name:", exact=True).fill("Boutique Après")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")

    # No reload, and the app's next poll is 5 minutes away: the socket told it to pull.
    expect(page.get_by_text("Boutique Après")).to_be_visible()
    expect(page.get_by_text("Boutique Avant")).to_have_count(0)
    assert {"type": "changed"} in [json.loads(frame) for frame in frames]
    assert pulls
    assert page.errors == []
    office.close()
    phone.close()
