"""Pushing visit ops (visit.checkin, activity.submit, visit.end, note.create): the geofence, required client
fields before a visit, forms and orders, and which visits a rep may act on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clients.models import AttributeDefinition, ListAccess
from clients.models import Client as ClientModel
from clients.schema import NOT_INTEGER, REQUIRED
from clients.services import NO_EDIT
from fieldsales.sync.errors import DEPENDS_MESSAGE, NOT_FOUND_MESSAGE
from tests.factories import ABIDJAN, ActivityFactory, ProductFactory, WorkflowFactory, make_client, make_pos_list
from tests.sync.conftest import new_id, op
from tests.sync.test_push import checkin_data, push_one
from workflows.models import Activity, ActivityKind, ActivitySubmission, Note, OrderLine, Visit
from workflows.ops import UNKNOWN_ACTIVITY, UNKNOWN_WORKFLOW
from workflows.services import (
    BAD_LINE,
    END_BEFORE_START,
    NO_CLIENT_POSITION,
    NO_POSITION,
    NOTE_VISIT_ELSEWHERE,
    ORDER_NEEDS_LINES,
    ORDER_TOO_LARGE,
    TOO_FAR_MESSAGE,
    VISIT_ENDED,
    WORKFLOW_INACTIVE,
    WORKFLOW_NOT_FOR_LIST,
)

MADE_AT = dt.datetime(2026, 11, 22, 9, 14, 3, tzinfo=dt.UTC)  # conftest.op's default made_at


def non_field(message: Any) -> dict[str, list[str]]:
    return {"non_field_errors": [str(message)]}


@pytest.fixture
def client(rep1, pos_list_editable) -> ClientModel:
    """Awa's client, at ABIDJAN, with every required field filled."""
    return make_client(pos_list_editable, user=rep1, reps=(rep1,))


@pytest.fixture
def workflow(visit_workflow) -> Any:
    return visit_workflow["workflow"]


@pytest.fixture
def visit(device1, client, workflow) -> Visit:
    """An open visit of Awa's at her client, checked in through a push."""
    checkin = op("visit.checkin", data=checkin_data(client, workflow))
    assert push_one(device1, checkin)["status"] == "applied"
    return Visit.objects.get(pk=checkin["entity_id"])


@pytest.fixture
def koffis_visit(rep2, pos_list_editable, workflow) -> Visit:
    from fieldsales.geo import Position
    from workflows.services import visit_check_in

    koffis_client = make_client(pos_list_editable, user=rep2, reps=(rep2,), name="Chez Koffi")
    return visit_check_in(
        rep=rep2, visit_id=new_id(), client=koffis_client, workflow=workflow, position=Position(*ABIDJAN, 5.0)
    )


# visit.checkin --------------------------------------------------------------------------------------


def test_a_checkin_within_the_radius_starts_the_visit_with_its_position_distance_and_time(
    device1, rep1, client, workflow
):
    checkin = op(
        "visit.checkin", data=checkin_data(client, workflow, metres=20, accuracy_m=10, at="2026-11-22T08:05:00+00:00")
    )

    result = push_one(device1, checkin)

    assert (result["status"], result["entity_id"], result["version"]) == ("applied", checkin["entity_id"], 1)
    visit = Visit.objects.get(pk=checkin["entity_id"])
    assert (visit.rep, visit.client, visit.workflow, visit.ended_at) == (rep1, client, workflow, None)
    assert (visit.checkin_lat, visit.checkin_lng) == (checkin["data"]["lat"], checkin["data"]["lng"])
    assert visit.checkin_accuracy_m == 10
    assert visit.distance_m == pytest.approx(20, abs=0.5)
    assert visit.checked_in_at == dt.datetime(2026, 11, 22, 8, 5, tzinfo=dt.UTC)
    device1.sync()
    assert device1.store[("visit", checkin["entity_id"])]["data"]["checked_in_at"] == "2026-11-22T08:05:00+00:00"


def test_a_checkin_without_at_is_dated_by_made_at_not_by_its_arrival(device1, client, workflow):
    checkin = op("visit.checkin", data=checkin_data(client, workflow), made_at="2026-11-21T16:45:00+01:00")
    push_one(device1, checkin)
    assert Visit.objects.get(pk=checkin["entity_id"]).checked_in_at == dt.datetime(2026, 11, 21, 15, 45, tzinfo=dt.UTC)


