"""Fixtures for the back-office tests: a second list, and every attribute of the points-of-sale list filled."""

import pytest

from clients.models import ClientList
from clients.schema import AttributeType
from tests.factories import AttributeFactory, ClientListFactory

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
