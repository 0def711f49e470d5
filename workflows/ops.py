"""The op handlers of workflows in `POST /api/sync/push`: `visit.checkin`, `activity.submit`, `visit.end`,
`note.create`.

A handler reads the op (the rep's position, the moment, the visit, workflow and activity it names), calls one service
of workflows/services.py and turns its answer into an `Outcome`, or its ValidationError into a `Rejected`: the
geofence (`TooFar`) answers `too_far`, a code of this app's own, registered in workflows/sync.py. The rules
(geofence, order lines) are the services'. A client is reached through clients/selectors.py, as the rep sees it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from clients.selectors import client_seen_by
from fieldsales.db import waiting
from fieldsales.geo import Position
from fieldsales.sync.errors import INVALID, NOT_A_NUMBER, Rejected, missing, parse_moment, uuid_or_none
from fieldsales.sync.registry import Op, Outcome
from workflows.models import ActivitySubmission, Note, Visit, Workflow
from workflows.services import (
    CHECKINS_WINDOW,
    CheckInsSince,
    TooFar,
    activity_submit,
    note_create,
    visit_check_in,
    visit_end,
)

TOO_FAR = "too_far"

BAD_COORDINATES = _("Enter a latitude between -90 and 90 and a longitude between -180 and 180.")
UNKNOWN_WORKFLOW = _("Unknown workflow.")
UNKNOWN_ACTIVITY = _("Unknown activity.")
UNKNOWN_VISIT = _("This visit does not exist or is not yours.")
NOT_A_TIME = _("Enter a time in ISO 8601 with a time zone.")


def _client(op: Op, value: Any) -> Client:
    """The client the op names by `value`, if the rep sees it, with its list (read once per push)."""
    found = client_seen_by(user=op.user, client_id=value, memo=op.memo)
    if found is None:
        raise missing(op, value)
    return found[0]


def _position(data: dict[str, Any]) -> Position | None:
    """The rep's position, or None when the op gives none; each bad number is named by its own field."""
    if data.get("lat") is None and data.get("lng") is None:
        return None
    numbers: dict[str, float | None] = {"accuracy_m": None}
    errors: dict[str, list[Any]] = {}
    for key in ("lat", "lng", "accuracy_m"):
        value: Any = data.get(key)
        if key == "accuracy_m" and value is None:
            continue
        try:
            if isinstance(value, bool):
                raise ValueError
            numbers[key] = float(value)
        except (TypeError, ValueError, OverflowError):
            errors[key] = [NOT_A_NUMBER]
    for key, limit in (("lat", 90), ("lng", 180)):
        number = numbers.get(key)
        if key not in errors and not (number is not None and -limit <= number <= limit):
            errors[key] = [BAD_COORDINATES]
    accuracy = numbers["accuracy_m"]
    if "accuracy_m" not in errors and accuracy is not None and not 0 <= accuracy < math.inf:
        errors["accuracy_m"] = [MinValueValidator.message % {"limit_value": 0}]
    if errors:
        raise Rejected(INVALID, errors)
    return Position(numbers["lat"], numbers["lng"], accuracy)  # type: ignore[arg-type]


def _time(op: Op, key: str = "at") -> dt.datetime | None:
    value = op.data.get(key)
    if value is None:
        return op.made_at
    parsed = parse_moment(value)
    if parsed is None:
        raise Rejected(INVALID, {key: [NOT_A_TIME]})
    return parsed


def _own_visit(op: Op, visit_id: Any) -> Visit:
    """The rep's own visit, locked until the op commits: ops on one visit (an activity, its end) apply one after
    the other, each on the visit as the one before left it. Its client comes with its position (for a geo
    check); any other field of it is read when used.

    Read once per push (`memo["records"]`, with the visits the push checked in): the push holds the visit's row
    locked (or created it, unseen by others) until it commits, and the services keep the instance in step with what
    they write.

    In SQL: every op on a visit asks it, and the ORM takes longer to build the query than the database to answer.
    """
    pk = uuid_or_none(visit_id)
    if pk is None:
        raise missing(op, visit_id)
    visits = op.memo.setdefault("records", {}).setdefault("visits", {})
    if pk in visits:
        return visits[pk]
    # Checked in by this push, and not inserted yet (fieldsales.db.insert): it is the rep's own.
    pending = waiting(Visit, pk)
    if pending is not None and pending.rep_id == op.user.pk:
        visits[pk] = pending
        return pending
    qn = connection.ops.quote_name
    sql = (
        f"SELECT visit.*, client.lat AS client_lat, client.lng AS client_lng FROM {qn(Visit._meta.db_table)} visit "  # noqa: S608 (names from the models, values as parameters)
        f"JOIN {qn(Client._meta.db_table)} client ON client.id = visit.client_id "
        "WHERE visit.id = %s AND visit.rep_id = %s"
    )
    if connection.features.has_select_for_update:
        # As an UPDATE of the row locks it: its submissions may still be inserted by another transaction meanwhile.
        sql += " FOR NO KEY UPDATE OF visit"
    key = Visit._meta.pk.get_db_prep_value(pk, connection)  # type: ignore[union-attr]
    visit = next(iter(Visit.objects.raw(sql, [key, op.user.pk])), None)
    if visit is None:
        raise missing(op, visit_id)
    extra = vars(visit)
    position = [extra.pop("client_lat"), extra.pop("client_lng")]
    visit.client = Client.from_db(visit._state.db, ["id", "lat", "lng"], [visit.client_id, *position])
    visits[pk] = visit
    return visit


