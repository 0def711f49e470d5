"""Writes on client lists and clients. The admin, the import, the API and sync call these."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Assignment, Client, ClientList
from clients.schema import SchemaValidationError, search_text, validate_attributes

# The client's own fields a write may set, besides `attributes`.
CORE_FIELDS = ("name", "lat", "lng", "accuracy_m", "phone", "photo", "statement_enabled")

NOT_ARCHIVED = _("Only archived clients can be purged. Archive “%(name)s” first.")
ALREADY_ARCHIVED = _("This client is archived.")


def _full_clean(client: Client, errors: dict[str, list[Any]]) -> None:
    """Run the model's field checks, adding their messages to `errors`, then raise all at once."""
    try:
        client.full_clean(exclude=["attributes", "field_versions", "client_list", "photo"], validate_unique=False)
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


@transaction.atomic
def client_create(
    *,
    user: AbstractBaseUser | None,
    client_list: ClientList,
    data: Mapping[str, Any],
    client_id: uuid.UUID | None = None,
    reps: Iterable[AbstractBaseUser] = (),
) -> Client:
    """Create a client from core fields and `attributes`, checked against the list's schema."""
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
    client.save(force_insert=True)
    Assignment.objects.bulk_create([Assignment(client=client, rep=rep) for rep in reps], ignore_conflicts=True)
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


@transaction.atomic
def client_update(*, user: AbstractBaseUser | None, client: Client, data: Mapping[str, Any]) -> Client:
    """Apply the changed fields in `data` (attributes: only the keys given) and bump the version.

    Attributes are checked against the schema key by key, so a client made before an
    attribute became required can still be edited without filling it. Nothing changes
    when every given value equals the stored one.
    """
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
    if not changed:
        return client
    client.attributes = new_attributes
    client.version += 1
    client.field_versions = {**client.field_versions, **{key: client.version for key in changed}}
    client.updated_by = user
    client.search_text = search_text(client.client_list.specs(), client.name, client.attributes)
    client.save()
    return client


@transaction.atomic
def client_archive(*, user: AbstractBaseUser | None, client: Client) -> Client:
    """Archive a client: it leaves every rep's list; the back office can restore or purge it."""
    if not client.is_archived:
        client.archived_at = timezone.now()
        client.archived_by = user
        client.version += 1
        client.save(update_fields=["archived_at", "archived_by", "version", "updated_at"])
    return client


@transaction.atomic
def client_restore(*, user: AbstractBaseUser | None, client: Client) -> Client:
    if client.is_archived:
        client.archived_at = None
        client.archived_by = None
        client.updated_by = user
        client.version += 1
        client.save(update_fields=["archived_at", "archived_by", "updated_by", "version", "updated_at"])
    return client


def purge_blocker(*, clients: QuerySet[Client]) -> ValidationError | None:
    """Why `clients` cannot be purged, or None: only archived clients can."""
    not_archived = clients.filter(archived_at__isnull=True).first()
    if not_archived is None:
        return None
    return ValidationError(NOT_ARCHIVED, code="not_archived", params={"name": not_archived.name})


@transaction.atomic
def clients_purge(*, user: AbstractBaseUser | None, clients: QuerySet[Client]) -> int:
    """Delete archived clients with their visits, submissions and notes. Refuses if any is not archived.

    Checking the delete permission is the caller's part (the admin action requires it).
    """
    blocker = purge_blocker(clients=clients)
    if blocker is not None:
        raise blocker
    deleted = clients.delete()[1]
    return deleted.get(Client._meta.label, 0)


@transaction.atomic
def client_assign(*, client: Client, reps: Iterable[AbstractBaseUser]) -> None:
    """Make `reps` exactly the reps the client is assigned to."""
    wanted = {rep.pk for rep in reps}
    current = set(client.assignments.values_list("rep_id", flat=True))
    client.assignments.filter(rep_id__in=current - wanted).delete()
    Assignment.objects.bulk_create(
        [Assignment(client=client, rep_id=rep_id) for rep_id in wanted - current], ignore_conflicts=True
    )
    if wanted != current:
        client.version += 1
        client.save(update_fields=["version", "updated_at"])


@transaction.atomic
def client_list_schema_changed(*, client_list: ClientList) -> None:
    """After the back office edits a schema: bump the list's version and re-index its clients' search text."""
    client_list.version += 1
    client_list.save(update_fields=["version", "updated_at"])
    specs = ClientList.objects.prefetch_related("attributes").get(pk=client_list.pk).specs()
    batch: list[Client] = []
    for client in Client.objects.filter(client_list=client_list).only("id", "name", "attributes").iterator(2000):
        client.search_text = search_text(specs, client.name, client.attributes)
        batch.append(client)
        if len(batch) == 2000:
            Client.objects.bulk_update(batch, ["search_text"])
            batch.clear()
    Client.objects.bulk_update(batch, ["search_text"])