def test_a_checkin_with_an_at_that_is_not_a_moment_is_rejected_invalid(device1, client, workflow):
    result = push_one(device1, op("visit.checkin", data=checkin_data(client, workflow, at="2026-11-31T08:00:00Z")))
    assert (result["code"], list(result["errors"])) == ("invalid", ["at"])
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(
    ("metres", "accuracy_m", "status"),
    [
        (20, 10, "applied"),
        (95, 0, "applied"),
        (140, 45, "applied"),  # 140 m less the 45 m the phone may be off is within 100 m
        (150, 45, "rejected"),
        (140, 500, "applied"),  # the credit is capped at 50 m: 140 - 50 = 90 m
        (160, 500, "rejected"),  # 160 - 50 = 110 m: a vague fix does not let a rep check in from afar
        (300, 10, "rejected"),
    ],
)
def test_the_geofence_credits_the_phones_accuracy_up_to_50_m(device1, client, workflow, metres, accuracy_m, status):
    checkin = op("visit.checkin", data=checkin_data(client, workflow, metres=metres, accuracy_m=accuracy_m))
    result = push_one(device1, checkin)
    assert result["status"] == status
    assert Visit.objects.filter(pk=checkin["entity_id"]).exists() == (status == "applied")


def test_a_checkin_300_m_away_is_rejected_too_far_with_the_distance(device1, client, workflow):
    result = push_one(device1, op("visit.checkin", data=checkin_data(client, workflow, metres=300, accuracy_m=10)))
    assert (result["status"], result["code"]) == ("rejected", "too_far")
    assert result["errors"] == {"distance_m": [str(TOO_FAR_MESSAGE) % {"distance": 300, "radius": 100}]}
    assert Visit.objects.count() == 0


def test_a_geo_checkin_needs_the_reps_position_and_the_clients(device1, rep1, pos_list_editable, client, workflow):
    no_gps_client = make_client(pos_list_editable, user=rep1, reps=(rep1,), lat=None, lng=None, accuracy_m=None)
    without_position, at_client_without_gps = device1.push(
        op("visit.checkin", data={"client": str(client.pk), "workflow": workflow.pk}),
        op("visit.checkin", data=checkin_data(no_gps_client, workflow)),
    )
    assert (without_position["code"], without_position["errors"]) == ("too_far", {"lat": [str(NO_POSITION)]})
    assert (at_client_without_gps["code"], at_client_without_gps["errors"]) == (
        "too_far",
        {"client": [str(NO_CLIENT_POSITION)]},
    )
    assert Visit.objects.count() == 0


def test_a_workflow_without_geo_activity_accepts_a_checkin_anywhere(device1, client):
    workflow = WorkflowFactory()
    ActivityFactory(workflow=workflow, kind=ActivityKind.FORM, requires_visit=True, requires_geo_checkin=False)
    far, nowhere = device1.push(
        op("visit.checkin", data=checkin_data(client, workflow, metres=5000)),
        op("visit.checkin", data={"client": str(client.pk), "workflow": workflow.pk}),
    )
    assert (far["status"], nowhere["status"]) == ("applied", "applied")
    assert Visit.objects.get(pk=far["entity_id"]).distance_m == pytest.approx(5000, abs=1)
    assert Visit.objects.get(pk=nowhere["entity_id"]).distance_m is None


def test_a_checkin_on_an_inactive_or_unknown_workflow_is_rejected_invalid(device1, client):
    inactive = WorkflowFactory(active=False)
    on_inactive, on_unknown = device1.push(
        op("visit.checkin", data=checkin_data(client, inactive)),
        op("visit.checkin", data={**checkin_data(client, inactive), "workflow": 10**6}),
    )
    assert (on_inactive["code"], on_inactive["errors"]) == ("invalid", {"workflow": [str(WORKFLOW_INACTIVE)]})
    assert (on_unknown["code"], on_unknown["errors"]) == ("invalid", {"workflow": [str(UNKNOWN_WORKFLOW)]})
    assert Visit.objects.count() == 0


def test_a_checkin_on_a_workflow_meant_for_other_lists_is_rejected_invalid(
    device1, pos_list_editable, client, workflow
):
    workflow.client_lists.add(make_pos_list("Grossistes"))
    checkin = op("visit.checkin", data=checkin_data(client, workflow))

    result = push_one(device1, checkin)

    assert (result["code"], result["errors"]) == ("invalid", {"workflow": [str(WORKFLOW_NOT_FOR_LIST)]})
    workflow.client_lists.add(pos_list_editable)
    assert push_one(device1, checkin)["status"] == "applied"


