"""Writes on client lists and clients. The admin, the import, the API and sync call these."""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, Field, Model, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Assignment, Client, ClientList, PossibleDuplicate, business_key_of
from clients.phones import phone_canonical, phone_parse
from clients.recording import ChangeChannel, clients_history_record, note_reps_change
from clients.schema import (
    UNKNOWN,
    AttributeSpec,
    AttributeType,
    SchemaValidationError,
    clean_value,
    is_empty,
    search_text,
    validate_attributes,
)
from clients.selectors import ListRights, client_missing_required, clients_of_team, clients_visible_to, list_seers
from fieldsales.accounts import team_of
from fieldsales.models import SyncEntry
from fieldsales.sync.feed import descendants, publish, refresh_reps, resend
from fieldsales.sync.registry import TYPES

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The client's own fields a write may set, besides `attributes`.
CORE_FIELDS = ("name", "lat", "lng", "accuracy_m", "phone", "photo", "statement_enabled")
NUMBER_FIELDS = ("lat", "lng", "accuracy_m")

KEY_TAKEN = _("Another client of this list already has “%(value)s”.")
NOT_ARCHIVED = _("Only archived clients can be purged. Archive “%(name)s” first.")
ALREADY_ARCHIVED = _("This client is archived.")
NO_EDIT = _("Your access to this list is read-only: only required fields that are still empty can be filled.")


