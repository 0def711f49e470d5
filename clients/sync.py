"""The clients app in the sync contract: `client_list` and `client` records, and the `client.*` ops."""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.models import Client, ClientList
from clients.phones import phone_canonical
from clients.schema import NOT_BOOLEAN, NOT_DECIMAL, NOT_PHOTO, NOT_TEXT, clean_value
from clients.selectors import (
    ListRights,
    client_missing_required,
    client_seers,
    client_with_rights,
    clients_visible_to,
    list_rights,
    list_seers,
    lists_visible_to,
)
from clients.services import CORE_FIELDS, client_archive, client_create, client_update
from fieldsales.models import Blob
from fieldsales.sync.lean import lean, moment
from fieldsales.sync.push import FORBIDDEN, INVALID, MISSING_BLOB, NOT_OBJECT, Op, Outcome, Rejected, missing
from fieldsales.sync.registry import BLOB_READERS, EntityType, register_op, register_type

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CLIENT_LIST_RANK = 10
TEXT_FIELDS = ("name", "phone")
NUMBER_FIELDS = ("lat", "lng", "accuracy_m")
CLIENT_RANK = 40

NO_CREATE = _("Your access to this list does not allow creating clients.")
NO_EDIT = _("Your access to this list is read-only: only required fields that are still empty can be filled.")
NO_ARCHIVE = _("Your access to this list does not allow archiving clients.")
UNKNOWN_LIST = _("This list does not exist or is not shared with you.")
ALREADY_EXISTS = _("A client with this identifier already exists.")
BLOB_MISSING = _("The photo has not been uploaded yet; it will be sent again after the upload.")
BASE_VERSION_REQUIRED = _("Send the version the change was based on.")


