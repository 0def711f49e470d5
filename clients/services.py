"""Writes on client lists and clients. The admin, the import, the API and sync call these."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Assignment, Client, ClientList
from clients.schema import SchemaValidationError, search_text, validate_attributes
from fieldsales.models import SyncEntry
from fieldsales.sync.feed import descendants, publish, refresh_reps, resend

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The client's own fields a write may set, besides `attributes`.
CORE_FIELDS = ("name", "lat", "lng", "accuracy_m", "phone", "photo", "statement_enabled")

NOT_ARCHIVED = _("Only archived clients can be purged. Archive “%(name)s” first.")
ALREADY_ARCHIVED = _("This client is archived.")


def _full_clean(client: Client, errors: dict[str, list[Any]]) -> None:
    """Run the model's field checks, adding their messages to `errors`, then raise all at once."""
    try:
        # Field checks only: foreign keys come from the caller's own queries, and the database enforces the
        # check constraints (validating them here would cost a query each).
        client.full_clean(
            exclude=["attributes", "field_versions", "client_list", "photo", "created_by", "updated_by", "archived_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _clean_attributes(
    client_list: ClientList, values: Mapping[str, Any], *, partial: bool
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    try:
        return validate_attributes(client_list.specs(), values, partial=partial), {}
    except SchemaValidationError as error:
        return {}, dict(error.error_dict)


def _new_client(
    *, user: User | None, client_list: ClientList, data: Mapping[str, Any], client_id: uuid.UUID | None
) -> Client:
    """The unsaved client `client_create` writes, or every reason it cannot, at once."""
    attributes, errors = _clean_attributes(client_list, data.get("attributes") or {}, partial=False)
    client = Client(
        id=client_id or uuid.uuid4(),
        client_list=client_list,
        attributes=attributes,
        created_by=user,
        updated_by=user,
        **{field: data[field] for field in CORE_FIELDS if field in data},
    )
    client.name = (client.name or "").strip()
    _full_clean(client, errors)
    client.field_versions = {}
    client.search_text = search_text(client_list.specs(), client.name, attributes)
    return client


@transaction.atomic
def client_create(
    *,
    user: User | None,
    client_list: ClientList,
    data: Mapping[str, Any],
    client_id: uuid.UUID | None = None,
    reps: Iterable[User] = (),
) -> Client:
    """Create a client from core fields and `attributes`, checked against the list's schema."""
    client = _new_client(user=user, client_list=client_list, data=data, client_id=client_id)
    client.save(force_insert=True)
    Assignment.objects.bulk_create([Assignment(client=client, rep=rep) for rep in reps], ignore_conflicts=True)
    publish("client", [client.pk])
    return client


def _comparable(field: str, value: Any) -> Any:
    if field == "photo":
        pk = getattr(value, "pk", value)
        return str(pk) if pk else None
    return value


def client_changes(client: Client, data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields and attributes in `data` whose value differs from the client's, by bare key."""
    changes: dict[str, Any] = {}
    for field in CORE_FIELDS:
        current = client.photo_id if field == "photo" else getattr(client, field)
        if field in data and _comparable(field, data[field]) != _comparable(field, current):
            changes[field] = data[field]
    for key, value in (data.get("attributes") or {}).items():
        if client.attributes.get(key) != value:
            changes[key] = value
    return changes


def _apply_update(client: Client, data: Mapping[str, Any]) -> dict[str, Any]:
    """Set the fields and attributes of `data` on `client` in memory; return what changed, or raise every error."""
    if client.is_archived:
        raise ValidationError(ALREADY_ARCHIVED, code="archived")
    given_attributes = data.get("attributes") or {}
    cleaned, errors = _clean_attributes(client.client_list, given_attributes, partial=True)
    new_attributes = {key: value for key, value in client.attributes.items() if key not in given_attributes}
    new_attributes.update(cleaned)
    candidate = {field: data[field] for field in CORE_FIELDS if field in data}
    if "name" in candidate:
        candidate["name"] = (candidate["name"] or "").strip()
    changed = client_changes(client, {**candidate, "attributes": {k: new_attributes.get(k) for k in given_attributes}})
    for field, value in candidate.items():
        setattr(client, field, value)
    _full_clean(client, errors)
    client.attributes = new_attributes
    return changed


@transaction.atomic
def client_update(
    *,
    user: User | None,
    client: Client,
    data: Mapping[str, Any],
    reps: Iterable[User] | None = None,
) -> Client:
    """Apply the changed fields in `data` (attributes: only the keys given) and bump the version.

    Attributes are checked against the schema key by key, so a client made before an
    attribute became required can still be edited without filling it. With `reps`, they
    become exactly the client's reps. Nothing changes when every given value equals the
    stored one; one save bumps the version once, whatever it changed.
    """
    changed = _apply_update(client, data)
    reps_changed = reps is not None and _set_reps(client, reps)
    if not changed:
        if reps_changed:
            client.version += 1
            client.updated_by = user
            client.save(update_fields=["version", "updated_by", "updated_at"])
            publish("client", [client.pk])
        return client
    client.version += 1
    client.field_versions = {**client.field_versions, **dict.fromkeys(changed, client.version)}
    client.updated_by = user
    client.search_text = search_text(client.client_list.specs(), client.name, client.attributes)
    client.save()
    # Only its reps decide who sees it among what this can change.
    (publish if reps_changed else resend)("client", [client.pk])
    return client


def client_validate(*, client_list: ClientList, data: Mapping[str, Any], client: Client | None = None) -> None:
    """Raise the ValidationError `client_create` (or `client_update` of `client`) would raise; write nothing.

    Lets the import report a row's schema errors together with its own (unknown reps, bad cells).
    """
    if client is None:
        _new_client(user=None, client_list=client_list, data=data, client_id=None)
    else:
        _apply_update(copy.copy(client), data)


@transaction.atomic
def client_archive(*, user: User | None, client: Client) -> Client:
    """Archive a client: it leaves every rep's list; the back office can restore or purge it."""
    if not client.is_archived:
        client.archived_at = timezone.now()
        client.archived_by = user
        client.version += 1
        client.save(update_fields=["archived_at", "archived_by", "version", "updated_at"])
        publish("client", [client.pk])
    return client


@transaction.atomic
def client_restore(*, user: User | None, client: Client) -> Client:
    if client.is_archived:
        client.archived_at = None
        client.archived_by = None
        client.updated_by = user
        client.version += 1
        client.save(update_fields=["archived_at", "archived_by", "updated_by", "version", "updated_at"])
        publish("client", [client.pk])
    return client


def purge_blocker(*, clients: QuerySet[Client]) -> ValidationError | None:
    """Why `clients` cannot be purged, or None: only archived clients can."""
    not_archived = clients.filter(archived_at__isnull=True).first()
    if not_archived is None:
        return None
    return ValidationError(NOT_ARCHIVED, code="not_archived", params={"name": not_archived.name})


@transaction.atomic
def clients_purge(*, user: User | None, clients: QuerySet[Client]) -> int:
    """Delete archived clients with their visits, submissions and notes. Refuses if any is not archived.

    Checking the delete permission is the caller's part (the admin action requires it).
    """
    blocker = purge_blocker(clients=clients)
    if blocker is not None:
        raise blocker
    ids = list(clients.values_list("pk", flat=True))
    family = descendants("client", ids)
    deleted = clients.delete()[1]
    # Gone from the database, they leave every feed: the devices get `deleted` for each.
    publish("client", ids)
    for type_name, child_ids in family.items():
        publish(type_name, child_ids)
    return deleted.get(Client._meta.label, 0)


def _set_reps(client: Client, reps: Iterable[User]) -> bool:
    """Make `reps` exactly the client's reps; tell whether that changed anything."""
    wanted = {rep.pk for rep in reps}
    current = set(client.assignments.values_list("rep_id", flat=True))
    client.assignments.filter(rep_id__in=current - wanted).delete()
    Assignment.objects.bulk_create(
        [Assignment(client=client, rep_id=rep_id) for rep_id in wanted - current], ignore_conflicts=True
    )
    return wanted != current


@transaction.atomic
def client_assign(*, client: Client, reps: Iterable[User]) -> None:
    """Make `reps` exactly the reps the client is assigned to."""
    if _set_reps(client, reps):
        client.version += 1
        client.save(update_fields=["version", "updated_at"])
        publish("client", [client.pk])


@transaction.atomic
def client_list_schema_changed(*, client_list: ClientList) -> None:
    """After the back office edits a schema: bump the list's version and re-index its clients' search text."""
    client_list.version += 1
    client_list.save(update_fields=["version", "updated_at"])
    publish("client_list", [client_list.pk])
    specs = ClientList.objects.prefetch_related("attributes").get(pk=client_list.pk).specs()
    batch: list[Client] = []
    for client in Client.objects.filter(client_list=client_list).only("id", "name", "attributes").iterator(2000):
        client.search_text = search_text(specs, client.name, client.attributes)
        batch.append(client)
        if len(batch) == 2000:
            Client.objects.bulk_update(batch, ["search_text"])
            batch.clear()
    Client.objects.bulk_update(batch, ["search_text"])


@transaction.atomic
def client_list_access_changed(*, client_list: ClientList) -> None:
    """After the back office changes who has access to a list: recompute the feeds of everyone who had it or has it,
    and send the list again to those who keep it (their rights on it may have changed)."""
    from clients.selectors import list_seers
    from fieldsales.sync.registry import TYPES

    held = SyncEntry.objects.filter(kind=TYPES["client_list"].rank, entity_id=str(client_list.pk), deleted=False)
    reps = set(held.values_list("rep_id", flat=True)) | list_seers([str(client_list.pk)]).get(
        str(client_list.pk), set()
    )
    refresh_reps(reps)
    publish("client_list", [client_list.pk])