def test_a_checkin_at_another_reps_client_or_a_made_up_one_is_not_found_alike(
    device1, rep2, pos_list_editable, workflow
):
    koffis_client = make_client(pos_list_editable, user=rep2, reps=(rep2,), name="Chez Koffi")
    at_koffis, at_nowhere, without_client = device1.push(
        op("visit.checkin", data=checkin_data(koffis_client, workflow)),
        op("visit.checkin", data={**checkin_data(koffis_client, workflow), "client": new_id()}),
        op("visit.checkin", data={**checkin_data(koffis_client, workflow), "client": None}),
    )
    for result in (at_koffis, at_nowhere, without_client):
        assert (result["status"], result["code"], result["errors"]) == (
            "rejected",
            "not_found",
            non_field(NOT_FOUND_MESSAGE),
        )
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("reference", ["Chez Awa", {"id": 1}, ["x"], 5, True, ""])
def test_a_checkin_or_a_note_naming_its_client_or_visit_by_something_that_is_no_id_is_not_found(
    device1, client, workflow, reference
):
    results = device1.push(
        op("visit.checkin", data={**checkin_data(client, workflow), "client": reference}),
        op("note.create", data={"client": reference, "text": "Vu."}),
        op("note.create", data={"client": str(client.pk), "visit": reference, "text": "Vu."}),
        op("activity.submit", data={"visit": reference, "activity": 1, "values": {}}),
    )
    expected = [("rejected", "not_found")] * 4
    if reference == "":
        expected[2] = ("applied", None)  # an empty visit is no visit: a note on the client alone
    assert [(result["status"], result["code"]) for result in results] == expected


# Required client fields before a visit --------------------------------------------------------------


def make_required(client_list: Any, key: str) -> None:
    """The back office makes an attribute required after clients were made without it."""
    AttributeDefinition.objects.filter(client_list=client_list, key=key).update(required=True)


def test_a_checkin_at_a_client_missing_fields_made_required_is_applied_the_visit_is_never_lost(
    device1, pos_list_editable, client, workflow
):
    # The fields became required while the rep was offline: the phone could not ask for them before the check-in.
    make_required(pos_list_editable, "surface_m2")
    make_required(pos_list_editable, "frigo")

    result = push_one(device1, op("visit.checkin", data=checkin_data(client, workflow)))

    assert (result["status"], result["code"]) == ("applied", None)
    assert Visit.objects.filter(client=client).count() == 1


def test_missing_fields_filled_after_the_checkin_are_applied_too(device1, pos_list_editable, client, workflow):
    make_required(pos_list_editable, "surface_m2")
    checkin = op("visit.checkin", data=checkin_data(client, workflow))
    fill = op("client.update", str(client.pk), {"attributes": {"surface_m2": 25}}, base_version=1)

    checked_in, filled = device1.push(checkin, fill)

    assert (checked_in["status"], filled["status"]) == ("applied", "applied")
    assert ClientModel.objects.get(pk=client.pk).attributes["surface_m2"] == 25


def test_a_workflow_whose_activities_need_no_visit_ignores_missing_client_fields(device1, pos_list_editable, client):
    make_required(pos_list_editable, "surface_m2")
    workflow = WorkflowFactory()
    ActivityFactory(workflow=workflow, kind=ActivityKind.FORM, requires_visit=False)
    assert push_one(device1, op("visit.checkin", data=checkin_data(client, workflow)))["status"] == "applied"


@pytest.fixture
def read_only_client(rep1, reps_group) -> ClientModel:
    """A client of Awa's on a list she may not edit, made before `surface_m2` and `frigo` became required."""
    read_only = make_pos_list("Grossistes")
    ListAccess.objects.create(client_list=read_only, group=reps_group)
    client = make_client(read_only, reps=(rep1,))
    make_required(read_only, "surface_m2")
    make_required(read_only, "frigo")
    return client


