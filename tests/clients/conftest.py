"""Fixtures for the back-office tests: a second list, named reps, and clients made through the service."""

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from clients.models import Client, ClientList
from clients.schema import AttributeType
from clients.services import client_create
from tests.factories import AttributeFactory, ClientListFactory, RepFactory

# Every attribute of `make_pos_list` filled, in canonical form.
FULL_ATTRIBUTES = {
    "quartier": "Cocody",
    "categorie": "Épicerie",
    "surface_m2": 120,
    "ca_mensuel": "12.5",
    "ouverture": "2024-01-15",
    "frigo": True,
    "services": ["Mobile money", "Crédit"],
    "gerant_email": "awa@example.com",
}


@pytest.fixture
def wholesalers(db) -> ClientList:  # type: ignore[no-untyped-def]
    """A second list whose schema shares no key with the points-of-sale list."""
    client_list = ClientListFactory(name="Grossistes")
    AttributeFactory(
        client_list=client_list,
        key="volume_annuel",
        label_en="Yearly volume",
        label_fr="Volume annuel",
        type=AttributeType.INTEGER,
        required=True,
        order=1,
    )
    AttributeFactory(client_list=client_list, key="zone", label_en="Zone", label_fr="Zone", important=True, order=2)
    return client_list


@pytest.fixture
def awa(db):  # type: ignore[no-untyped-def]
    return RepFactory(username="awa")


@pytest.fixture
def koffi(db):  # type: ignore[no-untyped-def]
    return RepFactory(username="koffi")


@pytest.fixture
def make_client(db) -> Callable[..., Client]:  # type: ignore[no-untyped-def]
    """Create a client through `client_create`, so versions and search text are what the app writes."""

    def make(
        client_list: ClientList,
        name: str,
        attributes: dict[str, Any] | None = None,
        *,
        reps: Iterable[Any] = (),
        user: Any = None,
        **core: Any,
    ) -> Client:
        if attributes is None:
            attributes = {"quartier": "Cocody", "categorie": "Boutique"}
        data = {"name": name, "phone": "+225 07 07 07 07 07", "lat": 5.35, "lng": -4.0, **core}
        return client_create(
            user=user, client_list=client_list, data={**data, "attributes": attributes}, reps=list(reps)
        )

    return make
