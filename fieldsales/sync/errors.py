"""How the sync engine refuses an op: `Rejected`, its codes and the engine's own messages.

An op handler (`<app>/ops.py`) that cannot apply an op raises `Rejected(code, {field: [message]})`; the push
engine (push.py) undoes the op's writes and answers `rejected` with that code and those messages, in the rep's
language. The codes here are the engine's, registered by `register()` (from `FieldsalesConfig.ready()`); a code
that only one app's rule raises lives in that app and is registered there (`too_far` in workflows/sync.py). A
handler turns a service's ValidationError into a rejection with `Rejected.from_validation`.

Also here, for handlers and REST views alike: `missing` (the answer for a record the rep cannot reach) and the
readers of op values whose failure is a rejection (`uuid_or_none`, `parse_moment`). Import these from this module;
push.py is the engine and nothing outside fieldsales/sync imports it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from fieldsales.models import SyncOp
from fieldsales.sync.registry import CREATING_OPS, register_code

if TYPE_CHECKING:
    from fieldsales.sync.registry import Op

# The key of the messages that concern the op as a whole rather than one of its fields.
NON_FIELD = "non_field_errors"

INVALID = "invalid"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
OP_ID_REUSED = "op_id_reused"
DEPENDS_ON_REJECTED = "depends_on_rejected"
MISSING_BLOB = "missing_blob"

# What the app says of each code, above the messages of the answer (static/js/views/settings.js).
ENGINE_CODES = {
    INVALID: _("Some values were refused: correct them and send again."),
    FORBIDDEN: _("Your access does not allow this change any more."),
    NOT_FOUND: _("This record is no longer on your list."),
    OP_ID_REUSED: _("This change clashes with another one sent before."),
    DEPENDS_ON_REJECTED: _("It depends on a change that was refused."),
    MISSING_BLOB: _("Its photo never reached the server."),
}

NOT_FOUND_MESSAGE = _("This record does not exist or is not assigned to you.")
FORBIDDEN_MESSAGE = _("Your access rights on this list do not allow this change.")
OP_ID_REUSED_MESSAGE = _("This operation id was already used for a different change.")
DEPENDS_MESSAGE = _("This change depends on a record whose creation was rejected; fix that one first.")
UNKNOWN_TYPE = _("Unknown operation type.")
NOT_UUID = _("Enter a valid identifier (UUID).")
NOT_VERSION = _("Enter the version the change was based on (a whole number).")
NOT_MADE_AT = _("Enter the time the change was made (ISO 8601 with a time zone).")
NOT_OBJECT = _("Send the changed fields as an object.")
NOT_A_NUMBER = _("Enter a number.")
TOO_DEEP = _("This value is nested too deeply.")
BROKEN_TEXT = _("This text holds a broken character (half of an emoji, say); correct it and send it again.")


def register() -> None:
    for code, label in ENGINE_CODES.items():
        register_code(code, label)


class Rejected(Exception):
    """Nothing of the op was applied. `errors` maps fields to messages in the rep's language."""

    def __init__(self, code: str, errors: dict[str, list[Any]] | None = None, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.errors = {key: [str(message) for message in messages] for key, messages in (errors or {}).items()}
        self.extra = extra

    @classmethod
    def message(cls, code: str, message: Any, **extra: Any) -> Rejected:
        return cls(code, {NON_FIELD: [message]}, **extra)

    @classmethod
    def from_validation(cls, error: ValidationError) -> Rejected:
        if hasattr(error, "error_dict"):
            return cls(INVALID, {key: list(error.message_dict[key]) for key in error.message_dict})
        return cls(INVALID, {NON_FIELD: list(error.messages)})


def missing(op: Op, entity_id: Any = None) -> Rejected:
    """The answer for an op naming an entity the rep cannot reach (`entity_id`, or else the op's own):
    `depends_on_rejected` when the rep's op creating that entity was rejected and none applied since, else
    `not_found` (which never tells whether it exists)."""
    try:
        target = uuid.UUID(str(entity_id)) if entity_id is not None else op.entity_id
    except ValueError:
        return Rejected.message(NOT_FOUND, NOT_FOUND_MESSAGE)
    # The op itself is left out: sent again after a rejection, it must not depend on its own first answer.
    creations = SyncOp.objects.filter(entity_id=target, type__in=CREATING_OPS, user=op.user).exclude(op_id=op.op_id)
    statuses = set(creations.values_list("status", flat=True))
    if statuses == {SyncOp.Status.REJECTED}:
        return Rejected.message(DEPENDS_ON_REJECTED, DEPENDS_MESSAGE)
    return Rejected.message(NOT_FOUND, NOT_FOUND_MESSAGE)


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """`value` as a UUID, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def parse_moment(value: Any) -> dt.datetime | None:
    """An ISO 8601 moment with a time zone, or None for anything else (a date that does not exist, say)."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    try:
        # Stored in UTC: a moment at the edge of the calendar (year 1 east of Greenwich) has no UTC time.
        moment.astimezone(dt.UTC)
    except OverflowError:
        return None
    return moment