def test_on_a_read_only_list_the_rep_may_fill_exactly_the_missing_required_fields_then_check_in(
    device1, read_only_client, workflow
):
    client = read_only_client
    fill = op("client.update", str(client.pk), {"attributes": {"surface_m2": 25, "frigo": True}}, base_version=1)
    checkin = op("visit.checkin", data=checkin_data(client, workflow))

    filled, checked_in = device1.push(fill, checkin)

    assert (filled["status"], filled["version"], checked_in["status"]) == ("applied", 2, "applied")
    assert ClientModel.objects.get(pk=client.pk).attributes == {
        "quartier": "Cocody",
        "categorie": "Boutique",
        "surface_m2": 25,
        "frigo": True,
    }


def test_filling_one_missing_field_at_a_time_on_a_read_only_list_is_allowed(device1, read_only_client):
    client = read_only_client
    one, other = device1.push(
        op("client.update", str(client.pk), {"attributes": {"surface_m2": 25}}, base_version=1),
        op("client.update", str(client.pk), {"attributes": {"frigo": "non"}}, base_version=2),
    )
    assert (one["status"], other["status"]) == ("applied", "applied")
    assert ClientModel.objects.get(pk=client.pk).attributes["frigo"] is False


@pytest.mark.parametrize(
    "data",
    [
        {"name": "Renommé"},
        {"attributes": {"quartier": "Plateau"}},
        {"attributes": {"surface_m2": 25, "quartier": "Plateau"}},
        {"phone": "+225 01 01 00 00 00", "attributes": {"surface_m2": 25, "frigo": True}},
    ],
    ids=["a-core-field", "a-filled-attribute", "missing-plus-filled", "all-missing-plus-a-core-field"],
)
def test_on_a_read_only_list_changing_anything_else_is_forbidden_and_applies_nothing(device1, read_only_client, data):
    client = read_only_client
    result = push_one(device1, op("client.update", str(client.pk), data, base_version=1))
    assert (result["status"], result["code"], result["errors"]) == ("rejected", "forbidden", non_field(NO_EDIT))
    after = ClientModel.objects.get(pk=client.pk)
    assert (after.version, after.name, after.attributes) == (1, client.name, client.attributes)


def test_on_a_read_only_list_a_field_once_filled_cannot_be_changed_again(device1, read_only_client):
    client = read_only_client
    first, second = device1.push(
        op("client.update", str(client.pk), {"attributes": {"surface_m2": 25}}, base_version=1),
        op("client.update", str(client.pk), {"attributes": {"surface_m2": 30}}, base_version=2),
    )
    assert (first["status"], second["code"]) == ("applied", "forbidden")
    assert ClientModel.objects.get(pk=client.pk).attributes["surface_m2"] == 25


def test_on_a_read_only_list_a_bad_value_for_a_missing_field_is_invalid_not_forbidden(device1, read_only_client):
    client = read_only_client
    result = push_one(
        device1, op("client.update", str(client.pk), {"attributes": {"surface_m2": "vaste"}}, base_version=1)
    )
    assert (result["code"], result["errors"]) == ("invalid", {"surface_m2": [str(NOT_INTEGER)]})


# activity.submit ------------------------------------------------------------------------------------


def test_a_form_is_stored_with_its_values_checked_against_the_activitys_fields(device1, visit, visit_workflow):
    submit = op(
        "activity.submit",
        data={"visit": str(visit.pk), "activity": visit_workflow["form"].pk, "values": {"part_rayon": "35"}},
    )

    result = push_one(device1, submit)

    assert (result["status"], result["entity_id"], result["version"]) == ("applied", submit["entity_id"], 1)
    submission = ActivitySubmission.objects.get(pk=submit["entity_id"])
    assert (submission.visit, submission.activity, submission.values) == (
        visit,
        visit_workflow["form"],
        {"part_rayon": 35},
    )
    assert (submission.order_total, submission.submitted_at, submission.lines.count()) == (Decimal("0"), MADE_AT, 0)
    assert Visit.objects.get(pk=visit.pk).version == visit.version + 1


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"part_rayon": "beaucoup"}, {"part_rayon": [str(NOT_INTEGER)]}),
        ({}, {"part_rayon": [str(REQUIRED)]}),
        ({"part_rayon": ""}, {"part_rayon": [str(REQUIRED)]}),
    ],
)
def test_a_form_with_a_bad_or_missing_value_is_rejected_invalid_per_field(
    device1, visit, visit_workflow, values, errors
):
    submit = op(
        "activity.submit", data={"visit": str(visit.pk), "activity": visit_workflow["form"].pk, "values": values}
    )
    result = push_one(device1, submit)
    assert (result["status"], result["code"], result["errors"]) == ("rejected", "invalid", errors)
    assert ActivitySubmission.objects.count() == 0


