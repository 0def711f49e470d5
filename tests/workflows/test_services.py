"""workflows.services called directly, as the admin, the REST API and the sync handlers call them: check-in and its
geofence, activity submissions and orders, the end of a visit, notes, and the back office's workflow and product
writes. No HTTP, no sync op: each rule is asserted where it lives."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import AttributeDefinition, Client
from clients.selectors import client_missing_required
from fieldsales.geo import Position
from fieldsales.models import SyncEntry
from fieldsales.sync.registry import TYPES
from tests.factories import (
    ABIDJAN,
    ActivityFactory,
    ProductFactory,
    VisitFactory,
    WorkflowFactory,
    make_client,
    make_pos_list,
    make_visit_workflow,
)
from workflows.models import ActivityKind, ActivitySubmission, Note, OrderLine, Product, Visit, Workflow
from workflows.services import (
    BAD_LINE,
    EMPTY_NOTE,
    END_BEFORE_START,
    NO_CLIENT_POSITION,
    NO_POSITION,
    NOT_IN_WORKFLOW,
    NOTE_TOO_LONG,
    NOTE_VISIT_ELSEWHERE,
    ORDER_NEEDS_LINES,
    ORDER_TOO_LARGE,
    TOO_FAR_MESSAGE,
    TOO_MANY_LINES,
    UNKNOWN_PRODUCT,
    VISIT_ENDED,
    WORKFLOW_INACTIVE,
    WORKFLOW_NOT_FOR_LIST,
    TooFar,
    activity_submit,
    check_geofence,
    note_create,
    product_changed,
    products_write,
    visit_check_in,
    visit_end,
    workflow_changed,
)

pytestmark = pytest.mark.django_db


def north_of_the_shop(metres: float, accuracy_m: float | None = 10.0) -> Position:
    """A phone's fix this many metres north of the shop (which `make_client` puts at Abidjan's centre)."""
    return Position(ABIDJAN[0] + metres / 111_195, ABIDJAN[1], accuracy_m)


def messages(error: ValidationError) -> dict[str, list[str]]:
    return {key: [str(message) for message in value] for key, value in error.message_dict.items()}


def in_feed(rep: Any, type_name: str, entity_id: Any) -> bool:
    """Whether the entity is live in the rep's feed: what their phone pulls next."""
    entries = SyncEntry.objects.filter(rep=rep, kind=TYPES[type_name].rank, entity_id=str(entity_id))
    return entries.filter(deleted=False).exists()


@pytest.fixture
def shop(pos_list_readonly, awa):  # type: ignore[no-untyped-def]
    """Awa's client at Abidjan's centre, on a list she reads."""
    return make_client(pos_list_readonly, "Épicerie Chez Awa", reps=[awa])


@pytest.fixture
def sales(db):  # type: ignore[no-untyped-def]
    """A sales visit: a form and an order, each within 100 m, and a note; three products."""
    return make_visit_workflow(with_note=True)


def check_in(rep: Any, shop: Client, sales: dict[str, Any], position: Position | None = None, **kwargs: Any) -> Visit:
    return visit_check_in(
        rep=rep,
        visit_id=uuid.uuid4(),
        client=shop,
        workflow=sales["workflow"],
        position=north_of_the_shop(0) if position is None else position,
        **kwargs,
    )


# Check-in and its geofence ------------------------------------------------------------------------------------------


def test_a_check_in_at_the_shop_opens_a_visit_with_where_the_rep_stood_and_reaches_their_phone(awa, shop, sales):
    at = timezone.now() - dt.timedelta(minutes=5)
    visit = check_in(awa, shop, sales, north_of_the_shop(30, accuracy_m=12), at=at)

    stored = Visit.objects.get(pk=visit.pk)
    assert (stored.rep, stored.client, stored.workflow, stored.checked_in_at) == (awa, shop, sales["workflow"], at)
    assert stored.ended_at is None
    assert stored.checkin_accuracy_m == 12
    assert stored.distance_m == pytest.approx(30, abs=0.5)
    assert in_feed(awa, "visit", visit.pk)


