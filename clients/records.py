"""What a `client_list` and a `client` record look like to the phone and to REST, and who sees them.

The pull (fieldsales/sync/pull.py) serializes records with the functions of `ENTITY_TYPES`, in version 1 or 2 of
the contract; the feed (fieldsales/sync/feed.py) asks their `seers` and `visible` who holds them. A change here is a
change of the contract: say it in docs/sync-protocol-v2.md, and keep version 1 as it was for the apps that speak it.
Who sees a list or a client is decided in clients/selectors.py; this module only hands those rules to the engine.
The op handlers are in clients/ops.py, the registration in clients/sync.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import phonenumbers

from clients.duplicates import duplicate_rules
from clients.models import Client, ClientList
from clients.phones import phone_rules
from clients.schema import AttributeSpec, AttributeType, attribute_rules
from clients.selectors import (
    client_seers,
    clients_visible_to,
    list_rights,
    list_seers,
    lists_visible_to,
    lock_clients,
)
from fieldsales.sync.lean import lean, moment
from fieldsales.sync.registry import EntityType

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from fieldsales.models import Blob

CLIENT_LIST_RANK = 10
CLIENT_RANK = 40


def name_max() -> int:
    """The longest name a client may have: the model's own limit, which `client_create` checks."""
    return int(Client._meta.get_field("name").max_length or 0)


def list_rules(client_list: ClientList) -> dict[str, Any]:
    """The rules of a client's own fields on this list, for the app's form: its name, and its phone, a number of the
    list's country (`phone_rules`)."""
    return {"name": {"max_length": name_max()}, "phone": phone_rules(client_list.country)}


def list_rules_signature() -> dict[str, Any]:
    """What the rules a list record carries are made of, but for its country: when this changes (a limit in
    clients/schema.py, libphonenumber's data), the pull's rules version does, and devices get their lists again."""
    kinds = [kind for kind in AttributeType if kind != AttributeType.PHONE]
    return {
        "attributes": {kind.value: attribute_rules(AttributeSpec("x", kind.value)) for kind in kinds},
        "name_max": name_max(),
        "phonenumbers": phonenumbers.__version__,
    }


# The pull's global rules that come from this app (fieldsales/sync/pull.py publishes them, clients/sync.py registers).
RULES = {"name_max": name_max, "duplicates": duplicate_rules}


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
                        "rules": attribute_rules(spec),
                    }
                    for spec in client_list.specs()
                ],
                "access": {"create": right.create, "edit": right.edit, "archive": right.archive},
                "rules": list_rules(client_list),
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


def photo_readable(user: User, blob: Blob) -> bool:
    """Whether `user` may download `blob` as the photo of a client they see."""
    return clients_visible_to(user).filter(photo=blob).exists()


ENTITY_TYPES = (
    EntityType(
        name="client_list",
        rank=CLIENT_LIST_RANK,
        serialize=serialize_lists,
        serialize_v2=serialize_lists_v2,
        seers=list_seers,
        visible=lambda rep: lists_visible_to(rep).values_list("pk", flat=True),
        rules=list_rules_signature,
    ),
    EntityType(
        name="client",
        rank=CLIENT_RANK,
        serialize=serialize_clients,
        serialize_v2=serialize_clients_v2,
        seers=client_seers,
        visible=lambda rep: clients_visible_to(rep).values_list("pk", flat=True),
        positions=client_positions,
        lock=lock_clients,
    ),
)
