"""KPI cards on the device: one `kpi_card` per client, seen by whoever sees the client, sent when it changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from clients.selectors import clients_visible_to
from fieldsales.sync.registry import TYPES, EntityType, register_type
from kpis.models import KpiCard

if TYPE_CHECKING:
    from django.contrib.auth.models import User

KPI_CARD_RANK = 45  # after its client (40), before visits (50)


def serialize_cards(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {
        str(card.client_id): {"version": card.version, "data": {"client": str(card.client_id), "folders": card.folders}}
        for card in KpiCard.objects.filter(client_id__in=ids)
    }


def card_seers(ids: list[str]) -> Mapping[str, set[int]]:
    """A card is seen by the reps who see its client."""
    existing = [str(pk) for pk in KpiCard.objects.filter(client_id__in=ids).values_list("client_id", flat=True)]
    return TYPES["client"].seers(existing) if existing else {}


def register() -> None:
    register_type(
        EntityType(
            name="kpi_card",
            rank=KPI_CARD_RANK,
            serialize=serialize_cards,
            seers=card_seers,
            visible=lambda rep: KpiCard.objects.filter(client__in=clients_visible_to(rep)).values_list(
                "client_id", flat=True
            ),
            parent="client",
            children_of=lambda client_ids: KpiCard.objects.filter(client_id__in=client_ids).values_list(
                "client_id", flat=True
            ),
        )
    )
