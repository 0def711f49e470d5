"""The rep's socket (`/ws/rep/`): a change to what a rep's device shows reaches that rep's open app once it commits,
once per transaction, and no one else's. Through the real ASGI application (origin check, session auth, routing)
and a real Redis channel layer, each layer in turn."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from clients.services import client_update
from tests.factories import BackOfficeFactory, make_client
from tests.sockets import (
    ARRIVES_S,
    LAYERS,
    SILENT_S,
    all_silent,
    flush_layer,
    open_socket,
    refused,
    run,
    session_headers,
    use_redis_layer,
)
from tests.sync.conftest import device_for, new_id, op

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=sorted(LAYERS))
def redis_layer(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """Each layer on Redis as the settings configure it."""
    extra = {"capacity": settings.REDIS_CHANNEL_CAPACITY, "expiry": 60} if request.param == "core" else {}
    use_redis_layer(settings, request.param, **extra)
    yield request.param
    flush_layer()


@pytest.fixture
def clerk(transactional_db: None) -> Any:
    return BackOfficeFactory(username="clerk")


def rep_socket(headers: list[tuple[bytes, bytes]]) -> Any:
    return open_socket("/ws/rep/", headers)


def test_a_back_office_edit_reaches_the_assigned_reps_app_and_no_one_elses(
    redis_layer, clerk, pos_list_editable, awa, koffi
):
    shop = make_client(pos_list_editable, user=clerk, reps=(awa,), name="Épicerie Chez Awa")
    awa_headers, koffi_headers = session_headers(awa), session_headers(koffi)

    async def scenario() -> None:
        async with rep_socket(awa_headers) as awa_app, rep_socket(koffi_headers) as koffi_app:
            await sync_to_async(client_update)(user=clerk, client=shop, data={"name": "Épicerie Chez Awa et Fils"})

            assert await awa_app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}
            assert await all_silent(koffi_app, awa_app)

    run(scenario)


def test_every_app_the_rep_has_open_is_told(redis_layer, clerk, pos_list_editable, awa):
    shop = make_client(pos_list_editable, user=clerk, reps=(awa,))
    phone, tablet = session_headers(awa), session_headers(awa)

    async def scenario() -> None:
        async with rep_socket(phone) as phone_app, rep_socket(tablet) as tablet_app:
            await sync_to_async(client_update)(user=clerk, client=shop, data={"phone": "+225 07 08 09 10 11"})

            assert await phone_app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}
            assert await tablet_app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}

    run(scenario)


def test_an_anonymous_socket_is_refused(redis_layer):
    async def scenario() -> None:
        assert await refused("/ws/rep/", session_headers(None))

    run(scenario)


def test_a_socket_from_another_site_is_refused(redis_layer, awa):
    headers = [(name, b"https://evil.example" if name == b"origin" else value) for name, value in session_headers(awa)]

    async def scenario() -> None:
        assert await refused("/ws/rep/", headers)

    run(scenario)


def test_a_push_of_200_ops_tells_the_rep_once(redis_layer, clerk, pos_list_editable, awa):
    shops = [make_client(pos_list_editable, user=clerk, reps=(awa,), name=f"Boutique {index}") for index in range(4)]
    device = device_for(awa)
    ops = [
        op("note.create", new_id(), {"client": str(shops[index % len(shops)].pk), "text": f"Passage {index}"})
        for index in range(196)
    ] + [
        op("client.update", str(shop.pk), {"attributes": {"quartier": "Plateau"}}, base_version=shop.version)
        for shop in shops
    ]
    headers = session_headers(awa)

    async def scenario() -> None:
        async with rep_socket(headers) as app:
            results = await sync_to_async(device.push)(*ops)
            assert {result["status"] for result in results} == {"applied"}

            assert await app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}
            assert await app.receive_nothing(timeout=SILENT_S)

    run(scenario)


def test_a_change_rolled_back_tells_no_one(redis_layer, clerk, pos_list_editable, awa):
    shop = make_client(pos_list_editable, user=clerk, reps=(awa,))
    headers = session_headers(awa)

    def edit_then_fail() -> None:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            client_update(user=clerk, client=shop, data={"name": "Jamais enregistré"})
            1 / 0  # noqa: B018

    async def scenario() -> None:
        async with rep_socket(headers) as app:
            await sync_to_async(edit_then_fail)()
            assert await app.receive_nothing(timeout=SILENT_S)
            # The next transaction tells the rep again: nothing of the undone one is left behind to swallow it.
            await sync_to_async(client_update)(user=clerk, client=shop, data={"name": "Enregistré"})
            assert await app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}

    run(scenario)


def test_an_unreachable_channel_layer_does_not_fail_the_change_and_is_logged(
    settings, caplog, clerk, pos_list_editable, awa, transactional_db
):
    shop = make_client(pos_list_editable, user=clerk, reps=(awa,))
    # Nothing listens on port 1: every connection is refused.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1"]}}
    }

    with caplog.at_level(logging.WARNING, logger="fieldsales.realtime"):
        client_update(user=clerk, client=shop, data={"name": "Épicerie Chez Awa et Fils"})

    shop.refresh_from_db()
    assert shop.name == "Épicerie Chez Awa et Fils"
    [warning] = [record.getMessage() for record in caplog.records]
    assert warning.startswith(
        f"realtime: 1 of 1 reps not told of their changes (they pull at their next poll); first: rep.{awa.pk}: "
    )
    assert "ConnectionError" in warning
