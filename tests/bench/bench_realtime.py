"""Realtime benchmark: `make bench-realtime` (or `python -m tests.bench.bench_realtime`).

200 reps, each with a client and an open app: a socket on `/ws/rep/` through the real ASGI application (origin
check, session auth, the rep consumer), on the Redis at REDIS_URL (redis://127.0.0.1:6379/0 by default), with each
channels-redis layer in turn (`core`, `pubsub`). On a throwaway database of the configured kind. For each layer:

- one commit per rep (a client renamed through the service the admin calls), one after the other: latency from the
  commit to the rep's socket receiving `{"type": "changed"}`;
- one commit renaming all 200 clients (a bulk admin action): latency from that commit to each socket's message;

each as p50, p95 and max over the 200 reps, and the messages lost (not received within 5 s). Goal: p95 < 100 ms and
none lost. Baseline, measured in the same run on the same layer: a bare channel-layer group_send to 200 channels
(one each, in a group of their own) and their receive, without the app, the database or the sockets.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tests.bench.throwaway import on_throwaway_db

REPS = 200
LOST_AFTER_S = 5.0
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}


def main() -> None:
    on_throwaway_db(run, "fieldsales-bench-realtime")


def build() -> list[tuple[Any, Any]]:
    """REPS reps, each with a client of their own on a list the reps may see."""
    from django.contrib.auth.models import Group

    from clients.models import ListAccess
    from clients.services import client_create
    from fieldsales.accounts import REPS as REPS_GROUP
    from tests.factories import BackOfficeFactory, RepFactory, make_pos_list

    client_list = make_pos_list()
    ListAccess.objects.create(client_list=client_list, group=Group.objects.get_or_create(name=REPS_GROUP)[0])
    clerk = BackOfficeFactory(username="clerk")
    pairs = []
    for index in range(REPS):
        rep = RepFactory(username=f"rep{index}")
        data = {
            "name": f"Boutique {index}",
            "lat": 5.36,
            "lng": -4.01,
            "attributes": {"quartier": "Cocody", "categorie": "Boutique"},
        }
        client = client_create(user=clerk, client_list=client_list, data=data, reps=(rep,))
        pairs.append((rep, client))
    return pairs


def session_headers(rep: Any) -> list[tuple[bytes, bytes]]:
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(rep)
    return [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={http.cookies['sessionid'].value}".encode())]


def figures(latencies: list[float | None]) -> str:
    received = sorted(latency * 1000 for latency in latencies if latency is not None)
    lost = len(latencies) - len(received)
    if not received:
        return f"all {lost} lost"
    p95 = received[max(0, int(len(received) * 0.95 + 0.5) - 1)]
    return f"p50 {statistics.median(received):.1f} ms, p95 {p95:.1f} ms, max {received[-1]:.1f} ms, lost {lost}"


async def arrival(receive: Callable[[], Awaitable[Any]]) -> float | None:
    """When the next message arrives (perf_counter), or None if none does within LOST_AFTER_S."""
    try:
        await asyncio.wait_for(receive(), LOST_AFTER_S)
    except TimeoutError:
        return None
    return time.perf_counter()


async def app_round(
    sockets: list[Any], change: Callable[[list[int]], list[float]], indexes: list[list[int]]
) -> list[float | None]:
    """Latencies of each socket's message after its change, made in batches: each batch of rep indexes is
    committed by `change` (in the database thread), which returns each batch's commit time."""
    from asgiref.sync import sync_to_async

    latencies: list[float | None] = [None] * len(sockets)
    for batch in indexes:
        waiting = [
            asyncio.ensure_future(arrival(lambda s=sockets[i]: s.receive_json_from(LOST_AFTER_S))) for i in batch
        ]
        [committed] = await sync_to_async(change)(batch)
        for i, task in zip(batch, waiting, strict=True):
            arrived = await task
            latencies[i] = None if arrived is None else arrived - committed
    return latencies


