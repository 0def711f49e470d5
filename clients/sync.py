"""The clients app in the sync contract: its record types, its op types and who may read its photos.

Only registration, called once from `ClientsConfig.ready()`: the records are in clients/records.py, the op handlers in
clients/ops.py, the rules in clients/services.py. An op type's label is what the app's sync alerts call it
(static/js/lib/contract.js, written from here by `manage.py sync_contract`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clients import ops, records
from clients.recording import from_phone
from fieldsales.sync.registry import BLOB_READERS, register_op, register_rules, register_type


def register() -> None:
    for entity_type in records.ENTITY_TYPES:
        register_type(entity_type)
    BLOB_READERS.append(records.photo_readable)
    for name, publish in records.RULES.items():
        register_rules(name, publish)
    # Their changes are recorded in the client's history as the rep's, made on the pushing device.
    register_op(
        "client.create", from_phone(ops.handle_client_create), label=_("New client"), entity="client", creates=True
    )
    register_op("client.update", from_phone(ops.handle_client_update), label=_("Client edit"), entity="client")
    register_op("client.archive", from_phone(ops.handle_client_archive), label=_("Client deletion"), entity="client")
