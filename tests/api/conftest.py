"""Fixtures for the REST API tests: a points-of-sale list the Reps group may read, two reps, and a way to make clients
through the service (so search text and versions are what the app writes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client as HttpClient

from clients.models import Client, ClientList, ListAccess
from clients.services import client_create
from fieldsales.accounts import REPS
from tests.factories import BackOfficeFactory, RepFactory, make_pos_list

ABIDJAN = (5.3599, -4.0083)


@pytest.fixture
def reps_group(db) -> Group:  # type: ignore[no-untyped-def]
    return Group.objects.get_or_create(name=REPS)[0]


@pytest.fixture
def pos_list(db, reps_group) -> ClientList:  # type: ignore[no-untyped-def]
    """The points-of-sale list of `make_pos_list`, readable by the Reps group (an access with no right ticked)."""
    client_list = make_pos_list()
    ListAccess.objects.create(client_list=client_list, group=reps_group)
    return client_list


@pytest.fixture
def awa(db, reps_group):  # type: ignore[no-untyped-def]
    return RepFactory(username="awa")


@pytest.fixture
def koffi(db, reps_group):  # type: ignore[no-untyped-def]
    return RepFactory(username="koffi")


@pytest.fixture
def back_office(db):  # type: ignore[no-untyped-def]
    return BackOfficeFactory(username="clerk")


def signed_in(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def api(awa) -> HttpClient:  # type: ignore[no-untyped-def]
    """Awa's signed-in session."""
    return signed_in(awa)


@pytest.fixture
def make_client(pos_list, awa) -> Callable[..., Client]:  # type: ignore[no-untyped-def]
    """A client of the points-of-sale list made by `client_create`, assigned to Awa unless `reps` says otherwise."""

    def make(
        name: str,
        attributes: dict[str, Any] | None = None,
        *,
        reps: Iterable[Any] | None = None,
        client_list: ClientList | None = None,
        **core: Any,
    ) -> Client:
        data = {"name": name, "lat": ABIDJAN[0], "lng": ABIDJAN[1], "accuracy_m": 8.0, **core}
        data["attributes"] = {"quartier": "Plateau", "categorie": "Boutique"} if attributes is None else attributes
        return client_create(
            user=awa,
            client_list=client_list or pos_list,
            data=data,
            reps=[awa] if reps is None else list(reps),
        )

    return make


def follow(http: HttpClient, url: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every page of a cursor-paginated list, following `next` until it is null."""
    pages = []
    response = http.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        page = response.json()
        pages.append(page)
        if not page["next"]:
            return pages
        assert len(pages) < 100, "the `next` links never end"
        response = http.get(page["next"])
