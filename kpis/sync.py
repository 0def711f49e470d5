"""The kpis app in the sync contract: its record types and its op type.

Only registration, called once from `KpisConfig.ready()`: the records are in kpis/records.py, the op handler in
kpis/ops.py, the rules in kpis/services.py.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fieldsales.sync.registry import register_op, register_type
from kpis import ops, records


def register() -> None:
    for entity_type in records.ENTITY_TYPES:
        register_type(entity_type)
    # A statement sent changes no record a device holds: its delivery stays on the server.
    register_op("statement.send", ops.handle_statement_send, label=_("Account statement"), entity=None, creates=True)
