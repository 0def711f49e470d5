"""A Redis restart, on a Redis of the test's own (a redis-server on a free port, restarted by the test): once it is
back, the next socket opens and is told of the next change, and the sockets open all along are told to catch up, on
each channel layer the settings offer."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async

from clients.services import client_update
from fieldsales.settings import redis_host
from tests.factories import BackOfficeFactory, make_client
from tests.sockets import ARRIVES_S, LAYERS, SILENT_S, open_socket, run, session_headers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (CI installs it)"),
]
START_TIMEOUT_S = 10


class PrivateRedis:
    """A redis-server that keeps nothing on disk, on a port of its own, that the test stops and starts."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Ready when it answers: the client's own retries wait for the port to open (no fixed pause).
        client = redis.Redis.from_url(
            self.url,
            retry=redis.retry.Retry(redis.backoff.ExponentialBackoff(cap=0.2), retries=50),
            retry_on_error=[redis.ConnectionError],
        )
        assert client.ping()
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(START_TIMEOUT_S)


@pytest.fixture(params=sorted(LAYERS))
def restartable(request: pytest.FixtureRequest, settings: Any) -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    extra = {"capacity": settings.REDIS_CHANNEL_CAPACITY, "expiry": 60} if request.param == "core" else {}
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": LAYERS[request.param], "CONFIG": {"hosts": [redis_host(server.url)], **extra}}
    }
    yield server
    server.stop()


def test_after_a_redis_restart_the_next_socket_opens_and_is_told_of_the_next_change(
    restartable, pos_list_editable, awa
):
    clerk = BackOfficeFactory(username="clerk")
    shop = make_client(pos_list_editable, user=clerk, reps=(awa,), name="Épicerie Chez Awa")
    headers = session_headers(awa)

    async def scenario() -> None:
        async with open_socket("/ws/rep/", headers) as before:
            await sync_to_async(client_update)(user=clerk, client=shop, data={"name": "Chez Awa"})
            assert await before.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}
        restartable.stop()
        restartable.start()
        async with open_socket("/ws/rep/", headers) as after:
            await sync_to_async(client_update)(user=clerk, client=shop, data={"name": "Chez Awa et Fils"})
            assert await after.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}

    run(scenario)


# The default layer's: its sockets stay open while Redis is away, deaf. With `core`, a socket's consumer fails with its
# connection to Redis (the server closes the socket), and the app pulls when it opens one again (static/js/lib/live.js).
@pytest.mark.parametrize("restartable", ["pubsub"], indirect=True)
def test_sockets_open_while_redis_was_down_are_told_to_catch_up_once_it_is_back(
    restartable, pos_list_editable, awa, settings, caplog
):
    # The app and the board miss whatever was sent while Redis was down: told to read again, they get it all.
    settings.REALTIME_PROBE_SECONDS = 0.1
    clerk = BackOfficeFactory(username="clerk")
    app_headers, board_headers = session_headers(awa), session_headers(clerk)

    async def noticed(text: str) -> None:
        async with asyncio.timeout(ARRIVES_S):
            while text not in caplog.text:
                await asyncio.sleep(0.05)

    async def scenario() -> None:
        async with open_socket("/ws/rep/", app_headers) as app, open_socket("/ws/board/", board_headers) as board:
            await sync_to_async(restartable.stop)()
            await noticed("Redis does not answer")
            await sync_to_async(restartable.start)()
            assert await app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}
            assert await board.receive_json_from(timeout=ARRIVES_S) == {"type": "resync"}
            assert await app.receive_nothing(timeout=SILENT_S)

    with caplog.at_level(logging.WARNING, logger="fieldsales.consumers"):
        run(scenario)
    assert "Redis answers again" in caplog.text