def test_an_order_stores_its_lines_valued_quantity_times_unit_price_and_their_total(device1, visit, visit_workflow):
    products = visit_workflow["products"]
    submit = op(
        "activity.submit",
        data={
            "visit": str(visit.pk),
            "activity": visit_workflow["order"].pk,
            "values": {},
            "lines": [
                {"product": products[0].pk, "quantity": 3, "unit_price": "1250"},
                {"product": str(products[1].pk), "quantity": "2.5", "unit_price": 199.99},
                {"product": products[2].pk, "quantity": "0.125", "unit_price": "80.10"},
            ],
        },
    )

    result = push_one(device1, submit)

    assert result["status"] == "applied"
    submission = ActivitySubmission.objects.get(pk=submit["entity_id"])
    lines = list(
        OrderLine.objects.filter(submission=submission)
        .order_by("id")
        .values_list("product", "quantity", "unit_price", "value")
    )
    assert lines == [
        (products[0].pk, Decimal("3"), Decimal("1250.00"), Decimal("3750.00")),
        (products[1].pk, Decimal("2.5"), Decimal("199.99"), Decimal("499.98")),
        (products[2].pk, Decimal("0.125"), Decimal("80.10"), Decimal("10.01")),
    ]
    assert submission.order_total == Decimal("4259.99") == sum(line[3] for line in lines)
    device1.sync()
    pulled = device1.store[("visit", str(visit.pk))]["data"]["submissions"]
    assert [submitted["order_total"] for submitted in pulled] == ["4259.99"]


def test_an_order_line_without_a_unit_price_takes_the_products_price(device1, visit, visit_workflow):
    product = visit_workflow["products"][0]
    submit = op(
        "activity.submit",
        data={
            "visit": str(visit.pk),
            "activity": visit_workflow["order"].pk,
            "lines": [{"product": product.pk, "quantity": 2}],
        },
    )
    push_one(device1, submit)
    assert ActivitySubmission.objects.get(pk=submit["entity_id"]).order_total == Decimal("3000.00")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], ORDER_NEEDS_LINES),
        ([{"product": "P", "quantity": 0}], BAD_LINE),
        ([{"product": "P", "quantity": -1}], BAD_LINE),
        ([{"product": "P", "quantity": "1.0001"}], BAD_LINE),
        ([{"product": "P", "quantity": "1e30"}], BAD_LINE),
        ([{"product": "P", "quantity": 1, "unit_price": "-5"}], BAD_LINE),
        ([{"product": "P", "quantity": 1, "unit_price": "NaN"}], BAD_LINE),
        ([{"product": "P", "quantity": "999999999", "unit_price": "9999999999"}], ORDER_TOO_LARGE),
        ([{"product": "P", "quantity": 1}, "deux cartons"], BAD_LINE),
    ],
)
def test_an_order_with_bad_lines_is_rejected_invalid_and_stores_nothing(device1, visit, visit_workflow, lines, message):
    product = visit_workflow["products"][0].pk
    lines = [{**line, "product": product} if isinstance(line, dict) else line for line in lines]
    submit = op(
        "activity.submit", data={"visit": str(visit.pk), "activity": visit_workflow["order"].pk, "lines": lines}
    )

    result = push_one(device1, submit)

    assert (result["code"], result["errors"]) == ("invalid", {"lines": [str(message)]})
    assert ActivitySubmission.objects.count() == OrderLine.objects.count() == 0


@pytest.mark.parametrize("product", ["inactive", 10**6, "²", 2**70])
def test_an_order_of_an_unknown_or_inactive_product_is_rejected_invalid(device1, visit, visit_workflow, product):
    if product == "inactive":
        product = ProductFactory(active=False).pk
    submit = op(
        "activity.submit",
        data={
            "visit": str(visit.pk),
            "activity": visit_workflow["order"].pk,
            "lines": [{"product": product, "quantity": 1}],
        },
    )
    result = push_one(device1, submit)
    assert (result["code"], list(result["errors"])) == ("invalid", ["lines"])
    assert OrderLine.objects.count() == 0