@pytest.mark.parametrize(
    ("metres", "accuracy_m"),
    [(99, 0), (140, 45), (149.9, 50), (149, 5000)],
    ids=["within", "within it by the accuracy", "by the whole credit", "by the credit's cap"],
)
def test_a_rep_within_the_radius_once_their_accuracy_is_credited_checks_in(awa, shop, sales, metres, accuracy_m):
    visit = check_in(awa, shop, sales, north_of_the_shop(metres, accuracy_m))
    assert Visit.objects.filter(pk=visit.pk).exists()


@pytest.mark.parametrize(
    ("metres", "accuracy_m"),
    [(101, 0), (200, 10), (151, 50), (200, 5000), (200, None)],
    ids=["just beyond", "beyond", "beyond the whole credit", "a vague fix credits 50 m only", "no accuracy"],
)
def test_a_rep_beyond_the_radius_is_told_how_far_they_are_and_no_visit_opens(awa, shop, sales, metres, accuracy_m):
    with pytest.raises(TooFar) as refused:
        check_in(awa, shop, sales, north_of_the_shop(metres, accuracy_m))

    assert messages(refused.value) == {"distance_m": [TOO_FAR_MESSAGE % {"distance": metres, "radius": 100}]}
    assert not Visit.objects.exists()


def test_the_strictest_radius_of_the_workflows_geo_activities_applies(awa, shop, sales):
    ActivityFactory(workflow=sales["workflow"], requires_geo_checkin=True, radius_m=50, order=9)

    with pytest.raises(TooFar) as refused:
        check_in(awa, shop, sales, north_of_the_shop(80, accuracy_m=0))
    assert messages(refused.value) == {"distance_m": [TOO_FAR_MESSAGE % {"distance": 80, "radius": 50}]}
    assert check_in(awa, shop, sales, north_of_the_shop(45, accuracy_m=0)).distance_m == pytest.approx(45, abs=0.5)


def test_a_geo_check_in_without_the_reps_position_or_the_clients_is_refused_saying_which(
    awa, shop, sales, pos_list_readonly
):
    with pytest.raises(TooFar) as no_fix:
        visit_check_in(rep=awa, visit_id=uuid.uuid4(), client=shop, workflow=sales["workflow"], position=None)
    unplaced = make_client(pos_list_readonly, "Sans GPS", reps=[awa], lat=None, lng=None, accuracy_m=None)
    with pytest.raises(TooFar) as no_client_position:
        check_in(awa, unplaced, sales)

    assert messages(no_fix.value) == {"lat": [str(NO_POSITION)]}
    assert messages(no_client_position.value) == {"client": [str(NO_CLIENT_POSITION)]}
    assert not Visit.objects.exists()


def test_a_workflow_without_geo_activities_takes_any_position_or_none_and_still_measures_the_distance(awa, shop):
    workflow = WorkflowFactory()
    ActivityFactory(workflow=workflow, kind=ActivityKind.NOTE, requires_geo_checkin=False)

    far = visit_check_in(
        rep=awa, visit_id=uuid.uuid4(), client=shop, workflow=workflow, position=north_of_the_shop(5000)
    )
    blind = visit_check_in(rep=awa, visit_id=uuid.uuid4(), client=shop, workflow=workflow, position=None)

    assert far.distance_m == pytest.approx(5000, rel=0.001)
    assert (blind.distance_m, blind.checkin_lat, blind.checkin_lng) == (None, None, None)


def test_an_inactive_workflow_refuses_check_ins(awa, shop, sales):
    Workflow.objects.filter(pk=sales["workflow"].pk).update(active=False)
    sales["workflow"].refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        check_in(awa, shop, sales)
    assert messages(refused.value) == {"workflow": [str(WORKFLOW_INACTIVE)]}
    assert not Visit.objects.exists()


def test_a_workflow_meant_for_other_lists_refuses_the_clients_of_this_one(awa, shop, sales):
    sales["workflow"].client_lists.add(make_pos_list("Grossistes"))
    with pytest.raises(ValidationError) as refused:
        check_in(awa, shop, sales)
    assert messages(refused.value) == {"workflow": [str(WORKFLOW_NOT_FOR_LIST)]}

    sales["workflow"].client_lists.add(shop.client_list)
    assert check_in(awa, shop, sales).client == shop


