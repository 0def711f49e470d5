"""KPI cards: computed from the active definitions when a client's visits, orders or ledger change, stored, and
sent to the devices of the reps who see the client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, ngettext

from clients.phones import phone_parse
from clients.schema import NOT_EMAIL
from clients.selectors import clients_in_use, clients_of_reps, clients_with_ids
from fieldsales.jobs import enqueue_once
from fieldsales.sync.feed import batched, publish
from kpis.debts import debts_refresh, debts_refresh_all
from kpis.delivery import deliveries_enqueue
from kpis.metrics import METRICS, NO_DEBT, STATUS_LABELS, Debt, Facts, compute, debts
from kpis.models import KpiCard, KpiDefinition, KpiFolder, StatementDelivery, Target
from kpis.statements import DEFAULT_DAYS, NOT_ENABLED, StatementError

LANGUAGES = ("en", "fr")
# Cards recomputed per transaction by `kpi_cards_refresh_in_batches`: bounds the locks held and the memory.
REFRESH_BATCH = 500
# Cards computed, then written in one short transaction, by `kpi_cards_refresh_all`: SQLite has one writer at a time,
# and the admin's saves and sign-ins beside a recompute of every card wait for a few milliseconds, not for minutes.
QUIET_BATCH = 50


def _format(display: str, value: Any) -> str:
    """The value as a rep reads it, in the active language."""
    if value is None:
        return "—"
    if display == "text":
        return str(STATUS_LABELS.get(value, value))
    if display == "days":
        return ngettext("%(count)d day", "%(count)d days", int(value)) % {"count": int(value)}
    if display == "money":
        amount = number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True)
        return f"{amount} {settings.CURRENCY}"
    if display == "percent":
        return f"{number_format(Decimal(value), decimal_pos=1, use_l10n=True)} %"
    if display == "date":
        return str(value)
    return number_format(value, use_l10n=True, force_grouping=True)


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


# A folder's KPIs in the order the card shows them.
DEFINITION_ORDER = ("order", "id")


def active_definitions() -> list[KpiDefinition]:
    return list(
        KpiDefinition.objects.filter(active=True)
        .select_related("folder")
        .order_by("folder__name_en", *DEFINITION_ORDER)
    )


def kpis_shown(definitions: Iterable[KpiDefinition]) -> Iterator[tuple[KpiDefinition, str]]:
    """The active definitions a card shows, each with its display: those whose metric the registry knows (one
    removed from the code since leaves its definitions behind)."""
    for definition in definitions:
        if definition.active and definition.metric in METRICS:
            yield definition, definition.display or METRICS[definition.metric].display


@transaction.atomic
def kpi_folder_changed(*, folder: KpiFolder) -> None:
    """After the back office edits a folder or its definitions: a new version reaches every rep."""
    KpiFolder.objects.filter(pk=folder.pk).update(version=F("version") + 1)
    folder.refresh_from_db(fields=["version"])
    publish("kpi_folder", [folder.pk])


# The data migration that mended the stored definitions (unknown metrics and parameters).
MENDING_MIGRATION = ("kpis", "0008_kpi_definitions_known_metrics")


def kpi_folders_after_migrate(*, plan: Any = None, **kwargs: Any) -> None:
    """Receiver of `post_migrate`: once the mending migration has run, every folder reaches the phones again with a
    new version (a migration cannot publish: the feed is live code). The cards follow at their next refresh."""
    if not any(
        (migration.app_label, migration.name) == MENDING_MIGRATION and not back for migration, back in plan or ()
    ):
        return
    with transaction.atomic():
        KpiFolder.objects.update(version=F("version") + 1)
        publish("kpi_folder", KpiFolder.objects.values_list("pk", flat=True))


def kpi_card_folders(
    *, client: Any, definitions: list[KpiDefinition], today: dt.date, debt: Debt | None = None
) -> list[dict[str, Any]]:
    """The card's folders, sorted by name, each with its indicators in both languages. The queries depend on the
    definitions only, never on the length of the client's history. `debt`: the client's, when already worked out
    (`kpis.metrics.debts`, for many clients at once); the debt metrics read it instead of the ledger."""
    facts = Facts(client=client, today=today)
    if debt is not None:
        facts.once("debt", lambda: debt)
    folders: dict[int, dict[str, Any]] = {}
    for definition, display in kpis_shown(definitions):
        value = compute(definition.metric, facts, definition.params)
        texts = {}
        for language in LANGUAGES:
            with translation.override(language):
                texts[f"text_{language}"] = _format(display, value)
        folder = folders.setdefault(
            definition.folder_id,
            {
                "name": definition.folder.name_en,
                "name_en": definition.folder.name_en,
                "name_fr": definition.folder.name_fr,
                "kpis": [],
            },
        )
        folder["kpis"].append(
            {
                "key": definition.key,
                "label": definition.label_en,
                "label_en": definition.label_en,
                "label_fr": definition.label_fr,
                "value": _json(value),
                "display": display,
                **texts,
            }
        )
    return sorted(folders.values(), key=lambda folder: folder["name_en"].casefold())


@transaction.atomic
def kpi_cards_refresh(*, client_ids: Iterable[Any], today: dt.date | None = None) -> list[str]:
    """Recompute these clients' cards, and their overdue debt (`debts_refresh`); the cards that changed get a new
    version and reach the reps' devices. Returns the ids of the clients whose card changed."""
    today = today or timezone.localdate()
    ids = sorted({str(client_id) for client_id in client_ids})
    if not ids:
        return []
    definitions = active_definitions()
    cards = {str(card.client_id): card for card in KpiCard.objects.select_for_update().filter(client_id__in=ids)}
    # Read once for the cards' debt metrics and for the debts the phones show.
    owed = debts(clients=ids, today=today)
    changed = []
    now = timezone.now()
    for client in clients_with_ids(ids):
        debt = owed.get(str(client.pk), NO_DEBT)
        folders = kpi_card_folders(client=client, definitions=definitions, today=today, debt=debt)
        card = cards.get(str(client.pk))
        if card is None and not definitions:
            continue  # no KPIs defined: no card to send ("No KPIs yet" on the phone)
        if card is None:
            KpiCard.objects.create(client=client, folders=folders, computed_on=today, computed_at=now)
        elif card.folders != folders:
            card.folders, card.version = folders, card.version + 1
            card.computed_on, card.computed_at = today, now
            card.save(update_fields=["folders", "version", "computed_on", "computed_at"])
        else:
            continue
        changed.append(str(client.pk))
    if changed:
        publish("kpi_card", changed)
    # Every ledger write comes here (the admin, the import): the overdue debt the phones show follows it too.
    debts_refresh(client_ids=ids, today=today, computed=owed)
    return changed