async def raw_round(layer: Any, channels: list[str], indexes: list[list[int]]) -> list[float | None]:
    """The same rounds with a bare channel layer: the group_sends of each batch at once (as many in flight as
    fieldsales.realtime allows), then the receives."""
    from fieldsales.realtime import CONCURRENT_SENDS

    gate = asyncio.Semaphore(CONCURRENT_SENDS)

    async def send(i: int) -> None:
        async with gate:
            await layer.group_send(f"bench.{i}", {"type": "rep.changed"})

    latencies: list[float | None] = [None] * len(channels)
    for batch in indexes:
        waiting = [asyncio.ensure_future(arrival(lambda c=channels[i]: layer.receive(c))) for i in batch]
        await asyncio.sleep(0)  # the receives are waiting, as the consumers' are
        started = time.perf_counter()
        await asyncio.gather(*(send(i) for i in batch))
        for i, task in zip(batch, waiting, strict=True):
            arrived = await task
            latencies[i] = None if arrived is None else arrived - started
    return latencies


def bench_layer(name: str, pairs: list[tuple[Any, Any]], headers: list[list[tuple[bytes, bytes]]]) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from django.db import transaction
    from django.test.utils import override_settings

    from clients.services import client_update
    from fieldsales.asgi import application

    renames = iter(range(1_000_000))

    def change(batch: list[int]) -> list[float]:
        """Renames the batch's clients in one transaction, through the admin's service; the commit's time."""
        committed: list[float] = []
        with transaction.atomic():
            # Registered first, so it runs first after the commit, before the notice the feed registers.
            transaction.on_commit(lambda: committed.append(time.perf_counter()))
            for i in batch:
                _rep, client = pairs[i]
                client_update(user=None, client=client, data={"name": f"Boutique {i}.{next(renames)}"})
        return committed

    one_by_one = [[i] for i in range(REPS)]
    all_at_once = [list(range(REPS))]

    async def scenario() -> dict[str, list[float | None]]:
        layer = get_channel_layer()
        sockets = [WebsocketCommunicator(application, "/ws/rep/", headers=headers[i]) for i in range(REPS)]
        for socket in sockets:
            connected, _ = await socket.connect(timeout=LOST_AFTER_S)
            assert connected
        channels = [await layer.new_channel() for _ in range(REPS)]
        for i, channel in enumerate(channels):
            await layer.group_add(f"bench.{i}", channel)
        try:
            results = {}
            # A warm-up round of each: connections to Redis opened, code paths run once.
            await app_round(sockets, change, [[0]])
            await raw_round(layer, channels, [[0]])
            results["app one"] = await app_round(sockets, change, one_by_one)
            results["raw one"] = await raw_round(layer, channels, one_by_one)
            results["app all"] = await app_round(sockets, change, all_at_once)
            results["raw all"] = await raw_round(layer, channels, all_at_once)
            return results
        finally:
            for socket in sockets:
                await socket.disconnect()
            for i, channel in enumerate(channels):
                await layer.group_discard(f"bench.{i}", channel)
            await layer.flush()

    # As fieldsales.settings configures each, under a prefix of this run's own.
    config: dict[str, Any] = {"hosts": [REDIS_URL], "prefix": f"bench-{uuid.uuid4().hex[:8]}"}
    if name == "core":
        config.update(capacity=settings.REDIS_CHANNEL_CAPACITY, expiry=60)
    layers = {"default": {"BACKEND": LAYERS[name], "CONFIG": config}}
    with override_settings(CHANNEL_LAYERS=layers):
        results = async_to_sync(scenario)()
    print(
        f"{name}, {REPS} commits, one per rep: {figures(results['app one'])} | "
        f"raw group_send → receive: {figures(results['raw one'])} (goal: p95 < 100 ms, 0 lost)",
        flush=True,
    )
    print(
        f"{name}, one commit for {REPS} reps: {figures(results['app all'])} | "
        f"raw, {REPS} group_sends at once: {figures(results['raw all'])} (goal: p95 < 100 ms, 0 lost)",
        flush=True,
    )


def run() -> None:
    import redis
    from django.db import connection

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise SystemExit(f"bench-realtime needs Redis at {REDIS_URL} (REDIS_URL): {error}") from error
    from django.test.utils import override_settings

    started = time.perf_counter()
    # Passwords are not what is measured: the fastest hasher keeps the setup short.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        pairs = build()
    headers = [session_headers(rep) for rep, _client in pairs]
    print(
        f"FieldSales realtime benchmark on {connection.vendor}, {REPS} rep sockets through the ASGI app, Redis at "
        f"{REDIS_URL}; setup {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    for name in LAYERS:
        bench_layer(name, pairs, headers)


if __name__ == "__main__":
    main()