def test_a_client_missing_a_field_made_required_is_checked_in_all_the_same(awa, shop, sales):
    # The list made surface_m2 required after the client was recorded without it: the app asks the rep for it before
    # the check-in, the server keeps the visit whatever the phone knew.
    AttributeDefinition.objects.filter(client_list=shop.client_list, key="surface_m2").update(required=True)
    shop = Client.objects.select_related("client_list").get(pk=shop.pk)
    assert client_missing_required(shop) == ["surface_m2"]

    visit = check_in(awa, shop, sales)

    assert Visit.objects.get(pk=visit.pk).client == shop
    assert client_missing_required(shop) == ["surface_m2"]  # still to fill, nothing made up


def test_check_geofence_answers_the_distance_it_accepted(shop):
    assert check_geofence(client=shop, position=north_of_the_shop(60), radius_m=100) == pytest.approx(60, abs=0.5)


# Activity submissions and orders -----------------------------------------------------------------------------------


@pytest.fixture
def visit(awa, shop, sales):  # type: ignore[no-untyped-def]
    return check_in(awa, shop, sales, north_of_the_shop(20))


def submit(visit: Visit, activity: Any, values: dict[str, Any] | None = None, **kwargs: Any) -> ActivitySubmission:
    return activity_submit(
        rep=visit.rep, submission_id=uuid.uuid4(), visit=visit, activity=activity, values=values or {}, **kwargs
    )


def test_a_form_is_stored_with_its_values_as_the_schema_reads_them_and_the_visit_moves_on(visit, sales):
    version = visit.version
    submission = submit(visit, sales["form"], {"part_rayon": "40"})

    stored = ActivitySubmission.objects.get(pk=submission.pk)
    assert (stored.visit, stored.client, stored.activity) == (visit, visit.client, sales["form"])
    assert stored.values == {"part_rayon": 40}
    assert stored.order_total == 0
    # The instance given follows its row, for a caller that goes on with it (the next op of a push).
    assert Visit.objects.get(pk=visit.pk).version == visit.version == version + 1


def test_a_form_missing_a_required_field_or_with_a_bad_value_is_refused_and_nothing_is_stored(visit, sales):
    with pytest.raises(ValidationError) as missing:
        submit(visit, sales["form"], {})
    with pytest.raises(ValidationError) as bad:
        submit(visit, sales["form"], {"part_rayon": "beaucoup"})

    assert list(missing.value.message_dict) == ["part_rayon"]
    assert list(bad.value.message_dict) == ["part_rayon"]
    assert not ActivitySubmission.objects.exists()


def test_an_order_is_priced_line_by_line_at_the_catalogue_price_unless_one_is_given(visit, sales):
    soap, rice, _oil = sales["products"]
    lines = [
        {"product": str(soap.pk), "quantity": "2"},
        {"product": str(rice.pk), "quantity": "1.5", "unit_price": "999.999"},
    ]

    submission = submit(visit, sales["order"], lines=lines)

    stored = {line.product_id: line for line in OrderLine.objects.filter(submission=submission)}
    assert (stored[soap.pk].quantity, stored[soap.pk].unit_price, stored[soap.pk].value) == (
        Decimal("2"),
        Decimal("1500.00"),
        Decimal("3000.00"),
    )
    assert (stored[rice.pk].unit_price, stored[rice.pk].value) == (Decimal("1000.00"), Decimal("1500.00"))
    assert ActivitySubmission.objects.get(pk=submission.pk).order_total == Decimal("4500.00")


def test_an_order_adds_the_products_it_read_to_the_callers_catalogue(visit, sales):
    soap = sales["products"][0]
    catalog: dict[str, Product] = {}

    submit(visit, sales["order"], lines=[{"product": str(soap.pk), "quantity": 1}], catalog=catalog)

    assert catalog == {str(soap.pk): soap}


