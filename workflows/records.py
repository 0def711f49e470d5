"""What a `workflow`, `product`, `visit` and `note` record look like to the phone and to REST, and who sees them.

The pull serializes records with the functions of `ENTITY_TYPES`, in version 1 or 2 of the contract; the feed asks
their `seers` and `visible` who holds them. The REST endpoints (workflows/api/views.py) answer with the same records
(`visit_record`, `note_record`, `serialize_workflows`, `serialize_products`), flattened, so that the two cannot
drift apart. Who sees a visit or a note follows who sees its client (clients/selectors.py), for `HISTORY_DAYS`.
The op handlers are in workflows/ops.py, the registration in workflows/sync.py.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone

from clients.schema import AttributeSpec, AttributeType, attribute_rules, field_spec
from clients.selectors import client_seers, clients_visible_to
from fieldsales.accounts import seen_by_every_rep
from fieldsales.sync.lean import lean, moment
from fieldsales.sync.registry import EntityType
from workflows.models import ActivityKind, ActivitySubmission, Note, OrderLine, Product, Visit, VisitPlan, Workflow
from workflows.planning import PLAN_TYPE, plans_on_phones
from workflows.services import MONEY_PLACES, MONEY_ROUNDING

if TYPE_CHECKING:
    from django.contrib.auth.models import User

WORKFLOW_RANK = 20
PRODUCT_RANK = 30
VISIT_RANK = 50
NOTE_RANK = 60
PLAN_RANK = 70
# How far back a device holds its clients' visits and notes (the client card's History and Notes).
HISTORY_DAYS = 90


def _history_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=HISTORY_DAYS)


def _everyone_if(model: Any, ids: list[str]) -> dict[str, set[int]]:
    """Every active rep sees the active ones."""
    return seen_by_every_rep(
        model.objects.filter(pk__in=[int(i) for i in ids], active=True).values_list("pk", flat=True)
    )


def money_rules() -> dict[str, Any]:
    """How the server rounds money and what it is counted in: the app shows an order's lines and total with these."""
    return {
        "places": MONEY_PLACES,
        "rounding": MONEY_ROUNDING.removeprefix("ROUND_").lower(),  # "half_even", Python's decimal's mode
        "currency": settings.CURRENCY,
    }


# The pull's global rules that come from this app (fieldsales/sync/pull.py publishes them, workflows/sync.py
# registers).
RULES = {"money": money_rules}


def _with_rules(fields: Any) -> Any:
    """An activity's form fields, each with the rules its value is checked with (clients.schema.attribute_rules, a
    phone in the project's country: activity fields have no list), its bounds among them."""
    if not isinstance(fields, list):
        return fields
    return [
        {**item, "rules": attribute_rules(_field_spec(item))}
        if isinstance(item, dict) and item.get("type") in AttributeType.values
        else item
        for item in fields
    ]


def _field_spec(item: dict[str, Any]) -> AttributeSpec:
    try:
        return field_spec(item)
    except ValidationError:
        # Fields saved before the form builder checked them: the type's own rules, the server judges the rest.
        return AttributeSpec(key=str(item.get("key")), type=item["type"])


def fields_rules_signature() -> dict[str, Any]:
    """What an activity's field rules are made of: when this changes, devices get the workflows again."""
    return {kind.value: attribute_rules(AttributeSpec("x", kind.value)) for kind in AttributeType}


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
                        "fields": _with_rules(activity.fields),
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
                    "status": order_status(submission),
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


def order_status(submission: ActivitySubmission) -> str | None:
    """Where the submission's order stands (submitted, confirmed, delivered, cancelled); None if it is no order."""
    order = getattr(submission, "order", None)
    return order.status if order is not None else None


def visits_with_history() -> Any:
    return Visit.objects.select_related("rep").prefetch_related(
        Prefetch(
            "submissions",
            queryset=ActivitySubmission.objects.select_related("activity", "order").prefetch_related(
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
                            "status": order_status(submission),
                        }
                    )
                    for submission in visit.submissions.all()
                ],
            }
        ),
    }


def serialize_visits_v2(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    submissions = ActivitySubmission.objects.select_related("activity", "order").only(
        "id", "visit_id", "activity_id", "order_total", "activity__kind", "order__id", "order__status"
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


def serialize_plans(rep: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    """A plan as the phone holds it: its client, its workflow, and its days in the phone's window (ISO dates, moved
    days where they were moved to), from which Today shows the day's planned clients and the missed ones."""
    due = plans_on_phones(VisitPlan.objects.filter(pk__in=ids))
    read = VisitPlan.objects.filter(pk__in=[row.pk for row, _days in due]).values_list("pk", "workflow_id", "version")
    plans = {pk: (workflow_id, version) for pk, workflow_id, version in read}
    return {
        str(row.pk): {
            "version": plans[row.pk][1],
            "data": {
                "client": str(row.client_id),
                "workflow": plans[row.pk][0],
                "days": [day.isoformat() for day in days],
            },
        }
        for row, days in due
    }


def plan_seers(ids: list[str]) -> dict[str, set[int]]:
    """A plan is its rep's, while it falls on a day of the phone's window."""
    return {str(row.pk): {row.rep_id} for row, _days in plans_on_phones(VisitPlan.objects.filter(pk__in=ids))}


ENTITY_TYPES = (
    EntityType(
        name="workflow",
        rank=WORKFLOW_RANK,
        serialize=serialize_workflows,
        serialize_v2=serialize_workflows_v2,
        seers=lambda ids: _everyone_if(Workflow, ids),
        visible=lambda rep: Workflow.objects.filter(active=True).values_list("pk", flat=True),
        rules=fields_rules_signature,
    ),
    EntityType(
        name="product",
        rank=PRODUCT_RANK,
        serialize=serialize_products,
        seers=lambda ids: _everyone_if(Product, ids),
        visible=lambda rep: Product.objects.filter(active=True).values_list("pk", flat=True),
    ),
    EntityType(
        name="visit",
        rank=VISIT_RANK,
        serialize=serialize_visits,
        serialize_v2=serialize_visits_v2,
        seers=lambda ids: _by_client_seers(Visit, "checked_in_at", ids),
        visible=lambda rep: _recent_of_rep(Visit, "checked_in_at", rep),
        parent="client",
        children_of=lambda client_ids: _recent_of_clients(Visit, "checked_in_at", client_ids),
    ),
    EntityType(
        name="note",
        rank=NOTE_RANK,
        serialize=serialize_notes,
        serialize_v2=serialize_notes_v2,
        seers=lambda ids: _by_client_seers(Note, "created_at", ids),
        visible=lambda rep: _recent_of_rep(Note, "created_at", rep),
        parent="client",
        children_of=lambda client_ids: _recent_of_clients(Note, "created_at", client_ids),
    ),
    EntityType(
        name=PLAN_TYPE,
        rank=PLAN_RANK,
        serialize=serialize_plans,
        seers=plan_seers,
        visible=lambda rep: [row.pk for row, _days in plans_on_phones(VisitPlan.objects.filter(rep=rep))],
    ),
)