def _full_clean(client: Client, errors: dict[str, list[Any]]) -> None:
    """Run the model's field checks, adding their messages to `errors`, then raise all at once."""
    # A phone the phone rule refused is not judged again by its length: one message says what is wrong.
    judged = ["phone"] if "phone" in errors else []
    try:
        # Field checks only: foreign keys come from the caller's own queries, and the database enforces the
        # check constraints (validating them here would cost a query each).
        client.full_clean(
            exclude=[
                "attributes",
                "field_versions",
                "client_list",
                "photo",
                "created_by",
                "updated_by",
                "archived_by",
                *judged,
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _clean_attributes(
    client_list: ClientList, values: Mapping[str, Any], *, partial: bool, stored: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """`values` by the list's schema. A phone attribute sent back exactly as `stored` is kept unjudged: a number
    stored before the phone rule, that the rule cannot read, must not stop an edit of the client's other fields; nor
    must a required attribute that `stored` has no value for, left empty (`validate_attributes`)."""
    kept = {
        spec.key: values[spec.key]
        for spec in client_list.specs()
        if stored is not None
        and spec.type == AttributeType.PHONE
        and spec.key in values
        and not is_empty(values[spec.key])
        and values[spec.key] == stored.get(spec.key)
    }
    judged = {key: value for key, value in values.items() if key not in kept}
    try:
        return {**validate_attributes(client_list.specs(), judged, partial=partial, stored=stored), **kept}, {}
    except SchemaValidationError as error:
        return {}, dict(error.error_dict)


def _clean_phone(
    client_list: ClientList, data: Mapping[str, Any], errors: dict[str, list[Any]], *, stored: str | None = None
) -> dict[str, Any]:
    """`data` with its phone in E.164 (read in the list's country), or the phone's error added to `errors`.

    A phone sent back exactly as `stored` is kept unjudged, as a phone attribute is (`_clean_attributes`)."""
    phone = data.get("phone")
    if "phone" not in data or is_empty(phone) or (stored is not None and phone == stored):
        return {**data, "phone": ""} if "phone" in data and is_empty(phone) else dict(data)
    try:
        return {**data, "phone": phone_parse(phone, region=client_list.country)}
    except ValidationError as error:
        errors["phone"] = error.error_list
        return dict(data)


def _new_client(
    *, user: User | None, client_list: ClientList, data: Mapping[str, Any], client_id: uuid.UUID | None
) -> Client:
    """The unsaved client `client_create` writes, or every reason it cannot, at once."""
    attributes, errors = _clean_attributes(client_list, data.get("attributes") or {}, partial=False)
    data = _clean_phone(client_list, data, errors)
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
    client.business_key = _business_key(client_list, attributes)
    return client


@transaction.atomic
def client_create(
    *,
    user: User | None,
    client_list: ClientList,
    data: Mapping[str, Any],
    client_id: uuid.UUID | None = None,
    reps: Iterable[User] = (),
    similar_to: Collection[uuid.UUID] = (),
) -> Client:
    """Create a client from core fields and `attributes`, checked against the list's schema.

    `similar_to`: the clients the app warned `user` this one looked like (clients/duplicates.py), created anyway;
    kept as possible duplicates for the back office, those `user` sees only (others are ignored)."""
    client = _new_client(user=user, client_list=client_list, data=data, client_id=client_id)
    _raise_key_conflicts(client_list, [client])
    reps = list(reps)
    note_reps_change(client, added=[rep.pk for rep in reps], removed=[])
    client.save(force_insert=True)
    Assignment.objects.bulk_create([Assignment(client=client, rep=rep) for rep in reps], ignore_conflicts=True)
    if similar_to and user is not None:
        _record_possible_duplicates(rep=user, client=client, similar_to=similar_to)
    publish("client", [client.pk])
    return client


def _record_possible_duplicates(*, rep: User, client: Client, similar_to: Collection[uuid.UUID]) -> None:
    """Pairs of `client` with each client of `similar_to` that `rep` sees: an id of a client the rep does not see
    (another rep's, archived since, or none) would tell the back office nothing the rep could know, or leak it."""
    seen = clients_visible_to(rep).filter(pk__in=list(similar_to)).exclude(pk=client.pk).values_list("pk", flat=True)
    PossibleDuplicate.objects.bulk_create(
        [PossibleDuplicate(new_client=client, existing_client_id=pk, rep=rep) for pk in seen], ignore_conflicts=True
    )


@dataclass(frozen=True)
class ClientChanges:
    """What an edit changes on a client: its own fields and its attributes, each by bare key, as the edit gave them."""

    fields: dict[str, Any]
    attributes: dict[str, Any]

    def __bool__(self) -> bool:
        return bool(self.fields or self.attributes)

    def names(self) -> list[str]:
        """The changed keys, as the client's field versions and a rep's conflicts name them. An attribute sent under
        a client field's key is no field's (no attribute may take one: RESERVED_KEYS): its check refuses it."""
        return [*self.fields, *(key for key in self.attributes if key not in CORE_FIELDS)]

    def without(self, keys: Collection[str]) -> ClientChanges:
        return ClientChanges(
            {key: value for key, value in self.fields.items() if key not in keys},
            {key: value for key, value in self.attributes.items() if key in CORE_FIELDS or key not in keys},
        )

    def as_data(self) -> dict[str, Any]:
        """The changes as `client_update` takes them."""
        return {**self.fields, "attributes": self.attributes} if self.attributes else dict(self.fields)


def _field_value(client: Client, field: str, value: Any) -> Any:
    """A value of a client field in the form the client stores it. A value the field's check would refuse comes back
    as it is: it differs from the stored one, so the check judges it."""
    if field == "photo":
        pk = getattr(value, "pk", value)
        return str(pk) if pk else None
    if field in ("name", "phone") and (value is None or isinstance(value, str)):
        text = (value or "").strip()
        # "07 01 02 03 04" is the stored "+2250701020304" typed again, not a change.
        return phone_canonical(text, region=client.client_list.country) if field == "phone" and text else text
    if field in NUMBER_FIELDS and isinstance(value, str):
        try:
            return float(value) if value.strip() else None
        except ValueError:
            return value
    return value


def _attribute_value(spec: AttributeSpec | None, value: Any) -> Any:
    """An attribute's value in the form the schema stores it; as it is when the schema refuses it or has no such key."""
    if spec is None:
        return value
    try:
        return clean_value(spec, value)
    except ValidationError:
        return value


def client_changes(client: Client, data: Mapping[str, Any]) -> ClientChanges:
    """The fields and attributes (`data["attributes"]`, key by key) of `data` that would change `client`.

    The one change detector, of every write on a client (the back office's, the import's, a rep's): a value equal to
    the client's in the form the client stores it (a phone typed with spaces, "5.30" for 5.3, an attribute before the
    schema cleans it) is no change; it bumps no version and is no conflict."""
    stored = {field: client.photo_id if field == "photo" else getattr(client, field) for field in CORE_FIELDS}
    fields = {
        field: data[field]
        for field in CORE_FIELDS
        if field in data and _field_value(client, field, data[field]) != _field_value(client, field, stored[field])
    }
    specs: dict[str, AttributeSpec] = {spec.key: spec for spec in client.client_list.specs()}
    attributes = {
        key: value
        for key, value in (data.get("attributes") or {}).items()
        if _attribute_value(specs.get(key), value) != client.attributes.get(key)
    }
    return ClientChanges(fields, attributes)


def _apply_update(client: Client, data: Mapping[str, Any]) -> ClientChanges:
    """Set the fields and attributes of `data` on `client` in memory; return what changed, or raise every error."""
    if client.is_archived:
        raise ValidationError(ALREADY_ARCHIVED, code="archived")
    given_attributes = data.get("attributes") or {}
    cleaned, errors = _clean_attributes(client.client_list, given_attributes, partial=True, stored=client.attributes)
    new_attributes = {key: value for key, value in client.attributes.items() if key not in given_attributes}
    new_attributes.update(cleaned)
    data = _clean_phone(client.client_list, data, errors, stored=client.phone)
    candidate = {field: data[field] for field in CORE_FIELDS if field in data}
    if "name" in candidate:
        candidate["name"] = (candidate["name"] or "").strip()
    changed = client_changes(client, {**candidate, "attributes": {k: new_attributes.get(k) for k in given_attributes}})
    for field, value in candidate.items():
        setattr(client, field, value)
    _full_clean(client, errors)
    client.attributes = new_attributes
    client.business_key = _business_key(client.client_list, new_attributes)
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
    saved = _saved_values(client)
    key_before = client.business_key
    changed = _apply_update(client, data)
    if client.business_key != key_before:
        _raise_key_conflicts(client.client_list, [client])
    reps_changed = reps is not None and _set_reps(client, reps)
    if not changed:
        if reps_changed:
            client.version += 1
            client.updated_by = user
            client.save(update_fields=["version", "updated_by", "updated_at"])
            publish("client", [client.pk])
        return client
    _stamp(client, changed.names(), user=user)
    client.save(update_fields=_fields_changed(client, saved))
    # Only its reps decide who sees it among what this can change.
    (publish if reps_changed else resend)("client", [client.pk])
    return client


class ListReadOnly(PermissionDenied):
    """The rep's access to the client's list is read-only, and the edit changes more than required attributes that
    are still empty (or changes nothing)."""

    message = NO_EDIT


@dataclass(frozen=True)
class RepEdit:
    """What a rep's edit did: the client as it is now, and the keys (sorted) that kept the server's value."""

    client: Client
    conflicts: list[str]


# Not atomic itself: it writes once, through `client_update` (atomic), and a push pays for every savepoint.
def client_update_by_rep(
    *, rep: User, client: Client, rights: ListRights, data: Mapping[str, Any], base_version: int
) -> RepEdit:
    """A rep's edit of `client`, made on the phone's copy of version `base_version`. `client` comes with its list,
    locked by the caller until the transaction ends (two edits of one client apply one after the other, so neither
    loses the attributes the other changed); `rights` are the rep's on its list.

    - A value equal to the client's (`client_changes`) is no change: not applied, no conflict, never refused.
    - Conflicts: a field or attribute changed on the server after `base_version` keeps the server's value; the rest
      of the edit applies, and the keys left are in `RepEdit.conflicts`.
    - On a read-only list, a rep may only fill required attributes that are still empty (before a visit that needs
      them): an edit that changes anything else, or nothing, raises ListReadOnly.

    Raises `client_update`'s ValidationError when a value is refused; nothing is written then.
    """
    changes = client_changes(client, data)
    if not rights.edit and not _fills_only_missing(client, changes):
        raise ListReadOnly()
    conflicts = sorted(key for key in changes.names() if client.field_versions.get(key, 0) > base_version)
    client = client_update(user=rep, client=client, data=changes.without(conflicts).as_data())
    return RepEdit(client=client, conflicts=conflicts)


def _fills_only_missing(client: Client, changes: ClientChanges) -> bool:
    touched = {*changes.fields, *changes.attributes}
    return bool(touched) and touched <= set(client_missing_required(client))


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
        # Its history names who archived it (the save leaves `updated_by` as it was).
        client._history_user = user  # type: ignore[attr-defined]
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
    note_reps_change(client, added=wanted - current, removed=current - wanted)
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
    fresh = ClientList.objects.prefetch_related("attributes").get(pk=client_list.pk)
    specs = fresh.specs()
    batch: list[Client] = []
    clients = Client.objects.filter(client_list=client_list).only("id", "name", "attributes", "business_key")
    for client in clients.iterator(2000):
        client.search_text = search_text(specs, client.name, client.attributes)
        # The attribute that is the list's business key may have changed (AttributeDefinition.clean made sure the
        # clients tell themselves apart by the new one).
        client.business_key = _business_key(fresh, client.attributes)
        batch.append(client)
        if len(batch) == 2000:
            Client.objects.bulk_update(batch, ["search_text", "business_key"])
            batch.clear()
    Client.objects.bulk_update(batch, ["search_text", "business_key"])


@transaction.atomic
def client_list_access_changed(*, client_list: ClientList) -> None:
    """After the back office changes who has access to a list: recompute the feeds of everyone who had it or has it,
    and send the list again to those who keep it (their rights on it may have changed)."""
    held = SyncEntry.objects.filter(kind=TYPES["client_list"].rank, entity_id=str(client_list.pk), deleted=False)
    reps = set(held.values_list("rep_id", flat=True)) | list_seers([str(client_list.pk)]).get(
        str(client_list.pk), set()
    )
    refresh_reps(reps)
    publish("client_list", [client_list.pk])


def _business_key(client_list: ClientList, attributes: Mapping[str, Any]) -> str:
    key = client_list.key_attribute()
    return business_key_of(attributes.get(key)) if key else ""


def _saved_values(client: Client) -> dict[str, Any]:
    """The values of the client's columns as they are (copies: a change may edit a dict in place)."""
    return {field.attname: copy.deepcopy(getattr(client, field.attname)) for field in Client._meta.concrete_fields}


def _fields_changed(client: Client, saved: dict[str, Any]) -> list[str]:
    """The fields whose values differ from `saved`, and the moment of the change: what a save writes. A push's client
    edits write a few columns of a wide row (its attributes, its versions), not all of them."""
    changed = [
        field.name for field in Client._meta.concrete_fields if getattr(client, field.attname) != saved[field.attname]
    ]
    return [*changed, "updated_at"]


def _stamp(client: Client, changed: Iterable[str], *, user: User | None) -> None:
    """A client's new version after a change of the keys `changed`: what a rep's conflicts are judged by."""
    client.version += 1
    client.field_versions = {**client.field_versions, **dict.fromkeys(changed, client.version)}
    client.updated_by = user
    client.search_text = search_text(client.client_list.specs(), client.name, client.attributes)


def business_key_conflicts(*, client_list: ClientList, clients: Sequence[Client]) -> dict[uuid.UUID, ValidationError]:
    """The clients among `clients` whose business key another client of the list already has, each with its error
    on the key attribute. `clients` are taken as telling themselves apart (an import reports its own duplicates).
    Queries: one per 2000 keys."""
    key = client_list.key_attribute()
    wanted = {client.business_key: client for client in clients if client.business_key}
    if key is None or not wanted:
        return {}
    conflicts: dict[uuid.UUID, ValidationError] = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), 2000):
        taken = Client.objects.filter(client_list=client_list, business_key__in=keys[start : start + 2000])
        for owner_id, business_key in taken.values_list("pk", "business_key"):
            client = wanted[business_key]
            if owner_id != client.pk:
                value = client.attributes.get(key)
                conflicts[client.pk] = ValidationError({key: [ValidationError(KEY_TAKEN, params={"value": value})]})
    return conflicts


def _raise_key_conflicts(client_list: ClientList, clients: Sequence[Client]) -> None:
    for problem in business_key_conflicts(client_list=client_list, clients=clients).values():
        raise problem


@dataclass
class ClientWrite:
    """A checked client write that `clients_write` makes: a new client, or an update of `client` in memory."""

    client: Client
    adding: bool
    changed: ClientChanges = dataclasses.field(default_factory=lambda: ClientChanges({}, {}))
    reps: list[User] | None = None
    reps_changed: bool = False

    @property
    def writes(self) -> bool:
        return self.adding or bool(self.changed) or self.reps_changed


def client_write_plan(
    *,
    user: User | None,
    client_list: ClientList,
    data: Mapping[str, Any],
    client: Client | None = None,
    client_id: uuid.UUID | None = None,
    reps: Iterable[User] | None = None,
    current_rep_ids: Iterable[int] = (),
) -> ClientWrite:
    """What `client_create` (without `client`) or `client_update` would write, by the same rules, written later in
    bulk by `clients_write`. Raises the ValidationError they would raise; makes no query (`client` comes with its
    list, and the caller checks business keys for many clients at once with `business_key_conflicts`)."""
    if client is None:
        new = _new_client(user=user, client_list=client_list, data=data, client_id=client_id)
        rep_list = list(reps or ())
        note_reps_change(new, added=[rep.pk for rep in rep_list], removed=[])
        return ClientWrite(client=new, adding=True, reps=rep_list, reps_changed=bool(rep_list))
    changed = _apply_update(client, data)
    given = None if reps is None else list(reps)
    reps_changed = given is not None and {rep.pk for rep in given} != set(current_rep_ids)
    if given is not None:
        wanted, current = {rep.pk for rep in given}, set(current_rep_ids)
        note_reps_change(client, added=wanted - current, removed=current - wanted)
    return ClientWrite(client=client, adding=False, changed=changed, reps=given, reps_changed=reps_changed)


@transaction.atomic
def clients_write(*, user: User | None, writes: Sequence[ClientWrite]) -> None:
    """Write planned creates and updates as `client_create` and `client_update` would, in bulk, and record them in
    the clients' history: the queries depend on the number of batches of 500, not of clients."""
    writes = [write for write in writes if write.writes]
    now = timezone.now()
    created = [write.client for write in writes if write.adding]
    Client.objects.bulk_create(created, batch_size=500)
    updated: list[Client] = []
    for write in writes:
        if write.adding:
            continue
        if write.changed:
            _stamp(write.client, write.changed.names(), user=user)
        else:
            write.client.version += 1
            write.client.updated_by = user
        write.client.updated_at = now
        updated.append(write.client)
    # A file sets no photo: the client's other own fields, and what the rules derive from them.
    own_fields = [field for field in CORE_FIELDS if field != "photo"]
    Client.objects.bulk_update(
        updated,
        [
            *own_fields,
            "attributes",
            "field_versions",
            "search_text",
            "business_key",
            "version",
            "updated_by",
            "updated_at",
        ],
        batch_size=500,
    )
    reassigned = [write for write in writes if write.reps_changed and not write.adding]
    wanted = {(write.client.pk, rep.pk) for write in writes if write.reps_changed for rep in write.reps or ()}
    if reassigned:
        ids = [write.client.pk for write in reassigned]
        current = Assignment.objects.filter(client_id__in=ids).values_list("pk", "client_id", "rep_id")
        gone = [pk for pk, client_id, rep_id in current if (client_id, rep_id) not in wanted]
        Assignment.objects.filter(pk__in=gone).delete()
    Assignment.objects.bulk_create(
        [Assignment(client_id=client_id, rep_id=rep_id) for client_id, rep_id in wanted],
        batch_size=500,
        ignore_conflicts=True,
    )
    clients_history_record(clients=created, created=True, user=user)
    clients_history_record(clients=updated, user=user)
    audience_changed = [write.client.pk for write in writes if write.adding or write.reps_changed]
    if audience_changed:
        publish("client", audience_changed)
    fields_only = [write.client.pk for write in writes if not write.adding and not write.reps_changed]
    if fields_only:
        resend("client", fields_only)


# Possible duplicates: the back office's review ----------------------------------------------------------------------


@transaction.atomic
def possible_duplicates_dismiss(*, user: User | None, duplicates: QuerySet[PossibleDuplicate]) -> int:
    """Mark the pairs still to review as two different clients; return how many."""
    return duplicates.filter(status=PossibleDuplicate.Status.OPEN).update(
        status=PossibleDuplicate.Status.NOT_DUPLICATE, reviewed_at=timezone.now(), reviewed_by=user
    )


@transaction.atomic
def possible_duplicates_archive_new(*, user: User | None, duplicates: QuerySet[PossibleDuplicate]) -> int:
    """Archive the new client of each pair still to review (`client_archive`: it leaves the reps' lists, the back
    office can restore it) and close every pair of those clients still open; return how many clients were archived.

    Nothing is merged: the visits, orders and notes made on the new client stay on it."""
    new_ids = set(duplicates.filter(status=PossibleDuplicate.Status.OPEN).values_list("new_client_id", flat=True))
    archived = 0
    for client in Client.objects.filter(pk__in=new_ids, archived_at__isnull=True).select_for_update():
        client_archive(user=user, client=client)
        archived += 1
    PossibleDuplicate.objects.filter(new_client_id__in=new_ids, status=PossibleDuplicate.Status.OPEN).update(
        status=PossibleDuplicate.Status.NEW_ARCHIVED, reviewed_at=timezone.now(), reviewed_by=user
    )
    return archived


# Bulk work on clients: the back office's actions on many clients at once ------------------------------------------

# Clients one statement writes: their ids and values stay well within the parameters SQLite (32766) and PostgreSQL
# (65535) take, and a per-client CASE over that many rows stays quick (it is quadratic). A bulk action on 1,000
# clients costs the queries of one on 10.
BULK_CHUNK = 1000
# Assignments one INSERT writes: three parameters each.
ASSIGNMENT_CHUNK = 5000

NOT_BULK_ATTRIBUTE = _("This attribute cannot be set on many clients at once: each client has its own.")
NOT_TEAM_REPS = _("You can only assign your own team's reps.")


def _bulk_chunks(items: Sequence[Any], size: int = BULK_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _clients_acted_on(*, user: User | None, clients: QuerySet[Client]) -> list[Client]:
    """The clients of `clients` a bulk action changes: those `user` may act on (a supervisor: their team's), not
    archived (an archived client is read-only until restored), locked until the transaction ends so that a rep's edit
    pushed meanwhile waits instead of being overwritten. One query."""
    chosen = Client.objects.filter(pk__in=clients.order_by().values("pk"), archived_at__isnull=True)
    if user is not None:
        chosen = clients_of_team(chosen, user=user)
    return list(chosen.select_for_update().order_by("pk"))


def _team_rep_ids(*, user: User | None, reps: Iterable[User]) -> set[int]:
    """The ids of `reps`, which a supervisor may only take among their team (fieldsales.accounts.team_of)."""
    rep_ids = {rep.pk for rep in reps}
    team = team_of(user=user) if user is not None else None
    if team is not None and rep_ids and team.filter(pk__in=rep_ids).count() != len(rep_ids):
        raise PermissionDenied(NOT_TEAM_REPS)
    return rep_ids


def _bulk_stamp(clients: Iterable[Client], changed: Collection[str], *, user: User | None) -> None:
    """`_stamp` for a bulk write, in memory: a new version each, the keys `changed` at it. The search text is the
    caller's (only an attribute can change it)."""
    now = timezone.now()
    for client in clients:
        client.version += 1
        client.field_versions = {**client.field_versions, **dict.fromkeys(changed, client.version)}
        client.updated_by = user
        client.updated_at = now


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    """The column field `name` of `model`."""
    return next(field for field in model._meta.concrete_fields if field.name == name)


def _column_value(clients: Sequence[Client], name: str) -> Any:
    """What an UPDATE of `clients` sets column `name` to: their common value, or a CASE on the value, each with the
    clients that have it (a bulk write gives many clients the same version, the same field versions)."""
    field = _column(Client, name)
    groups: dict[str, tuple[Any, list[uuid.UUID]]] = {}
    for client in clients:
        value = getattr(client, field.attname)
        groups.setdefault(json.dumps(value, sort_keys=True, default=str), (value, []))[1].append(client.pk)
    if len(groups) == 1:
        return Value(next(iter(groups.values()))[0], output_field=field)
    case = Case(
        *(When(pk__in=ids, then=Value(value, output_field=field)) for value, ids in groups.values()), output_field=field
    )
    # PostgreSQL types a CASE's branches by their first: Django's own bulk_update casts the same way.
    return Cast(case, output_field=field) if connection.features.requires_casted_case_in_updates else case


def _clients_save(*, clients: Sequence[Client], fields: Collection[str], user: User | None) -> None:
    """Write `fields` of `clients`, changed in memory by a bulk service, and record the change in their history (by
    `user`, as a bulk action): the one place where the bulk services write clients. A statement per BULK_CHUNK
    clients, where Django's `bulk_update` would split them by SQLite's old limit of 999 parameters."""
    for chunk in _bulk_chunks(clients):
        columns = {_column(Client, name).attname: _column_value(chunk, name) for name in fields}
        Client.objects.filter(pk__in=[client.pk for client in chunk]).update(**columns)
        clients_history_record(clients=chunk, user=user, channel=ChangeChannel.BULK)


def _assignments_insert(pairs: Sequence[tuple[uuid.UUID, int]]) -> None:
    """Assign each (client, rep) of `pairs`, ASSIGNMENT_CHUNK a statement (`bulk_create` would split them by SQLite's
    old limit of 999 parameters: a statement per 333). A pair assigned meanwhile is left as it is."""
    table, qn = Assignment._meta.db_table, connection.ops.quote_name
    columns = ", ".join(qn(str(_column(Assignment, name).column)) for name in ("client", "rep", "assigned_at"))
    now = _column(Assignment, "assigned_at").get_db_prep_value(timezone.now(), connection)
    client_key = Client._meta.pk.get_db_prep_value  # type: ignore[union-attr]
    for chunk in _bulk_chunks(pairs, ASSIGNMENT_CHUNK):
        values = [value for client_id, rep_id in chunk for value in (client_key(client_id, connection), rep_id, now)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(table)} ({columns}) VALUES "  # noqa: S608 (names from the models, values as parameters)
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + " ON CONFLICT DO NOTHING",
                values,
            )


@transaction.atomic
def clients_reps_add(*, user: User | None, clients: QuerySet[Client], reps: Collection[User]) -> int:
    """Assign `reps` to each of `clients` besides the reps it has; return how many clients gained one. The clients
    reach each rep's next pull, and the reps' open apps are told once this commits (fieldsales.sync.feed)."""
    rep_ids = _team_rep_ids(user=user, reps=reps)
    gained: list[Client] = []
    for chunk in _bulk_chunks(_clients_acted_on(user=user, clients=clients) if rep_ids else []):
        held = set(
            Assignment.objects.filter(client_id__in=[client.pk for client in chunk], rep_id__in=rep_ids).values_list(
                "client_id", "rep_id"
            )
        )
        pairs = [
            (client.pk, rep_id) for client in chunk for rep_id in sorted(rep_ids) if (client.pk, rep_id) not in held
        ]
        _assignments_insert(pairs)
        added: dict[uuid.UUID, list[int]] = {}
        for client_id, rep_id in pairs:
            added.setdefault(client_id, []).append(rep_id)
        for client in chunk:
            if client.pk in added:
                note_reps_change(client, added=added[client.pk], removed=())
                gained.append(client)
    return _reps_changed(gained, user=user)


@transaction.atomic
def clients_reps_remove(*, user: User | None, clients: QuerySet[Client], reps: Collection[User]) -> int:
    """Take `reps` off each of `clients`; return how many clients lost one. The clients leave those reps' feeds (their
    devices get `deleted` at the next pull) and the reps' open apps are told once this commits."""
    rep_ids = _team_rep_ids(user=user, reps=reps)
    lost: list[Client] = []
    for chunk in _bulk_chunks(_clients_acted_on(user=user, clients=clients) if rep_ids else []):
        gone = Assignment.objects.filter(client_id__in=[client.pk for client in chunk], rep_id__in=rep_ids)
        removed: dict[uuid.UUID, list[int]] = {}
        for client_id, rep_id in gone.values_list("client_id", "rep_id"):
            removed.setdefault(client_id, []).append(rep_id)
        gone.delete()
        for client in chunk:
            if client.pk in removed:
                note_reps_change(client, added=(), removed=removed[client.pk])
                lost.append(client)
    return _reps_changed(lost, user=user)


def _reps_changed(clients: Sequence[Client], *, user: User | None) -> int:
    """After their reps changed: a new version each (as `client_update` gives a change of reps alone), and the feeds
    of the reps who gained or lost them."""
    _bulk_stamp(clients, (), user=user)
    _clients_save(clients=clients, fields=("version", "updated_by", "updated_at"), user=user)
    publish("client", [client.pk for client in clients])
    return len(clients)


@transaction.atomic
def clients_statement_set(*, user: User | None, clients: QuerySet[Client], enabled: bool) -> int:
    """Enable (or disable) the account statement of each of `clients`; return how many changed."""
    changed = [
        client for client in _clients_acted_on(user=user, clients=clients) if client.statement_enabled != enabled
    ]
    for client in changed:
        client.statement_enabled = enabled
    _bulk_stamp(changed, ("statement_enabled",), user=user)
    _clients_save(
        clients=changed,
        fields=("statement_enabled", "field_versions", "version", "updated_by", "updated_at"),
        user=user,
    )
    resend("client", [client.pk for client in changed])
    return len(changed)


def bulk_attribute(*, client_list: ClientList, key: str) -> AttributeSpec:
    """The attribute `key` of `client_list`'s schema if a bulk action may set it, or the ValidationError (on `key`)
    that says why not: not in the schema, or a value each client has its own of (the business key, a photo)."""
    spec = next((spec for spec in client_list.specs() if spec.key == key), None)
    if spec is None:
        raise ValidationError({key: [ValidationError(UNKNOWN, code="unknown")]})
    if key == client_list.key_attribute() or spec.type == AttributeType.PHOTO:
        raise ValidationError({key: [ValidationError(NOT_BULK_ATTRIBUTE, code="not_bulk")]})
    return spec


@transaction.atomic
def clients_attribute_set(
    *, user: User | None, client_list: ClientList, clients: QuerySet[Client], key: str, value: Any
) -> int:
    """Set attribute `key` of `client_list`'s schema to `value` on each of `clients` of that list; return how many
    changed. The schema judges `value` (`validate_attributes`: an empty one clears the attribute, unless it is
    required); a value it refuses raises its SchemaValidationError, on `key`, before anything is written."""
    spec = bulk_attribute(client_list=client_list, key=key)
    cleaned = validate_attributes([spec], {key: value}, partial=True).get(key)
    chosen = _clients_acted_on(user=user, clients=clients.filter(client_list=client_list))
    changed = [client for client in chosen if client.attributes.get(key) != cleaned]
    for client in changed:
        client.attributes = {name: kept for name, kept in client.attributes.items() if name != key}
        if cleaned is not None:
            client.attributes[key] = cleaned
        client.search_text = search_text(client_list.specs(), client.name, client.attributes)
    _bulk_stamp(changed, (key,), user=user)
    # Only an important attribute is searched: the search text of the others stays as it is, and is not written again.
    searched = ("search_text",) if spec.important else ()
    _clients_save(
        clients=changed,
        fields=("attributes", *searched, "field_versions", "version", "updated_by", "updated_at"),
        user=user,
    )
    resend("client", [client.pk for client in changed])
    return len(changed)


@transaction.atomic
def clients_archive(*, user: User | None, clients: QuerySet[Client]) -> int:
    """Archive each of `clients` not archived yet, as `client_archive` does one; return how many. They leave every
    rep's list at the next pull."""
    archived = _clients_acted_on(user=user, clients=clients)
    now = timezone.now()
    for client in archived:
        client.archived_at = now
        client.archived_by = user
        client.version += 1
        client.updated_at = now
    _clients_save(clients=archived, fields=("archived_at", "archived_by", "version", "updated_at"), user=user)
    publish("client", [client.pk for client in archived])
    return len(archived)