@pytest.mark.parametrize(
    ("lines", "message", "params"),
    [
        ([], ORDER_NEEDS_LINES, {}),
        ([{"product": "0", "quantity": 1}], UNKNOWN_PRODUCT, {"product": "0"}),
        ([{"product": "SOAP", "quantity": 0}], BAD_LINE, {}),
        ([{"product": "SOAP", "quantity": -1}], BAD_LINE, {}),
        ([{"product": "SOAP", "quantity": "0.0001"}], BAD_LINE, {}),
        ([{"product": "SOAP", "quantity": "deux"}], BAD_LINE, {}),
        ([{"product": "SOAP", "quantity": "NaN"}], BAD_LINE, {}),
        ([{"product": "SOAP", "quantity": 1, "unit_price": "-1"}], BAD_LINE, {}),
        (["not a line"], BAD_LINE, {}),
        ([{"product": "SOAP", "quantity": 1}] * 201, TOO_MANY_LINES, {}),
        ([{"product": "SOAP", "quantity": "999999999", "unit_price": "9999999999"}], ORDER_TOO_LARGE, {}),
    ],
    ids=[
        "no line",
        "unknown product",
        "zero",
        "negative",
        "finer than a thousandth",
        "words",
        "not a number",
        "negative price",
        "not a line",
        "201 lines",
        "over a trillion",
    ],
)
def test_an_order_that_cannot_be_priced_is_refused_saying_why_and_nothing_is_stored(
    visit, sales, lines, message, params
):
    soap = str(sales["products"][0].pk)
    lines = [
        {**line, "product": soap} if isinstance(line, dict) and line["product"] == "SOAP" else line for line in lines
    ]

    with pytest.raises(ValidationError) as refused:
        submit(visit, sales["order"], lines=lines)

    assert messages(refused.value) == {"lines": [str(message) % params if params else str(message)]}
    assert not ActivitySubmission.objects.exists()
    assert not OrderLine.objects.exists()


def test_an_inactive_product_cannot_be_ordered(visit, sales):
    soap = sales["products"][0]
    Product.objects.filter(pk=soap.pk).update(active=False)

    with pytest.raises(ValidationError) as refused:
        submit(visit, sales["order"], lines=[{"product": str(soap.pk), "quantity": 1}])
    assert messages(refused.value) == {"lines": [str(UNKNOWN_PRODUCT % {"product": str(soap.pk)})]}


def test_nothing_is_submitted_on_an_ended_visit_or_for_another_workflows_activity(visit, sales):
    stranger = ActivityFactory(kind=ActivityKind.FORM, fields=[])
    with pytest.raises(ValidationError) as foreign:
        submit(visit, stranger)
    visit_end(rep=visit.rep, visit=visit)
    with pytest.raises(ValidationError) as ended:
        submit(visit, sales["form"], {"part_rayon": 40})

    assert messages(foreign.value) == {"activity": [str(NOT_IN_WORKFLOW)]}
    assert messages(ended.value) == {"visit": [str(VISIT_ENDED)]}
    assert not ActivitySubmission.objects.exists()


def test_a_geo_activity_of_a_visit_checked_in_without_a_position_is_refused(awa, shop, sales):
    # A visit recorded without a fix (a workflow changed since, say): its geo activities cannot be proven there.
    visit = VisitFactory(rep=awa, client=shop, workflow=sales["workflow"])

    with pytest.raises(TooFar) as refused:
        submit(visit, sales["form"], {"part_rayon": 40})
    assert messages(refused.value) == {"lat": [str(NO_POSITION)]}


# End of a visit ----------------------------------------------------------------------------------------------------


def test_ending_a_visit_records_when_and_bumps_its_version_once(visit):
    at = visit.checked_in_at + dt.timedelta(minutes=12)

    visit_end(rep=visit.rep, visit=visit, at=at)

    stored = Visit.objects.get(pk=visit.pk)
    assert stored.ended_at == at
    assert stored.version == 2


def test_a_visit_ends_once_and_never_before_its_check_in(visit):
    with pytest.raises(ValidationError) as too_early:
        visit_end(rep=visit.rep, visit=visit, at=visit.checked_in_at - dt.timedelta(seconds=1))
    assert messages(too_early.value) == {"at": [str(END_BEFORE_START)]}
    assert Visit.objects.get(pk=visit.pk).ended_at is None

    visit_end(rep=visit.rep, visit=visit)
    with pytest.raises(ValidationError) as again:
        visit_end(rep=visit.rep, visit=visit)
    assert messages(again.value) == {"visit": [str(VISIT_ENDED)]}
    assert Visit.objects.get(pk=visit.pk).version == 2


