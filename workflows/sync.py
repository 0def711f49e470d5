"""The workflows app in the sync contract: `workflow`, `product`, `visit` and `note` records, and their ops."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import IntegrityError, connection
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from clients.selectors import client_seers, clients_visible_to
from clients.sync import client_of_op
from fieldsales.accounts import seen_by_every_rep
from fieldsales.geo import Position
from fieldsales.sync.lean import lean, moment
from fieldsales.sync.push import CLIENT_INCOMPLETE, INVALID, TOO_FAR, Op, Outcome, Rejected, missing, parse_moment
from fieldsales.sync.registry import EntityType, register_op, register_type
from workflows.models import ActivityKind, ActivitySubmission, Note, OrderLine, Product, Visit, Workflow
from workflows.services import (
    ClientIncomplete,
    TooFar,
    activity_submit,
    note_create,
    visit_check_in,
    visit_end,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

WORKFLOW_RANK = 20
PRODUCT_RANK = 30
VISIT_RANK = 50
NOTE_RANK = 60
# How far back a device holds its clients' visits and notes (the client card's History and Notes).
HISTORY_DAYS = 90

NOT_A_NUMBER = _("Enter a number.")
BAD_COORDINATES = _("Enter a latitude between -90 and 90 and a longitude between -180 and 180.")
UNKNOWN_WORKFLOW = _("Unknown workflow.")
UNKNOWN_ACTIVITY = _("Unknown activity.")
UNKNOWN_VISIT = _("This visit does not exist or is not yours.")
NOT_A_TIME = _("Enter a time in ISO 8601 with a time zone.")


def _history_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=HISTORY_DAYS)


def _everyone_if(model: Any, ids: list[str]) -> dict[str, set[int]]:
    """Every active rep sees the active ones."""
    return seen_by_every_rep(
        model.objects.filter(pk__in=[int(i) for i in ids], active=True).values_list("pk", flat=True)
    )


# Records -------------------------------------------------------------------------------------


def serialize_workflows(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    records = {}
    for workflow in Workflow.objects.filter(pk__in=[int(i) for i in ids]).prefetch_related(
        "activities", "client_lists"
    ):
        records[str(workflow.pk)] = {
            "version": workflow.version,
            "data": {
                "name": workflow.name,
                "name_en": workflow.name_en,
                "name_fr": workflow.name_fr,
                "order": workflow.order,
                "lists": [client_list.pk for client_list in workflow.client_lists.all()],
                "activities": [
                    {
                        "id": activity.pk,
                        "name": activity.name,
                        "name_en": activity.name_en,
                        "name_fr": activity.name_fr,
                        "kind": activity.kind,
                        "requires_visit": activity.requires_visit,
                        "requires_geo_checkin": activity.requires_geo_checkin,
                        "radius_m": activity.radius_m,
                        "fields": activity.fields,
                    }
                    for activity in workflow.activities.all()
                ],
            },
        }
    return records


def serialize_workflows_v2(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Version 2: without the names in the active language (`name_en` and `name_fr` are there), lean."""
    records = serialize_workflows(rep, ids)
    for record in records.values():
        data = {key: value for key, value in record["data"].items() if key != "name"}
        data["activities"] = [
            lean({key: value for key, value in activity.items() if key != "name"}) for activity in data["activities"]
        ]
        record["data"] = lean(data)
    return records


