"""The workflows app in the sync contract: its record types, its op types and its own rejection codes.

Only registration, called once from `WorkflowsConfig.ready()`: the records are in workflows/records.py, the op
handlers in workflows/ops.py, the rules in workflows/services.py. The labels are what the app's sync alerts show
(static/js/lib/contract.js, written from here by `manage.py sync_contract`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fieldsales.sync.registry import register_code, register_op, register_rules, register_type
from workflows import ops, records


def register() -> None:
    for entity_type in records.ENTITY_TYPES:
        register_type(entity_type)
    for name, publish in records.RULES.items():
        register_rules(name, publish)
    register_op("visit.checkin", ops.handle_visit_checkin, label=_("Check-in"), entity="visit", creates=True)
    register_op("activity.submit", ops.handle_activity_submit, label=_("Activity"), entity="visit", creates=True)
    register_op("visit.end", ops.handle_visit_end, label=_("End of visit"), entity="visit")
    register_op("note.create", ops.handle_note_create, label=_("Note"), entity="note", creates=True)
    register_code(ops.TOO_FAR, _("You were too far from the client."))
