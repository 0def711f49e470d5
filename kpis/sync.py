"""KPI cards on the device: one `kpi_card` per client, seen by whoever sees the client, sent when it changes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clients.selectors import clients_visible_to
from fieldsales.sync.push import FORBIDDEN, INVALID, Outcome, Rejected, missing
from fieldsales.sync.registry import TYPES, EntityType, register_op, register_type
from kpis.models import KpiCard
from kpis.services import statement_send
from kpis.statements import StatementError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from fieldsales.sync.push import Op

KPI_CARD_RANK = 45  # after its client (40), before visits (50)
NOT_A_CLIENT = _("Enter a client identifier (UUID).")


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
    register_op("statement.send", handle_statement_send, creates=True)


def handle_statement_send(op: Op) -> Outcome:
    """`statement.send`: queue the statement of a client the rep sees and whose statements are enabled."""
    client_id = op.data.get("client")
    try:
        client = clients_visible_to(op.user).filter(pk=uuid.UUID(str(client_id))).first()
    except ValueError:
        raise Rejected(INVALID, {"client": [NOT_A_CLIENT]}) from None
    if client is None:
        raise missing(op, client_id)
    try:
        statement_send(
            user=op.user,
            client=client,
            channel=str(op.data.get("channel") or ""),
            recipient=str(op.data.get("recipient") or ""),
            language=translation.get_language() or "en",
            delivery_id=op.entity_id,
        )
    except StatementError as error:
        raise Rejected.message(FORBIDDEN, error.message) from None
    except ValidationError as error:
        raise Rejected.from_validation(error) from None
    return Outcome(version=1)
