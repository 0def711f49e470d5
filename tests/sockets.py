"""Sockets in tests: through the real ASGI application (origin check, session auth, routing) on a real Redis channel
layer, each test under a prefix of its own (xdist workers share the Redis)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client as HttpClient

from fieldsales.asgi import application
from fieldsales.settings import redis_host

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}
# Long enough for a loaded CI machine; a message that arrives comes in milliseconds.
ARRIVES_S = 5
# How long a socket must stay silent to count as sent nothing: the one sent to has had its message by then.
SILENT_S = 0.5


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def use_redis_layer(settings: Any, layer: str = "core", **config: Any) -> None:
    """Point the settings at this layer on the Redis at REDIS_URL (skipping the test without one)."""
    if not redis_reachable():
        pytest.skip(f"no Redis at {REDIS_URL}; CI runs one")
    config = {"hosts": [redis_host(REDIS_URL)], "prefix": f"test-{uuid.uuid4().hex}", **config}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": LAYERS[layer], "CONFIG": config}}


def flush_layer() -> None:
    async_to_sync(get_channel_layer().flush)()


def session_headers(user: Any | None) -> list[tuple[bytes, bytes]]:
    """What a browser sends with the handshake: its origin and, signed in, its session cookie."""
    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        http = HttpClient()
        http.force_login(user)
        headers.append((b"cookie", f"sessionid={http.cookies['sessionid'].value}".encode()))
    return headers


@asynccontextmanager
async def open_socket(path: str, headers: list[tuple[bytes, bytes]]) -> AsyncIterator[WebsocketCommunicator]:
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await socket.connect(timeout=ARRIVES_S)
    assert connected
    try:
        yield socket
    finally:
        await socket.disconnect()


async def all_silent(*sockets: WebsocketCommunicator) -> bool:
    """Whether each socket is sent nothing for SILENT_S: listened to together, not one after the other, each for as
    long as `receive_nothing` listens to one."""
    return all(await asyncio.gather(*(socket.receive_nothing(timeout=SILENT_S) for socket in sockets)))


async def refused(path: str, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the application refuses this handshake."""
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await socket.connect(timeout=ARRIVES_S)
    if connected:
        await socket.disconnect()
    return not connected


def run(scenario: Callable[[], Any]) -> None:
    """Runs an async scenario from a sync test: its sockets and the app share one event loop, and the ORM calls it
    makes through sync_to_async run in this thread, on the test's database connection."""
    async_to_sync(scenario)()
