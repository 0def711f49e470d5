"""Orders as documents: the order an order submission makes, its status moved on by workflows.services (allowed
steps only, who and when kept), the cancelled ones leaving the client's figures, the photos of photo fields, and the
data migration that gives existing submissions their orders and photos."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from fieldsales.geo import Position
from fieldsales.models import Blob, SyncEntry
from fieldsales.sync.registry import TYPES
from tests.factories import (
    ABIDJAN,
    ActivityFactory,
    BackOfficeFactory,
    OrderLineFactory,
    SubmissionFactory,
    VisitFactory,
    make_client,
    make_visit_workflow,
)
from workflows.models import ActivityKind, ActivitySubmission, Order, OrderStatus, SubmissionPhoto, Visit
from workflows.records import serialize_visits_v2, visit_record, visits_with_history
from workflows.selectors import order_latest, orders_value
from workflows.services import (
    activity_submit,
    order_next_statuses,
    order_transition,
    orders_transition,
    visit_check_in,
)
from workflows.signals import client_history_changed

pytestmark = pytest.mark.django_db

SUBMITTED, CONFIRMED, DELIVERED, CANCELLED = (
    OrderStatus.SUBMITTED,
    OrderStatus.CONFIRMED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
)


def jpeg() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(output, "JPEG")
    return output.getvalue()


def uploaded_photo(rep: Any) -> Blob:
    """A photo as a phone uploads it before the op that names it."""
    blob = Blob(content_type="image/jpeg", size=1, width=640, height=480, uploaded_by=rep)
    blob.file.save(f"{blob.pk}.jpg", ContentFile(jpeg()), save=False)
    blob.save()
    return blob


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sales(db):  # type: ignore[no-untyped-def]
    return make_visit_workflow()


@pytest.fixture
def visit(awa, pos_list_readonly, sales):  # type: ignore[no-untyped-def]
    shop = make_client(pos_list_readonly, "Épicerie Chez Awa", reps=[awa])
    return visit_check_in(
        rep=awa,
        visit_id=uuid.uuid4(),
        client=shop,
        workflow=sales["workflow"],
        position=Position(ABIDJAN[0], ABIDJAN[1], 10.0),
    )


def take_order(visit: Any, sales: dict[str, Any], quantity: str = "2") -> ActivitySubmission:
    lines = [{"product": str(sales["products"][0].pk), "quantity": quantity}]
    return activity_submit(
        rep=visit.rep, submission_id=uuid.uuid4(), visit=visit, activity=sales["order"], values={}, lines=lines
    )


@pytest.fixture
def clerk_user(db):  # type: ignore[no-untyped-def]
    return BackOfficeFactory(username="nadia")


# The order of an order submission ----------------------------------------------------------------------------------


def test_an_order_submission_makes_a_submitted_order_with_its_client_rep_date_and_total(visit, sales):
    submission = take_order(visit, sales, quantity="3")

    order = Order.objects.get(submission=submission)
    assert (order.client, order.rep, order.ordered_at) == (visit.client, visit.rep, submission.submitted_at)
    assert (order.total, order.status) == (Decimal("4500.00"), SUBMITTED)
    assert (order.confirmed_at, order.delivered_at, order.cancelled_at) == (None, None, None)


def test_a_form_submission_makes_no_order(visit, sales):
    activity_submit(
        rep=visit.rep,
        submission_id=uuid.uuid4(),
        visit=visit,
        activity=sales["form"],
        values={"part_rayon": 30},
    )

    assert not Order.objects.exists()


# Its status ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([CONFIRMED], True),
        ([CONFIRMED, DELIVERED], True),
        ([CANCELLED], True),
        ([CONFIRMED, CANCELLED], True),
        ([DELIVERED], False),
        ([SUBMITTED], False),
        ([CONFIRMED, DELIVERED, CANCELLED], False),
        ([CANCELLED, CONFIRMED], False),
        ([CONFIRMED, CONFIRMED], False),
        (["shipped"], False),
    ],
)
def test_an_order_moves_only_along_the_allowed_steps(visit, sales, clerk_user, path, allowed):
    order = Order.objects.get(submission=take_order(visit, sales))
    *before, last = path
    for status in before:
        order = order_transition(user=clerk_user, order=order, status=status)
    reached = Order.objects.get(pk=order.pk).status

    if allowed:
        assert order_transition(user=clerk_user, order=order, status=last).status == last
        assert Order.objects.get(pk=order.pk).status == last
    else:
        with pytest.raises(ValidationError) as refused:
            order_transition(user=clerk_user, order=order, status=last)
        assert [error.code for error in refused.value.error_dict["status"]] == ["invalid_transition"]
        assert Order.objects.get(pk=order.pk).status == reached


def test_a_refused_step_says_where_the_order_is_and_where_it_cannot_go(visit, sales, clerk_user):
    order = order_transition(
        user=clerk_user, order=Order.objects.get(submission=take_order(visit, sales)), status=CANCELLED
    )

    with pytest.raises(ValidationError) as refused:
        order_transition(user=clerk_user, order=order, status=DELIVERED)

    assert refused.value.message_dict == {"status": ["This order is “Cancelled”: it cannot become “Delivered”."]}


def test_each_step_keeps_who_took_it_and_when(visit, sales, clerk_user):
    manager = BackOfficeFactory(username="ibrahim")
    order = Order.objects.get(submission=take_order(visit, sales))
    before = timezone.now()

    order_transition(user=clerk_user, order=order, status=CONFIRMED)
    order_transition(user=manager, order=order, status=DELIVERED)

    stored = Order.objects.get(pk=order.pk)
    assert (stored.confirmed_by, stored.delivered_by, stored.cancelled_by) == (clerk_user, manager, None)
    assert before <= stored.confirmed_at <= stored.delivered_at <= timezone.now()
    assert stored.cancelled_at is None


def test_an_order_is_offered_the_steps_it_may_take(visit, sales, clerk_user):
    order = Order.objects.get(submission=take_order(visit, sales))
    offered = [order_next_statuses(order=order)]
    for status in (CONFIRMED, DELIVERED):
        order = order_transition(user=clerk_user, order=order, status=status)
        offered.append(order_next_statuses(order=order))

    assert offered == [[CONFIRMED, CANCELLED], [DELIVERED, CANCELLED], []]


def test_orders_moved_together_move_those_allowed_and_leave_the_others_in_a_few_queries(
    visit, sales, clerk_user, django_assert_num_queries
):
    orders = [Order.objects.get(submission=take_order(visit, sales)) for _ in range(4)]
    order_transition(user=clerk_user, order=orders[0], status=CANCELLED)
    order_transition(user=clerk_user, order=orders[1], status=CONFIRMED)

    # A savepoint; the orders that may be delivered, locked, with their submissions; their update; their visits'
    # versions; the visits sent again to the reps' feeds; the savepoint released.
    with django_assert_num_queries(6):
        moved = orders_transition(
            user=clerk_user, orders=Order.objects.filter(pk__in=[o.pk for o in orders]), status=DELIVERED
        )

    assert [order.pk for order in moved] == [orders[1].pk]
    assert dict(Order.objects.values_list("pk", "status")) == {
        orders[0].pk: CANCELLED,
        orders[1].pk: DELIVERED,
        orders[2].pk: SUBMITTED,
        orders[3].pk: SUBMITTED,
    }


def test_where_an_order_stands_reaches_the_reps_phone_in_the_visits_record(visit, sales, clerk_user):
    submission = take_order(visit, sales)
    entry = SyncEntry.objects.get(rep=visit.rep, kind=TYPES["visit"].rank, entity_id=str(visit.pk))
    version = Visit.objects.get(pk=visit.pk).version

    with CaptureQueriesContext(connection) as queries:
        order_transition(user=clerk_user, order=Order.objects.get(submission=submission), status=CONFIRMED)

    [pulled] = serialize_visits_v2(visit.rep, [str(visit.pk)]).values()
    assert pulled["version"] == version + 1
    assert pulled["data"]["submissions"] == [
        {"id": str(submission.pk), "activity": sales["order"].pk, "order_total": "3000.00", "status": "confirmed"}
    ]
    # The rep's feed entry of the visit is stamped again: SQLite's stamp moves on; PostgreSQL's is the transaction's id,
    # the same for the whole test, so there the re-stamping statement itself is what shows it.
    restamp = "UPDATE " + SyncEntry._meta.db_table + " SET deleted"  # noqa: S608 (a prefix to look for, never run)
    assert any(query["sql"].startswith(restamp) for query in queries.captured_queries)
    assert connection.vendor == "postgresql" or SyncEntry.objects.get(pk=entry.pk).stamp > entry.stamp
    assert visit_record(visits_with_history().get(pk=visit.pk))["data"]["submissions"][0]["status"] == "confirmed"


def test_a_cancelled_order_leaves_the_clients_figures_and_its_cards_follow(visit, sales, clerk_user):
    kept = take_order(visit, sales, quantity="1")
    cancelled = take_order(visit, sales, quantity="4")
    followed: list[list[Any]] = []

    def follow(*, client_ids: Any, **kwargs: Any) -> None:
        followed.append(list(client_ids))

    client_history_changed.connect(follow, dispatch_uid="test-follow")
    try:
        order_transition(user=clerk_user, order=Order.objects.get(submission=cancelled), status=CANCELLED)
    finally:
        client_history_changed.disconnect(dispatch_uid="test-follow")

    today = timezone.localdate()
    assert followed == [[visit.client_id]]
    assert orders_value(start=today, end=today, client=visit.client) == Decimal("1500.00")
    assert order_latest(client=visit.client)["id"] == kept.pk


# Photos ------------------------------------------------------------------------------------------------------------


def test_the_photos_of_a_submissions_photo_fields_are_kept_for_the_gallery_those_never_uploaded_left_out(visit, media):
    form = ActivityFactory(
        workflow=visit.workflow,
        kind=ActivityKind.FORM,
        fields=[
            {"key": "facade", "type": "photo", "label_en": "Shop front", "label_fr": "Façade"},
            {"key": "rayon", "type": "photo", "label_en": "Shelf", "label_fr": "Rayon"},
            {"key": "absent", "type": "photo", "label_en": "Never sent", "label_fr": "Jamais envoyée"},
            {"key": "note", "type": "text", "label_en": "Note", "label_fr": "Note"},
        ],
    )
    front, shelf = uploaded_photo(visit.rep), uploaded_photo(visit.rep)
    values = {"facade": str(front.pk), "rayon": str(shelf.pk), "absent": str(uuid.uuid4()), "note": str(front.pk)}

    submission = activity_submit(rep=visit.rep, submission_id=uuid.uuid4(), visit=visit, activity=form, values=values)

    kept = set(SubmissionPhoto.objects.filter(submission=submission).values_list("key", "blob_id"))
    assert kept == {("facade", front.pk), ("rayon", shelf.pk)}


# The data migration ------------------------------------------------------------------------------------------------


def migration() -> Any:
    return importlib.import_module("workflows.migrations.0004_orders")


def test_the_migration_gives_each_existing_order_submission_one_submitted_order_numbered_by_date(media):
    """Submissions recorded before orders existed (rows written as the demo and the old service wrote them)."""
    order_activity = ActivityFactory(kind=ActivityKind.ORDER)
    noon = timezone.make_aware(dt.datetime(2026, 11, 2, 12))
    later = SubmissionFactory(activity=order_activity, submitted_at=noon, order_total=Decimal("3000.00"))
    earlier = SubmissionFactory(
        activity=order_activity, submitted_at=noon - dt.timedelta(days=1), order_total=Decimal("500.00")
    )
    OrderLineFactory(submission=later)
    form = SubmissionFactory(activity=ActivityFactory(kind=ActivityKind.FORM, workflow=order_activity.workflow))
    already = SubmissionFactory(activity=order_activity, submitted_at=noon)
    Order.objects.create(
        submission=already, client=already.client, rep=already.visit.rep, ordered_at=noon, total=Decimal(0)
    )

    migration().create_orders(apps, connection.schema_editor())

    made = list(Order.objects.exclude(submission=already).order_by("pk"))
    assert [order.submission_id for order in made] == [earlier.pk, later.pk]
    assert [(order.client_id, order.rep_id, order.ordered_at, order.total, order.status) for order in made] == [
        (s.client_id, s.visit.rep_id, s.submitted_at, s.order_total, SUBMITTED) for s in (earlier, later)
    ]
    assert not Order.objects.filter(submission=form).exists()
    assert Order.objects.filter(submission=already).count() == 1


def test_the_migration_finds_the_photos_of_existing_submissions(media):
    visit = VisitFactory()
    form = ActivityFactory(
        kind=ActivityKind.FORM,
        workflow=visit.workflow,
        fields=[{"key": "facade", "type": "photo"}, {"key": "comment", "type": "text"}],
    )
    photo = uploaded_photo(visit.rep)
    with_photo = SubmissionFactory(visit=visit, activity=form, values={"facade": str(photo.pk), "comment": "ok"})
    SubmissionFactory(visit=visit, activity=form, values={"facade": str(uuid.uuid4())})  # never uploaded
    SubmissionFactory(visit=visit, activity=form, values={"facade": "not a photo id"})
    SubmissionFactory(visit=visit, activity=form, values={})

    migration().create_photos(apps, connection.schema_editor())

    assert list(SubmissionPhoto.objects.values_list("submission_id", "key", "blob_id")) == [
        (with_photo.pk, "facade", photo.pk)
    ]
