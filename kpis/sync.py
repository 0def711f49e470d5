"""KPIs on the device: one `kpi_card` per client, seen by whoever sees the client, sent when it changes; one
`kpi_folder` per folder, with its KPIs' labels, seen by every rep."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clients.selectors import clients_visible_to
from fieldsales.accounts import REP_LANGUAGES, rep_language, seen_by_every_rep
from fieldsales.sync.lean import lean
from fieldsales.sync.push import FORBIDDEN, INVALID, Outcome, Rejected, missing
from fieldsales.sync.registry import TYPES, EntityType, register_op, register_type
from kpis.models import KpiCard, KpiDefinition, KpiFolder
from kpis.services import DEFINITION_ORDER, kpis_shown, statement_send
from kpis.statements import StatementError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from fieldsales.sync.push import Op

KPI_FOLDER_RANK = 15  # after the lists (10), before the workflows (20)
KPI_CARD_RANK = 45  # after its client (40), before visits (50)
NOT_A_CLIENT = _("Enter a client identifier (UUID).")


def serialize_cards(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {
        str(card.client_id): {"version": card.version, "data": {"client": str(card.client_id), "folders": card.folders}}
        for card in KpiCard.objects.filter(client_id__in=ids)
    }


def serialize_cards_v2(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Version 2: only the texts, by language then KPI key; the labels are the `kpi_folder`'s. In the rep's language
    when the rep has one, else in both."""
    language = rep_language(user=rep)
    languages = [language] if language else list(REP_LANGUAGES)
    records = {}
    for card in KpiCard.objects.filter(client_id__in=ids):
        kpis = [kpi for folder in card.folders for kpi in folder["kpis"]]
        texts = {code: {kpi["key"]: kpi[f"text_{code}"] for kpi in kpis} for code in languages}
        records[str(card.client_id)] = {"version": card.version, "data": lean({"texts": lean(texts)})}
    return records


def card_seers(ids: list[str]) -> Mapping[str, set[int]]:
    """A card is seen by the reps who see its client."""
    existing = [str(pk) for pk in KpiCard.objects.filter(client_id__in=ids).values_list("client_id", flat=True)]
    return TYPES["client"].seers(existing) if existing else {}


def serialize_folders(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The same record in both versions (a version 1 app ignores the type)."""
    definitions = KpiDefinition.objects.filter(active=True).order_by(*DEFINITION_ORDER)
    folders = KpiFolder.objects.filter(pk__in=[int(i) for i in ids]).prefetch_related(
        Prefetch("definitions", queryset=definitions)
    )
    return {
        str(folder.pk): {
            "version": folder.version,
            "data": lean(
                {
                    "name_en": folder.name_en,
                    "name_fr": folder.name_fr,
                    "kpis": [
                        {
                            "key": definition.key,
                            "label_en": definition.label_en,
                            "label_fr": definition.label_fr,
                            "display": display,
                        }
                        for definition, display in kpis_shown(folder.definitions.all())
                    ],
                }
            ),
        }
        for folder in folders
    }


def folder_seers(ids: list[str]) -> Mapping[str, set[int]]:
    return seen_by_every_rep(KpiFolder.objects.filter(pk__in=[int(i) for i in ids]).values_list("pk", flat=True))


def register() -> None:
    register_type(
        EntityType(
            name="kpi_folder",
            rank=KPI_FOLDER_RANK,
            serialize=serialize_folders,
            seers=folder_seers,
            visible=lambda rep: KpiFolder.objects.values_list("pk", flat=True),
        )
    )
    register_type(
        EntityType(
            name="kpi_card",
            rank=KPI_CARD_RANK,
            serialize=serialize_cards,
            serialize_v2=serialize_cards_v2,
            follows_language=True,
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
