"""Fixtures for the REST API tests: Awa's session, a back-office user, and Awa's clients on the list she reads."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from clients.models import Client
from tests.factories import BackOfficeFactory, make_client, signed_in


@pytest.fixture
def back_office(db):  # type: ignore[no-untyped-def]
    return BackOfficeFactory(username="clerk")


@pytest.fixture
def api(awa) -> HttpClient:  # type: ignore[no-untyped-def]
    """Awa's signed-in session."""
    return signed_in(awa)


@pytest.fixture
def make_client_by_awa(pos_list_readonly, awa) -> Callable[..., Client]:  # type: ignore[no-untyped-def]
    """`make_client` on the list Awa reads, with Awa as its author and its rep unless `reps` says otherwise."""
    return functools.partial(make_client, pos_list_readonly, user=awa, reps=[awa])


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