def kpi_cards_follow(*, client_ids: Iterable[Any], **kwargs: Any) -> None:
    """Receiver of workflows' `client_history_changed`: the cards follow a visit or an order, by one job per push,
    enqueued in the push's transaction and run after it (the push does not wait for the cards)."""
    batched(_refresh_soon, client_ids)


def _refresh_soon(client_ids: set[str]) -> None:
    from kpis.tasks import refresh_cards

    refresh_cards.enqueue(client_ids=sorted(client_ids))


def kpi_cards_refresh_for_targets(*, targets: Iterable[Any]) -> None:
    """After a target changes: its client's card, or every card of its rep's clients."""
    client_ids = {target.client_id for target in targets if target.client_id}
    rep_ids = {target.rep_id for target in targets if target.rep_id and not target.client_id}
    if rep_ids:
        client_ids.update(clients_of_reps(rep_ids=rep_ids).values_list("pk", flat=True))
    kpi_cards_refresh_in_batches(client_ids=client_ids)


@transaction.atomic
def targets_write(*, created: Iterable[Target], updated: Iterable[Target]) -> None:
    """Write checked targets in bulk; the cards they count in follow, in the same transaction."""
    created, updated = list(created), list(updated)
    Target.objects.bulk_create(created, batch_size=500)
    Target.objects.bulk_update(updated, ["value"], batch_size=500)
    kpi_cards_refresh_for_targets(targets=[*created, *updated])


def kpi_cards_refresh_in_batches(*, client_ids: Iterable[Any], today: dt.date | None = None) -> int:
    """`kpi_cards_refresh` for many clients, REFRESH_BATCH at a time. Returns how many cards changed."""
    ids = sorted({str(client_id) for client_id in client_ids})
    return sum(
        len(kpi_cards_refresh(client_ids=ids[start : start + REFRESH_BATCH], today=today))
        for start in range(0, len(ids), REFRESH_BATCH)
    )


