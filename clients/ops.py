"""The `client.*` op handlers of `POST /api/sync/push`: read an op, call the clients service, answer.

A handler holds no rule of its own. It reads the op's data into the values a service takes (rejecting as `invalid`
what is not of the right JSON type, resolving an uploaded photo), finds the client the rep may reach
(clients/selectors.py), calls one service (clients/services.py: `client_create`, `client_update_by_rep`,
`client_archive`) and turns its answer into an `Outcome`, or its exception into a `Rejected`
(fieldsales/sync/errors.py). The rules themselves (conflicts, the read-only list's exception, the schema) are the
services' and the schema's, so that the admin, the import and the REST API apply the same ones. Registered in
clients/sync.py.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.models import Client, ClientList
from clients.records import client_current
from clients.schema import NOT_BOOLEAN, NOT_DECIMAL, NOT_PHOTO, NOT_TEXT
from clients.selectors import ListRights, client_seen_by, list_rights, lists_visible_to
from clients.services import (
    CORE_FIELDS,
    NUMBER_FIELDS,
    ListReadOnly,
    client_archive,
    client_create,
    client_update_by_rep,
)
from fieldsales.models import Blob
from fieldsales.sync.errors import FORBIDDEN, INVALID, MISSING_BLOB, NOT_OBJECT, Rejected, missing, uuid_or_none
from fieldsales.sync.registry import Op, Outcome

TEXT_FIELDS = ("name", "phone")
# The app names the few clients its duplicate warning showed (three at most); more is no warning a rep saw.
MAX_SIMILAR = 20

NO_CREATE = _("Your access to this list does not allow creating clients.")
NO_ARCHIVE = _("Your access to this list does not allow archiving clients.")
UNKNOWN_LIST = _("This list does not exist or is not shared with you.")
ALREADY_EXISTS = _("A client with this identifier already exists.")
BLOB_MISSING = _("The photo has not been uploaded yet; it will be sent again after the upload.")
BASE_VERSION_REQUIRED = _("Send the version the change was based on.")
NOT_SIMILAR_LIST = _("Send at most 20 client ids, as a list.")


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


def _list_of_create(op: Op) -> ClientList:
    """The list a `client.create` names, if the rep sees it and may create clients on it."""
    list_id = _list_id(op.data.get("list"))
    client_list = lists_visible_to(op.user).filter(pk=list_id).first() if list_id is not None else None
    if client_list is None:
        raise Rejected(FORBIDDEN, {"list": [UNKNOWN_LIST]})
    if not list_rights(user=op.user, list_ids=[client_list.pk])[client_list.pk].create:
        raise Rejected.message(FORBIDDEN, NO_CREATE)
    return client_list


def _similar_to(data: dict[str, Any]) -> list[uuid.UUID]:
    """The ids of `similar_to`: the clients the app warned the rep this new one looked like. An item that is no id
    is ignored as an unknown id is (the service keeps only the clients the rep sees)."""
    value = data.get("similar_to")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_SIMILAR:
        raise Rejected(INVALID, {"similar_to": [NOT_SIMILAR_LIST]})
    return [pk for pk in map(uuid_or_none, value) if pk is not None]


def handle_client_create(op: Op) -> Outcome:
    client_list = _list_of_create(op)
    if Client.objects.filter(pk=op.entity_id).exists():
        raise Rejected(INVALID, {"id": [ALREADY_EXISTS]})
    similar_to = _similar_to(op.data)
    data = _photo(op, _writable(op.data))
    try:
        client = client_create(
            user=op.user,
            client_list=client_list,
            data=data,
            client_id=op.entity_id,
            reps=[op.user],
            similar_to=similar_to,
        )
    except ValidationError as error:
        raise Rejected.from_validation(error) from None
    return Outcome(version=client.version)


def _locked_client(op: Op) -> tuple[Client, ListRights]:
    """The op's client with its list, locked until the op commits, and the rep's rights on its list; or the answer
    for a client the rep cannot reach."""
    found = client_seen_by(user=op.user, client_id=op.entity_id, lock=True, rights=True, memo=op.memo)
    if found is None:
        raise missing(op)
    client, rights = found
    return client, rights or ListRights()


def handle_client_update(op: Op) -> Outcome:
    client, rights = _locked_client(op)
    if op.base_version is None:
        raise Rejected(INVALID, {"base_version": [BASE_VERSION_REQUIRED]})
    data = _photo(op, _writable(op.data))
    try:
        edit = client_update_by_rep(rep=op.user, client=client, rights=rights, data=data, base_version=op.base_version)
    except ListReadOnly as error:
        raise Rejected.message(FORBIDDEN, error.message) from None
    except ValidationError as error:
        raise Rejected.from_validation(error) from None
    if edit.conflicts:
        return Outcome(version=edit.client.version, conflicts=edit.conflicts, current=client_current(edit.client))
    return Outcome(version=edit.client.version)


def handle_client_archive(op: Op) -> Outcome:
    client, rights = _locked_client(op)
    if not rights.archive:
        raise Rejected.message(FORBIDDEN, NO_ARCHIVE)
    client = client_archive(user=op.user, client=client)
    return Outcome(version=client.version)