def serialize_lists(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    rights = list_rights(user=rep, list_ids=[int(list_id) for list_id in ids])
    records: dict[str, dict[str, Any]] = {}
    for client_list in ClientList.objects.filter(pk__in=list(rights)).prefetch_related("attributes"):
        right = rights[client_list.pk]
        records[str(client_list.pk)] = {
            "version": client_list.version,
            "data": {
                "name": client_list.name,
                "attributes": [
                    {
                        "key": spec.key,
                        "label": spec.label,
                        "label_en": spec.label_en,
                        "label_fr": spec.label_fr,
                        "type": spec.type,
                        "required": spec.required,
                        "important": spec.important,
                        "options": list(spec.options),
                    }
                    for spec in client_list.specs()
                ],
                "access": {"create": right.create, "edit": right.edit, "archive": right.archive},
            },
        }
    return records


def serialize_lists_v2(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Version 2: without `label` (the same as `label_en`), lean."""
    records = serialize_lists(rep, ids)
    for record in records.values():
        data = record["data"]
        data["attributes"] = [
            lean({key: value for key, value in attribute.items() if key != "label"}) for attribute in data["attributes"]
        ]
        data["access"] = lean(data["access"])
        record["data"] = lean(data)
    return records


CLIENT_COLUMNS = (
    "id",
    "client_list_id",
    "name",
    "lat",
    "lng",
    "accuracy_m",
    "phone",
    "photo_id",
    "attributes",
    "statement_enabled",
    "version",
    "created_at",
    "updated_at",
    "created_by__username",
    "created_by__first_name",
    "created_by__last_name",
    "updated_by__username",
    "updated_by__first_name",
    "updated_by__last_name",
)


def _person(row: dict[str, Any], prefix: str) -> str | None:
    full = f"{row[prefix + '__first_name'] or ''} {row[prefix + '__last_name'] or ''}".strip()
    return full or row[prefix + "__username"]


def client_record(row: dict[str, Any]) -> dict[str, Any]:
    """The `client` record of the contract from a `values(*CLIENT_COLUMNS)` row."""
    return {
        "version": row["version"],
        "data": {
            "list": row["client_list_id"],
            "name": row["name"],
            "lat": row["lat"],
            "lng": row["lng"],
            "accuracy_m": row["accuracy_m"],
            "phone": row["phone"],
            "photo": str(row["photo_id"]) if row["photo_id"] else None,
            "attributes": row["attributes"],
            "statement_enabled": row["statement_enabled"],
            "created_at": row["created_at"].isoformat(),
            "created_by": _person(row, "created_by"),
            "updated_at": row["updated_at"].isoformat(),
            "updated_by": _person(row, "updated_by"),
        },
    }


def client_record_v2(row: dict[str, Any]) -> dict[str, Any]:
    """Version 2 of `client_record`: lean, its moments to the second."""
    record = client_record(row)
    data = {**record["data"], "created_at": moment(row["created_at"]), "updated_at": moment(row["updated_at"])}
    return {"version": record["version"], "data": lean(data)}


def serialize_clients(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = Client.objects.filter(pk__in=ids).values(*CLIENT_COLUMNS)
    return {str(row["id"]): client_record(row) for row in rows}


def serialize_clients_v2(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = Client.objects.filter(pk__in=ids).values(*CLIENT_COLUMNS)
    return {str(row["id"]): client_record_v2(row) for row in rows}


def client_positions(rep: User) -> Any:
    """(id, lat, lng) of the clients the rep sees that have a position: a first sync near the phone sorts by them."""
    return clients_visible_to(rep).filter(lat__isnull=False, lng__isnull=False).values_list("pk", "lat", "lng")


def client_current(client: Client) -> dict[str, Any]:
    return client_record(Client.objects.filter(pk=client.pk).values(*CLIENT_COLUMNS).get())


# Ops ------------------------------------------------------------------------------------------


def _photo(op: Op, data: dict[str, Any]) -> dict[str, Any]:
    """Replace a photo id by its uploaded blob, or reject the op until the upload arrives."""
    if "photo" not in data or data["photo"] in (None, ""):
        return {**data, "photo": None} if "photo" in data else data
    try:
        blob_id = uuid.UUID(data["photo"]) if isinstance(data["photo"], str) else None
    except ValueError:
        blob_id = None
    if blob_id is None:
        raise Rejected(INVALID, {"photo": [NOT_PHOTO]})
    blob = Blob.objects.filter(pk=blob_id, uploaded_by=op.user).first()
    if blob is None:
        raise Rejected(MISSING_BLOB, {"photo": [BLOB_MISSING]})
    return {**data, "photo": blob}


def _writable(data: dict[str, Any]) -> dict[str, Any]:
    """The client fields of an op's data, each of the JSON type it needs. Values the model's own checks skip as
    empty (an empty list for a latitude, say) would otherwise reach the database."""
    fields = {key: data[key] for key in CORE_FIELDS if key in data}
    errors: dict[str, list[Any]] = {}
    for key, value in fields.items():
        if key in TEXT_FIELDS:
            if value is None:
                fields[key] = ""
            elif not isinstance(value, str):
                errors[key] = [NOT_TEXT]
        elif key in NUMBER_FIELDS:
            if value is None or (isinstance(value, str) and not value.strip()):
                fields[key] = None
            elif isinstance(value, bool) or not isinstance(value, int | float | str) or not _float(value):
                errors[key] = [NOT_DECIMAL]
        elif key == "statement_enabled" and not isinstance(value, bool):
            errors[key] = [NOT_BOOLEAN]
    if data.get("attributes") is not None and not isinstance(data["attributes"], dict):
        # Not silently dropped: the op would answer `applied` with none of the rep's attributes stored.
        errors["attributes"] = [NOT_OBJECT]
    if errors:
        raise Rejected(INVALID, errors)
    if isinstance(data.get("attributes"), dict):
        fields["attributes"] = data["attributes"]
    return fields


def _float(value: int | float | str) -> bool:
    """Whether `value` converts to a float (a string is checked by the model, with its own message)."""
    try:
        return isinstance(value, str) or math.isfinite(float(value))
    except OverflowError:
        return False


def _list_id(value: Any) -> int | None:
    """A list's id as the device sends it: a whole number, or its digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        return None
    return value


def handle_client_create(op: Op) -> Outcome:
    list_id = _list_id(op.data.get("list"))
    client_list = lists_visible_to(op.user).filter(pk=list_id).first() if list_id is not None else None
    if client_list is None:
        raise Rejected(FORBIDDEN, {"list": [UNKNOWN_LIST]})
    if not list_rights(user=op.user, list_ids=[client_list.pk])[client_list.pk].create:
        raise Rejected.message(FORBIDDEN, NO_CREATE)
    if Client.objects.filter(pk=op.entity_id).exists():
        raise Rejected(INVALID, {"id": [ALREADY_EXISTS]})
    data = _photo(op, _writable(op.data))
    try:
        client = client_create(user=op.user, client_list=client_list, data=data, client_id=op.entity_id, reps=[op.user])
    except ValidationError as error:
        raise Rejected.from_validation(error) from None
    return Outcome(version=client.version)


def _comparable(client: Client, key: str, value: Any) -> Any:
    """A value in the form the server stores it, to tell a real change from the same value sent again."""
    if key == "phone" and value:
        # The number the device holds may be the one it typed ("07 01…"), the server's copy being in E.164.
        return phone_canonical(value, region=client.client_list.country)
    if key in CORE_FIELDS:
        return str(getattr(value, "pk", value)) if key == "photo" and value else value
    specs = {spec.key: spec for spec in client.client_list.specs()}
    try:
        return clean_value(specs[key], value) if key in specs else value
    except ValidationError:
        return value


def _stored(client: Client, key: str) -> Any:
    if key == "photo":
        return str(client.photo_id) if client.photo_id else None
    if key in CORE_FIELDS:
        return getattr(client, key)
    return client.attributes.get(key)


def _client_of_op(op: Op, value: Any, *, change: bool, with_list: bool) -> tuple[Client, ListRights | None]:
    """The client the op names by `value`, if the rep sees it. To `change` it: locked until the op commits, with
    the rep's rights on its list. `with_list`: with its list, one object per list and version for the push's
    ops, so that its schema is read once per push."""
    try:
        client_id = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise missing(op, value) from None
    found = client_with_rights(user=op.user, client_id=client_id, lock=change, rights=change)
    if found is None:
        raise missing(op, value)
    client, rights, list_version = found
    if with_list:
        lists = op.memo.setdefault("client_lists", {})
        key = (client.client_list_id, list_version)
        if key not in lists:
            lists[key] = ClientList.objects.get(pk=client.client_list_id)
        client.client_list = lists[key]
    return client, rights


def client_of_op(op: Op, value: Any, *, with_list: bool = False) -> Client:
    """The client an op on another record names by `value` (a visit's, a note's), if the rep sees it."""
    return _client_of_op(op, value, change=False, with_list=with_list)[0]


def _locked_client(op: Op) -> tuple[Client, ListRights]:
    """The op's client, locked until the op commits, with the rep's rights on its list: two ops on one client
    apply one after the other, so neither overwrites the attributes the other changed."""
    client, rights = _client_of_op(op, op.entity_id, change=True, with_list=True)
    return client, rights or ListRights()


def handle_client_update(op: Op) -> Outcome:
    client, rights = _locked_client(op)
    if op.base_version is None:
        raise Rejected(INVALID, {"base_version": [BASE_VERSION_REQUIRED]})
    data = _photo(op, _writable(op.data))
    core = {key: value for key, value in data.items() if key != "attributes"}
    # Attributes stay attributes: a key that names a client field there is unknown to the schema, not that field.
    attributes_given = data.get("attributes") or {}
    changed = {key: value for key, value in core.items() if _comparable(client, key, value) != _stored(client, key)}
    changed_attributes = {
        key: value
        for key, value in attributes_given.items()
        if key in CORE_FIELDS or _comparable(client, key, value) != _stored(client, key)
    }
    if not rights.edit:
        # The seed's exception: required fields may be filled before a visit, even on a read-only list.
        fillable = set(client_missing_required(client))
        touched = set(changed) | set(changed_attributes)
        if not touched or not touched <= fillable:
            raise Rejected.message(FORBIDDEN, NO_EDIT)
    conflicts = sorted(
        key
        for key in [*changed, *(key for key in changed_attributes if key not in CORE_FIELDS)]
        if client.field_versions.get(key, 0) > op.base_version
    )
    update: dict[str, Any] = {key: value for key, value in changed.items() if key not in conflicts}
    attributes = {key: value for key, value in changed_attributes.items() if key not in conflicts}
    if attributes:
        update["attributes"] = attributes
    try:
        client = client_update(user=op.user, client=client, data=update)
    except ValidationError as error:
        raise Rejected.from_validation(error) from None
    if conflicts:
        return Outcome(version=client.version, conflicts=conflicts, current=client_current(client))
    return Outcome(version=client.version)


def handle_client_archive(op: Op) -> Outcome:
    client, rights = _locked_client(op)
    if not rights.archive:
        raise Rejected.message(FORBIDDEN, NO_ARCHIVE)
    client = client_archive(user=op.user, client=client)
    return Outcome(version=client.version)


def register() -> None:
    register_type(
        EntityType(
            name="client_list",
            rank=CLIENT_LIST_RANK,
            serialize=serialize_lists,
            serialize_v2=serialize_lists_v2,
            seers=list_seers,
            visible=lambda rep: lists_visible_to(rep).values_list("pk", flat=True),
        )
    )
    register_type(
        EntityType(
            name="client",
            rank=CLIENT_RANK,
            serialize=serialize_clients,
            serialize_v2=serialize_clients_v2,
            seers=client_seers,
            visible=lambda rep: clients_visible_to(rep).values_list("pk", flat=True),
            positions=client_positions,
        )
    )
    BLOB_READERS.append(lambda user, blob: clients_visible_to(user).filter(photo=blob).exists())
    register_op("client.create", handle_client_create, creates=True)
    register_op("client.update", handle_client_update)
    register_op("client.archive", handle_client_archive)