def test_an_activity_of_another_workflow_is_rejected_invalid(device1, visit):
    stranger = ActivityFactory(kind=ActivityKind.FORM)
    submit = op("activity.submit", data={"visit": str(visit.pk), "activity": stranger.pk, "values": {}})
    result = push_one(device1, submit)
    assert (result["code"], result["errors"]) == ("invalid", {"activity": [str(UNKNOWN_ACTIVITY)]})


def test_an_activity_on_another_reps_visit_or_a_made_up_one_is_not_found(device1, koffis_visit, visit_workflow):
    activity = visit_workflow["form"].pk
    on_koffis, on_nowhere = device1.push(
        op("activity.submit", data={"visit": str(koffis_visit.pk), "activity": activity, "values": {"part_rayon": 1}}),
        op("activity.submit", data={"visit": new_id(), "activity": activity, "values": {"part_rayon": 1}}),
    )
    assert on_koffis["code"] == on_nowhere["code"] == "not_found"
    assert on_koffis["errors"] == on_nowhere["errors"] == non_field(NOT_FOUND_MESSAGE)
    assert ActivitySubmission.objects.count() == 0


def test_an_activity_on_an_ended_visit_is_rejected_invalid(device1, visit, visit_workflow):
    end = op("visit.end", str(visit.pk), {"at": "2026-11-22T10:00:00+00:00"})
    submit = op(
        "activity.submit",
        data={"visit": str(visit.pk), "activity": visit_workflow["form"].pk, "values": {"part_rayon": 3}},
    )

    ended, submitted = device1.push(end, submit)

    assert ended["status"] == "applied"
    assert (submitted["code"], submitted["errors"]) == ("invalid", {"visit": [str(VISIT_ENDED)]})
    assert ActivitySubmission.objects.count() == 0


def test_each_activity_and_the_end_of_a_visit_give_the_visit_a_new_version(device1, visit, visit_workflow):
    form = visit_workflow["form"].pk
    results = device1.push(
        op("activity.submit", data={"visit": str(visit.pk), "activity": form, "values": {"part_rayon": 1}}),
        op("activity.submit", data={"visit": str(visit.pk), "activity": form, "values": {"part_rayon": 2}}),
        op("visit.end", str(visit.pk)),
    )
    assert [result["status"] for result in results] == ["applied"] * 3
    assert results[2]["version"] == Visit.objects.get(pk=visit.pk).version == visit.version + 3
    device1.sync()
    pulled = device1.store[("visit", str(visit.pk))]
    assert (pulled["version"], len(pulled["data"]["submissions"])) == (visit.version + 3, 2)


# visit.end ------------------------------------------------------------------------------------------


def test_ending_a_visit_records_its_end_and_bumps_its_version(device1, visit):
    result = push_one(device1, op("visit.end", str(visit.pk), {"at": "2026-11-22T10:30:00+00:00"}))
    assert (result["status"], result["version"]) == ("applied", visit.version + 1)
    assert Visit.objects.get(pk=visit.pk).ended_at == dt.datetime(2026, 11, 22, 10, 30, tzinfo=dt.UTC)


def test_a_visit_ended_without_at_ends_at_made_at(device1, visit):
    push_one(device1, op("visit.end", str(visit.pk), made_at="2026-11-22T11:00:00+00:00"))
    assert Visit.objects.get(pk=visit.pk).ended_at == dt.datetime(2026, 11, 22, 11, 0, tzinfo=dt.UTC)


def test_ending_an_ended_visit_again_with_a_new_op_is_rejected_invalid(device1, visit):
    first, second = device1.push(
        op("visit.end", str(visit.pk)), op("visit.end", str(visit.pk), made_at="2026-11-22T12:00:00+00:00")
    )
    assert (first["status"], second["code"], second["errors"]) == ("applied", "invalid", {"visit": [str(VISIT_ENDED)]})
    assert Visit.objects.get(pk=visit.pk).ended_at == MADE_AT


def test_a_visit_cannot_end_before_its_checkin(device1, visit):
    result = push_one(device1, op("visit.end", str(visit.pk), {"at": "2026-11-22T07:00:00+00:00"}))
    assert (result["code"], result["errors"]) == ("invalid", {"at": [str(END_BEFORE_START)]})
    assert Visit.objects.get(pk=visit.pk).ended_at is None