# Notes -------------------------------------------------------------------------------------------------------------


def test_a_note_is_stored_trimmed_with_its_author_and_visit_and_reaches_the_reps_phone(awa, shop, visit):
    note = note_create(author=awa, note_id=uuid.uuid4(), client=shop, visit=visit, text="  Promo demandée.\n")

    stored = Note.objects.get(pk=note.pk)
    assert (stored.text, stored.author, stored.client, stored.visit) == ("Promo demandée.", awa, shop, visit)
    assert in_feed(awa, "note", note.pk)


def test_a_note_without_a_visit_is_a_note_on_the_client(awa, shop):
    note = note_create(author=awa, note_id=uuid.uuid4(), client=shop, visit=None, text="Fermé le lundi.")
    assert Note.objects.get(pk=note.pk).visit is None


@pytest.mark.parametrize(
    ("text", "message"),
    [("", EMPTY_NOTE), ("   \n ", EMPTY_NOTE), (None, EMPTY_NOTE), (42, EMPTY_NOTE), ("x" * 5001, NOTE_TOO_LONG)],
    ids=["empty", "blank", "none", "not text", "5001 characters"],
)
def test_a_note_with_no_text_or_too_much_is_refused(awa, shop, text, message):
    with pytest.raises(ValidationError) as refused:
        note_create(author=awa, note_id=uuid.uuid4(), client=shop, visit=None, text=text)
    assert messages(refused.value) == {"text": [str(message)]}
    assert not Note.objects.exists()


def test_a_note_of_5000_characters_is_kept_whole(awa, shop):
    note = note_create(author=awa, note_id=uuid.uuid4(), client=shop, visit=None, text="x" * 5000)
    assert len(Note.objects.get(pk=note.pk).text) == 5000


def test_a_note_cannot_hang_on_a_visit_at_another_client(awa, shop, visit, pos_list_readonly):
    elsewhere = make_client(pos_list_readonly, "Autre boutique", reps=[awa])
    with pytest.raises(ValidationError) as refused:
        note_create(author=awa, note_id=uuid.uuid4(), client=elsewhere, visit=visit, text="Mauvaise boutique")
    assert messages(refused.value) == {"visit": [str(NOTE_VISIT_ELSEWHERE)]}
    assert not Note.objects.exists()


# Back-office writes ------------------------------------------------------------------------------------------------


def test_a_changed_workflow_gets_a_new_version_that_every_rep_pulls(awa, sales):
    workflow = sales["workflow"]

    workflow_changed(workflow=workflow)

    assert workflow.version == 2
    assert Workflow.objects.get(pk=workflow.pk).version == 2
    assert in_feed(awa, "workflow", workflow.pk)


def test_a_changed_product_gets_a_new_version_that_every_rep_pulls(awa):
    product = ProductFactory()

    product_changed(product=product)

    assert (product.version, Product.objects.get(pk=product.pk).version) == (2, 2)
    assert in_feed(awa, "product", product.pk)


def test_products_written_in_bulk_are_as_if_changed_one_by_one(awa):
    kept = ProductFactory(name="Savon", unit_price=Decimal("500.00"))
    kept.name, kept.unit_price = "Savon de Marseille", Decimal("650.00")
    new = Product(sku="RIZ-25", name="Riz 25 kg", unit_price=Decimal("17500.50"))

    products_write(created=[new], updated=[kept])

    assert Product.objects.get(sku="RIZ-25").name == "Riz 25 kg"
    stored = Product.objects.get(pk=kept.pk)
    assert (stored.name, stored.unit_price, stored.version) == ("Savon de Marseille", Decimal("650.00"), 2)
    assert in_feed(awa, "product", kept.pk)
    assert in_feed(awa, "product", Product.objects.get(sku="RIZ-25").pk)


def test_writing_no_product_publishes_nothing(awa):
    products_write(created=[], updated=[])
    assert not SyncEntry.objects.filter(rep=awa).exists()