def serialize_products(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = Product.objects.filter(pk__in=[int(i) for i in ids]).values(
        "pk", "sku", "name", "unit_price", "active", "version"
    )
    return {
        str(row["pk"]): {
            "version": row["version"],
            "data": {
                "sku": row["sku"],
                "name": row["name"],
                "unit_price": str(row["unit_price"]),
                "active": row["active"],
            },
        }
        for row in rows
    }


def visit_record(visit: Visit) -> dict[str, Any]:
    return {
        "version": visit.version,
        "data": {
            "client": str(visit.client_id),
            "workflow": visit.workflow_id,
            "rep": visit.rep.get_full_name() or visit.rep.get_username(),
            "rep_id": visit.rep_id,
            "checked_in_at": visit.checked_in_at.isoformat(),
            "ended_at": visit.ended_at.isoformat() if visit.ended_at else None,
            "distance_m": visit.distance_m,
            "submissions": [
                {
                    "id": str(submission.pk),
                    "activity": submission.activity_id,
                    "activity_name": submission.activity.name,
                    "values": submission.values,
                    "order_total": str(submission.order_total),
                    "submitted_at": submission.submitted_at.isoformat(),
                    "lines": [
                        {
                            "product": line.product_id,
                            "quantity": str(line.quantity),
                            "unit_price": str(line.unit_price),
                            "value": str(line.value),
                        }
                        for line in submission.lines.all()
                    ],
                }
                for submission in visit.submissions.all()
            ],
        },
    }


def visits_with_history() -> Any:
    return Visit.objects.select_related("rep").prefetch_related(
        Prefetch(
            "submissions",
            queryset=ActivitySubmission.objects.select_related("activity").prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
            ),
        )
    )