def test_ending_another_reps_visit_is_not_found_and_leaves_it_open(device1, koffis_visit):
    result = push_one(device1, op("visit.end", str(koffis_visit.pk)))
    assert (result["code"], result["errors"]) == ("not_found", non_field(NOT_FOUND_MESSAGE))
    assert Visit.objects.get(pk=koffis_visit.pk).ended_at is None


# note.create ----------------------------------------------------------------------------------------


def test_a_note_is_stored_on_the_client_and_its_visit_with_its_author_and_time(device1, rep1, client, visit):
    with_visit, without = device1.push(
        op("note.create", data={"client": str(client.pk), "visit": str(visit.pk), "text": "  Rayon bien tenu.  "}),
        op(
            "note.create",
            data={"client": str(client.pk), "text": "Rappeler lundi."},
            made_at="2026-11-20T17:00:00+00:00",
        ),
    )

    assert (with_visit["status"], with_visit["version"], without["status"]) == ("applied", 1, "applied")
    note = Note.objects.get(pk=with_visit["entity_id"])
    assert (note.client, note.visit, note.author, note.text, note.created_at) == (
        client,
        visit,
        rep1,
        "Rayon bien tenu.",
        MADE_AT,
    )
    other = Note.objects.get(pk=without["entity_id"])
    assert (other.visit, other.created_at) == (None, dt.datetime(2026, 11, 20, 17, tzinfo=dt.UTC))
    device1.sync()
    assert {("note", with_visit["entity_id"]), ("note", without["entity_id"])} <= set(device1.store)


@pytest.mark.parametrize("text", ["", "   ", None, 42, "x" * 5001])
def test_a_note_without_text_or_too_long_is_rejected_invalid(device1, client, text):
    result = push_one(device1, op("note.create", data={"client": str(client.pk), "text": text}))
    assert (result["code"], list(result["errors"])) == ("invalid", ["text"])
    assert Note.objects.count() == 0


def test_a_note_on_another_reps_client_or_visit_is_not_found(device1, client, koffis_visit):
    on_client, on_visit = device1.push(
        op("note.create", data={"client": str(koffis_visit.client_id), "text": "Vu chez Koffi."}),
        op("note.create", data={"client": str(client.pk), "visit": str(koffis_visit.pk), "text": "Vu chez Koffi."}),
    )
    assert on_client["code"] == on_visit["code"] == "not_found"
    assert Note.objects.count() == 0


def test_a_note_naming_a_visit_at_another_client_is_rejected_invalid(device1, rep1, pos_list_editable, visit):
    elsewhere = make_client(pos_list_editable, user=rep1, reps=(rep1,), name="Autre boutique")
    note = op("note.create", data={"client": str(elsewhere.pk), "visit": str(visit.pk), "text": "Vu."})
    result = push_one(device1, note)
    assert (result["code"], result["errors"]) == ("invalid", {"visit": [str(NOTE_VISIT_ELSEWHERE)]})
    assert Note.objects.count() == 0


# Ops on a visit whose check-in was rejected ---------------------------------------------------------


def test_ops_on_a_visit_whose_checkin_was_rejected_are_rejected_depends_on_rejected(
    device1, client, workflow, visit_workflow
):
    checkin = op("visit.checkin", data=checkin_data(client, workflow, metres=400))
    visit_id = checkin["entity_id"]
    results = device1.push(
        checkin,
        op(
            "activity.submit",
            data={"visit": visit_id, "activity": visit_workflow["form"].pk, "values": {"part_rayon": 3}},
        ),
        op("note.create", data={"client": str(client.pk), "visit": visit_id, "text": "Fermé."}),
        op("visit.end", visit_id),
    )

    assert results[0]["code"] == "too_far"
    assert [(result["code"], result["errors"]) for result in results[1:]] == [
        ("depends_on_rejected", non_field(DEPENDS_MESSAGE))
    ] * 3
    assert Visit.objects.count() == ActivitySubmission.objects.count() == Note.objects.count() == 0


def test_a_rejected_checkin_sent_again_is_tried_again_not_answered_as_depending_on_itself(device1, client, workflow):
    checkin = op("visit.checkin", data=checkin_data(client, workflow, metres=400))
    assert push_one(device1, checkin)["code"] == "too_far"

    assert push_one(device1, checkin)["code"] == "too_far"
    Activity.objects.filter(workflow=workflow).update(radius_m=500)
    assert push_one(device1, checkin)["status"] == "applied"
