"""The back office's bulk actions reach the reps (clients/bulk.py): the clients a rep is added to come in the rep's next
pull, those the rep is removed from or that are archived leave it, and the rep's open app is told as soon as the action
commits, once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from clients.models import Client
from tests.clients.test_bulk import answer, start
from tests.factories import BackOfficeFactory, signed_in
from tests.sockets import (
    ARRIVES_S,
    all_silent,
    flush_layer,
    open_socket,
    run,
    session_headers,
    use_redis_layer,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clerk(transactional_db: None) -> Any:
    return BackOfficeFactory(username="clerk")


def shops(client_list: Any, count: int) -> list[Client]:
    """`count` clients of the list, no rep yet, written in bulk (the services that make one are tested elsewhere)."""
    return Client.objects.bulk_create(
        Client(
            client_list=client_list,
            name=f"Boutique {n:04d}",
            attributes={"quartier": "Cocody", "categorie": "Boutique"},
        )
        for n in range(count)
    )


def all_of(client_list: Any) -> dict[str, Any]:
    """The list's address filtered to one list: "select all" then takes every client of it, not the page's 50."""
    return {"client_list__id__exact": client_list.pk}


def test_a_rep_added_to_1000_clients_gets_them_at_the_next_pull_and_loses_them_when_removed(
    pos_list_editable, clerk, rep1, device1
):
    device1.sync()
    made = shops(pos_list_editable, 1000)
    office = signed_in(clerk)

    page = start(office, "reps_add", made[:50], params=all_of(pos_list_editable), across=True)
    assert answer(office, page, reps=[str(rep1.pk)]).status_code == 302

    device1.sync(limit=500)
    assert device1.ids("client") == {str(client.pk) for client in made}
    assert device1.store["client", str(made[0].pk)]["data"]["name"] == "Boutique 0000"

    page = start(office, "reps_remove", made[:50], params=all_of(pos_list_editable), across=True)
    answer(office, page, reps=[str(rep1.pk)])

    left = device1.sync(limit=500)
    assert device1.ids("client") == set()
    assert sum(1 for change in left if change["type"] == "client" and change.get("deleted")) == 1000


def test_archived_clients_leave_the_reps_app_at_the_next_pull(pos_list_editable, clerk, rep1, device1):
    made = shops(pos_list_editable, 3)
    office = signed_in(clerk)
    answer(office, start(office, "reps_add", made, params=all_of(pos_list_editable)), reps=[str(rep1.pk)])
    device1.sync()
    assert len(device1.ids("client")) == 3

    answer(office, start(office, "archive", made[:2]))

    device1.sync()
    assert device1.ids("client") == {str(made[2].pk)}


def test_an_attribute_set_in_bulk_reaches_the_reps_copy(pos_list_editable, clerk, rep1, device1):
    made = shops(pos_list_editable, 3)
    office = signed_in(clerk)
    answer(office, start(office, "reps_add", made), reps=[str(rep1.pk)])
    device1.sync()

    chooser = start(office, "attribute_set", made[:2])
    answer(office, answer(office, chooser, attribute="categorie"), value="Supermarché")

    changed = device1.sync()
    assert sorted(change["id"] for change in changed) == sorted(str(client.pk) for client in made[:2])
    assert device1.store["client", str(made[0].pk)]["data"]["attributes"]["categorie"] == "Supermarché"


@pytest.fixture
def redis_layer(settings: Any) -> Iterator[None]:
    use_redis_layer(settings, "core", capacity=settings.REDIS_CHANNEL_CAPACITY, expiry=60)
    yield
    flush_layer()


def test_the_reps_app_is_told_once_when_a_bulk_reassign_commits_and_no_one_elses(
    redis_layer, pos_list_editable, clerk, rep1, rep2
):
    made = shops(pos_list_editable, 1000)
    office = signed_in(clerk)
    page = start(office, "reps_add", made[:50], params=all_of(pos_list_editable), across=True)
    rep1_headers, rep2_headers = session_headers(rep1), session_headers(rep2)

    async def scenario() -> None:
        async with open_socket("/ws/rep/", rep1_headers) as app, open_socket("/ws/rep/", rep2_headers) as other:
            response = await sync_to_async(answer)(office, page, reps=[str(rep1.pk)])
            assert response.status_code == 302

            assert await app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}
            assert await all_silent(app, other)

    run(scenario)