def kpi_cards_refresh_quietly(*, client_ids: Iterable[Any], today: dt.date | None = None) -> list[str]:
    """`kpi_cards_refresh` for work beside live traffic: the cards are computed outside any transaction, then written
    in a short one. A card another refresh wrote meanwhile (its version moved) is left as that one wrote it: it was
    computed after this one read the card. Returns the ids of the clients whose card changed."""
    today = today or timezone.localdate()
    ids = sorted({str(client_id) for client_id in client_ids})
    definitions = active_definitions()
    held = {
        str(client_id): (version, folders)
        for client_id, version, folders in KpiCard.objects.filter(client_id__in=ids).values_list(
            "client_id", "version", "folders"
        )
    }
    computed = {
        str(client.pk): kpi_card_folders(client=client, definitions=definitions, today=today)
        for client in clients_with_ids(ids)
    }
    now = timezone.now()
    with transaction.atomic():
        new = [
            KpiCard(client_id=client_id, folders=folders, computed_on=today, computed_at=now)
            for client_id, folders in computed.items()
            if client_id not in held and definitions  # no KPIs defined: no card ("No KPIs yet" on the phone)
        ]
        KpiCard.objects.bulk_create(new, ignore_conflicts=True)
        changed = [str(card.client_id) for card in new]
        for client_id, folders in computed.items():
            if client_id not in held or held[client_id][1] == folders:
                continue
            version = held[client_id][0]
            if KpiCard.objects.filter(client_id=client_id, version=version).update(
                folders=folders, version=version + 1, computed_on=today, computed_at=now
            ):
                changed.append(client_id)
        if changed:
            publish("kpi_card", changed)
    return changed


def kpi_cards_refresh_all(*, today: dt.date | None = None) -> tuple[int, int]:
    """Recompute every card of the clients in use, QUIET_BATCH at a time, each batch's writes in a short transaction,
    then every overdue debt: run beside the admin and the phones (after a KPI definition changes, and daily).
    Returns (cards changed, clients)."""
    ids = [str(pk) for pk in clients_in_use().order_by("pk").values_list("pk", flat=True)]
    changed = sum(
        len(kpi_cards_refresh_quietly(client_ids=ids[start : start + QUIET_BATCH], today=today))
        for start in range(0, len(ids), QUIET_BATCH)
    )
    # The days overdue move with the calendar, as the cards' days do.
    debts_refresh_all(today=today)
    return changed, len(ids)


def kpi_cards_refresh_all_soon() -> None:
    """After a change to the KPI definitions, a job recomputes every card: the clerk does not wait for 20,000 cards,
    and saves in a row make one more recompute, not one each."""
    from kpis.tasks import refresh_all_cards

    enqueue_once(refresh_all_cards)


NOT_A_CHANNEL = gettext_lazy("Choose email, WhatsApp or SMS.")
ALREADY_QUEUED = gettext_lazy("This statement request was already made.")


def statement_recipient(channel: str, recipient: str, *, region: str | None = None) -> str:
    """The recipient in the form its channel needs (a phone in E.164, read in `region`, the client's list's country,
    when typed without its country code), or a ValidationError naming the field."""
    if channel not in StatementDelivery.Channel.values:
        raise ValidationError({"channel": [NOT_A_CHANNEL]})
    recipient = str(recipient or "").strip()
    if channel == StatementDelivery.Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError:
            raise ValidationError({"recipient": [NOT_EMAIL]}) from None
        return recipient
    try:
        return phone_parse(recipient, region=region)
    except ValidationError as error:
        raise ValidationError({"recipient": error.error_list}) from None


@transaction.atomic
def statement_send(
    *,
    user: Any,
    client: Any,
    channel: str,
    recipient: str,
    language: str,
    delivery_id: Any = None,
    end: dt.date | None = None,
) -> StatementDelivery:
    """Queue a statement for `client` (statements enabled) over the last 90 days; it is sent off the request path."""
    if not client.statement_enabled:
        raise StatementError(NOT_ENABLED)
    # The list's country only for a phone: an email needs no read of the list.
    region = None if channel == StatementDelivery.Channel.EMAIL else client.client_list.country
    recipient = statement_recipient(channel, recipient, region=region)
    if delivery_id is not None and StatementDelivery.objects.filter(pk=delivery_id).exists():
        raise ValidationError({"id": [ALREADY_QUEUED]})
    end = end or timezone.localdate()
    delivery = StatementDelivery.objects.create(
        **({"id": delivery_id} if delivery_id is not None else {}),
        client=client,
        requested_by=user,
        channel=channel,
        recipient=recipient,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        period_start=end - dt.timedelta(days=DEFAULT_DAYS),
        period_end=end,
        next_attempt_at=timezone.now(),
    )
    deliveries_enqueue([delivery.pk])
    return delivery