def _workflow(op: Op, workflow_id: int | None) -> Workflow | None:
    """The workflow with its activities and lists, read once per push (see `push.apply_ops`)."""
    if workflow_id is None:
        return None
    workflows = op.memo.setdefault("workflows", {})
    if workflow_id not in workflows:
        workflows[workflow_id] = (
            Workflow.objects.filter(pk=workflow_id).prefetch_related("activities", "client_lists").first()
        )
    return workflows[workflow_id]


def _created(op: Op, model: Any, message: Any, create: Callable[[], Any]) -> Any:
    """`create()`'s record, or the rejection of an op whose id a record of `model` already has. The database's
    key tells, rather than a query before every insert."""
    try:
        return create()
    except IntegrityError:
        if model.objects.filter(pk=op.entity_id).exists():
            raise Rejected(INVALID, {"id": [message]}) from None
        raise


def _rejected_from(error: ValidationError) -> Rejected:
    if isinstance(error, TooFar):
        return Rejected(TOO_FAR, error.message_dict)
    return Rejected.from_validation(error)


def handle_visit_checkin(op: Op) -> Outcome:
    client = _client(op, op.data.get("client"))
    workflow = _workflow(op, _int(op.data.get("workflow")))
    if workflow is None:
        raise Rejected(INVALID, {"workflow": [UNKNOWN_WORKFLOW]})
    position, at = _position(op.data), _time(op)
    at = at or timezone.now()
    records = op.memo.setdefault("records", {})
    # The rep's check-ins of the day before the push's first, read once for all of its check-ins.
    if "checkins" not in records:
        records["checkins"] = CheckInsSince(rep=op.user, since=at - CHECKINS_WINDOW)
    earlier = records["checkins"]
    try:
        visit = _created(
            op,
            Visit,
            _("A visit with this identifier already exists."),
            lambda: visit_check_in(
                rep=op.user,
                visit_id=op.entity_id,
                client=client,
                workflow=workflow,
                position=position,
                at=at,
                earlier=earlier,
            ),
        )
    except ValidationError as error:
        raise _rejected_from(error) from None
    records.setdefault("visits", {})[visit.pk] = visit
    return Outcome(version=visit.version)


def handle_activity_submit(op: Op) -> Outcome:
    visit = _own_visit(op, op.data.get("visit"))
    activity_id = _int(op.data.get("activity"))
    workflow = _workflow(op, visit.workflow_id)
    activities = workflow.activities.all() if workflow is not None else []
    activity = next((activity for activity in activities if activity.pk == activity_id), None)
    if activity is None:
        raise Rejected(INVALID, {"activity": [UNKNOWN_ACTIVITY]})
    values = op.data.get("values") or {}
    lines = op.data.get("lines") or []
    if not isinstance(values, dict) or not isinstance(lines, list):
        raise Rejected(INVALID, {"values": [_("Send values as an object and lines as a list.")]})
    at = _time(op)
    try:
        submission = _created(
            op,
            ActivitySubmission,
            _("A submission with this identifier already exists."),
            lambda: activity_submit(
                rep=op.user,
                submission_id=op.entity_id,
                visit=visit,
                activity=activity,
                values=values,
                lines=lines,
                at=at,
                catalog=op.memo.setdefault("products", {}),
            ),
        )
    except ValidationError as error:
        raise _rejected_from(error) from None
    return Outcome(version=submission.version)


def handle_visit_end(op: Op) -> Outcome:
    visit = _own_visit(op, op.entity_id)
    try:
        visit = visit_end(rep=op.user, visit=visit, at=_time(op))
    except ValidationError as error:
        raise _rejected_from(error) from None
    return Outcome(version=visit.version)


def handle_note_create(op: Op) -> Outcome:
    client = _client(op, op.data.get("client"))
    visit = _own_visit(op, op.data["visit"]) if op.data.get("visit") else None
    at = _time(op)
    try:
        note = _created(
            op,
            Note,
            _("A note with this identifier already exists."),
            lambda: note_create(
                author=op.user, note_id=op.entity_id, client=client, visit=visit, text=op.data.get("text"), at=at
            ),
        )
    except ValidationError as error:
        raise _rejected_from(error) from None
    return Outcome(version=note.version)


def _int(value: Any) -> int | None:
    try:
        return int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None