def serialize_visits(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {str(visit.pk): visit_record(visit) for visit in visits_with_history().filter(pk__in=ids)}


def visit_record_v2(visit: Visit) -> dict[str, Any]:
    """Version 2: what the client card's History shows. The form values, order lines and distance, and visits
    older than the phone keeps, come from `GET /api/clients/<id>/history/` (visit_record) when the rep opens them."""
    return {
        "version": visit.version,
        "data": lean(
            {
                "client": str(visit.client_id),
                "workflow": visit.workflow_id,
                "rep": visit.rep.get_full_name() or visit.rep.get_username(),
                "rep_id": visit.rep_id,
                "checked_in_at": moment(visit.checked_in_at),
                "ended_at": moment(visit.ended_at),
                "submissions": [
                    lean(
                        {
                            "id": str(submission.pk),
                            "activity": submission.activity_id,
                            "order_total": str(submission.order_total)
                            if submission.activity.kind == ActivityKind.ORDER
                            else None,
                        }
                    )
                    for submission in visit.submissions.all()
                ],
            }
        ),
    }


def serialize_visits_v2(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    submissions = ActivitySubmission.objects.select_related("activity").only(
        "id", "visit_id", "activity_id", "order_total", "activity__kind"
    )
    visits = Visit.objects.select_related("rep").prefetch_related(Prefetch("submissions", queryset=submissions))
    return {str(visit.pk): visit_record_v2(visit) for visit in visits.filter(pk__in=ids)}


def note_record(row: dict[str, Any]) -> dict[str, Any]:
    author = f"{row['author__first_name'] or ''} {row['author__last_name'] or ''}".strip() or row["author__username"]
    return {
        "version": row["version"],
        "data": {
            "client": str(row["client_id"]),
            "visit": str(row["visit_id"]) if row["visit_id"] else None,
            "text": row["text"],
            "author": author,
            "created_at": row["created_at"].isoformat(),
        },
    }


NOTE_COLUMNS = (
    "id",
    "client_id",
    "visit_id",
    "text",
    "created_at",
    "version",
    "author__username",
    "author__first_name",
    "author__last_name",
)


def serialize_notes(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {str(row["id"]): note_record(row) for row in Note.objects.filter(pk__in=ids).values(*NOTE_COLUMNS)}


def serialize_notes_v2(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Version 2: lean, written to the second."""
    records = {}
    for row in Note.objects.filter(pk__in=ids).values(*NOTE_COLUMNS):
        record = note_record(row)
        records[str(row["id"])] = {
            "version": record["version"],
            "data": lean({**record["data"], "created_at": moment(row["created_at"])}),
        }
    return records


def _by_client_seers(model: Any, time_field: str, ids: list[str]) -> dict[str, set[int]]:
    rows = list(
        model.objects.filter(pk__in=ids, **{f"{time_field}__gte": _history_start()}).values_list("pk", "client_id")
    )
    seers = client_seers({str(client_id) for _pk, client_id in rows})
    return {str(pk): seers.get(str(client_id), set()) for pk, client_id in rows}


def _recent_of_clients(model: Any, time_field: str, client_ids: list[str]) -> Any:
    return model.objects.filter(client_id__in=client_ids, **{f"{time_field}__gte": _history_start()}).values_list(
        "pk", flat=True
    )


def _recent_of_rep(model: Any, time_field: str, rep: User) -> Any:
    return model.objects.filter(
        client__in=clients_visible_to(rep), **{f"{time_field}__gte": _history_start()}
    ).values_list("pk", flat=True)


# Ops -----------------------------------------------------------------------------------------


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

    In SQL: every op on a visit asks it, and the ORM takes longer to build the query than the database to answer.
    """
    pk = _uuid(visit_id)
    if pk is None:
        raise missing(op, visit_id)
    qn = connection.ops.quote_name
    sql = (
        f"SELECT visit.*, client.lat AS client_lat, client.lng AS client_lng FROM {qn(Visit._meta.db_table)} visit "  # noqa: S608 (names from the models, values as parameters)
        f"JOIN {qn(Client._meta.db_table)} client ON client.id = visit.client_id "
        "WHERE visit.id = %s AND visit.rep_id = %s"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE OF visit"
    key = Visit._meta.pk.get_db_prep_value(pk, connection)  # type: ignore[union-attr]
    visit = next(iter(Visit.objects.raw(sql, [key, op.user.pk])), None)
    if visit is None:
        raise missing(op, visit_id)
    extra = vars(visit)
    position = [extra.pop("client_lat"), extra.pop("client_lng")]
    visit.client = Client.from_db(visit._state.db, ["id", "lat", "lng"], [visit.client_id, *position])
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
    if isinstance(error, ClientIncomplete):
        return Rejected(CLIENT_INCOMPLETE, error.message_dict)
    return Rejected.from_validation(error)


def handle_visit_checkin(op: Op) -> Outcome:
    client = client_of_op(op, op.data.get("client"), with_list=True)
    workflow = _workflow(op, _int(op.data.get("workflow")))
    if workflow is None:
        raise Rejected(INVALID, {"workflow": [UNKNOWN_WORKFLOW]})
    position, at = _position(op.data), _time(op)
    try:
        visit = _created(
            op,
            Visit,
            _("A visit with this identifier already exists."),
            lambda: visit_check_in(
                rep=op.user, visit_id=op.entity_id, client=client, workflow=workflow, position=position, at=at
            ),
        )
    except ValidationError as error:
        raise _rejected_from(error) from None
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
    client = client_of_op(op, op.data.get("client"))
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


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None


def register() -> None:
    register_type(
        EntityType(
            name="workflow",
            rank=WORKFLOW_RANK,
            serialize=serialize_workflows,
            serialize_v2=serialize_workflows_v2,
            seers=lambda ids: _everyone_if(Workflow, ids),
            visible=lambda rep: Workflow.objects.filter(active=True).values_list("pk", flat=True),
        )
    )
    register_type(
        EntityType(
            name="product",
            rank=PRODUCT_RANK,
            serialize=serialize_products,
            seers=lambda ids: _everyone_if(Product, ids),
            visible=lambda rep: Product.objects.filter(active=True).values_list("pk", flat=True),
        )
    )
    register_type(
        EntityType(
            name="visit",
            rank=VISIT_RANK,
            serialize=serialize_visits,
            serialize_v2=serialize_visits_v2,
            seers=lambda ids: _by_client_seers(Visit, "checked_in_at", ids),
            visible=lambda rep: _recent_of_rep(Visit, "checked_in_at", rep),
            parent="client",
            children_of=lambda client_ids: _recent_of_clients(Visit, "checked_in_at", client_ids),
        )
    )
    register_type(
        EntityType(
            name="note",
            rank=NOTE_RANK,
            serialize=serialize_notes,
            serialize_v2=serialize_notes_v2,
            seers=lambda ids: _by_client_seers(Note, "created_at", ids),
            visible=lambda rep: _recent_of_rep(Note, "created_at", rep),
            parent="client",
            children_of=lambda client_ids: _recent_of_clients(Note, "created_at", client_ids),
        )
    )
    register_op("visit.checkin", handle_visit_checkin, creates=True)
    register_op("activity.submit", handle_activity_submit, creates=True)
    register_op("visit.end", handle_visit_end)
    register_op("note.create", handle_note_create, creates=True)
