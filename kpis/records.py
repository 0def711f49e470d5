"""What a `kpi_folder`, a `kpi_card` and a `debt` record look like to the phone, and who sees them.

One `kpi_card` per client, seen by whoever sees the client (the `client` type's `seers`), sent again when it changes
or when the rep's language does (`follows_language`); one `kpi_folder` per folder, with its KPIs' labels, seen by every
rep; one `debt` per client with something overdue, seen, like the card, by whoever sees the client, and following it
into and out of a rep's feed. The cards' contents are computed by kpis/services.py, the debts' by kpis/debts.py; this
module only serializes them. The op handler is in kpis/ops.py, the registration in kpis/sync.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet

from clients.selectors import clients_visible_to
from fieldsales.accounts import REP_LANGUAGES, rep_language, seen_by_every_rep
from fieldsales.sync.lean import lean
from fieldsales.sync.registry import TYPES, EntityType
from kpis.debts import DEBT_TYPE
from kpis.models import KpiCard, KpiDefinition, KpiFolder, OverdueDebt
from kpis.services import DEFINITION_ORDER, kpis_shown

if TYPE_CHECKING:
    from django.contrib.auth.models import User

KPI_FOLDER_RANK = 15  # after the lists (10), before the workflows (20)
KPI_CARD_RANK = 45  # after its client (40), before visits (50)
DEBT_RANK = 47  # after its client's card, before visits (50)


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


def _overdue(ids: Iterable[Any]) -> QuerySet[OverdueDebt]:
    return OverdueDebt.objects.filter(client_id__in=list(ids), overdue__gt=0)


def serialize_debts(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The same record in both versions: the amount overdue (a decimal as text, in money places) and the days of the
    oldest overdue item. One query."""
    return {
        str(row.client_id): {"version": row.version, "data": {"overdue": str(row.overdue), "days": row.days}}
        for row in _overdue(ids)
    }


def debt_seers(ids: list[str]) -> Mapping[str, set[int]]:
    """A debt is seen by the reps who see its client, while something is overdue. Two queries."""
    owing = [str(pk) for pk in _overdue(ids).values_list("client_id", flat=True)]
    return TYPES["client"].seers(owing) if owing else {}


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


ENTITY_TYPES = (
    EntityType(
        name="kpi_folder",
        rank=KPI_FOLDER_RANK,
        serialize=serialize_folders,
        seers=folder_seers,
        visible=lambda rep: KpiFolder.objects.values_list("pk", flat=True),
    ),
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
    ),
    EntityType(
        name=DEBT_TYPE,
        rank=DEBT_RANK,
        serialize=serialize_debts,
        seers=debt_seers,
        visible=lambda rep: OverdueDebt.objects.filter(client__in=clients_visible_to(rep), overdue__gt=0).values_list(
            "client_id", flat=True
        ),
        parent="client",
        children_of=lambda client_ids: _overdue(client_ids).values_list("client_id", flat=True),
    ),
)
