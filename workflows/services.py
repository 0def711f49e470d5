"""Writes on visits, activity submissions, orders and notes. The sync handlers, the API and the admin call these."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image

from clients.models import Client
from clients.schema import AttributeSpec, AttributeType, validate_attributes
from fieldsales.db import insert, inserted_later
from fieldsales.geo import Position, haversine_m, within_geofence
from fieldsales.models import Blob
from fieldsales.sync.feed import publish, resend
from workflows.board import board_visit_changed
from workflows.models import (
    Activity,
    ActivityKind,
    ActivitySubmission,
    Note,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    SubmissionPhoto,
    Visit,
    Workflow,
)
from workflows.signals import client_history_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Money is kept to the cent, rounded half to even (0.125 is 0.12, 0.135 is 0.14): a unit price given with more
# places, and each line's value. The app shows an order with the same rule, published in the pull (money_rules).
MONEY_PLACES = 2
MONEY_ROUNDING = ROUND_HALF_EVEN
CENT = Decimal(1).scaleb(-MONEY_PLACES)
MILLI = Decimal("0.001")
MAX_LINES = 200
# What the columns hold: quantity (12, 3), unit price (12, 2), line value and order total (14, 2).
MAX_QUANTITY = Decimal(10**9)
MAX_UNIT_PRICE = Decimal(10**10)
MAX_AMOUNT = Decimal(10**12)

TOO_FAR_MESSAGE = _("You are %(distance)d m from the client; this activity allows a check-in within %(radius)d m.")
NO_CLIENT_POSITION = _("The client has no GPS position yet; edit the client to record it before a geo check-in.")
NO_POSITION = _("Your position is needed for this check-in.")
WORKFLOW_INACTIVE = _("This workflow is not active.")
WORKFLOW_NOT_FOR_LIST = _("This workflow is not used for this client's list.")
VISIT_ENDED = _("This visit has already ended.")
NOTE_VISIT_ELSEWHERE = _("This visit was at another client.")
NOT_IN_WORKFLOW = _("This activity is not part of the visit's workflow.")
ALREADY_SUBMITTED = _("This activity was already submitted with this identifier.")
ORDER_NEEDS_LINES = _("An order needs at least one line.")
BAD_LINE = _("Each line needs a product, a quantity above zero and a unit price of zero or more.")
UNKNOWN_PRODUCT = _("Unknown or inactive product: %(product)s.")
TOO_MANY_LINES = _("An order has at most 200 lines.")
ORDER_TOO_LARGE = _("An order may total at most 999,999,999,999.99; split it into several orders.")
EMPTY_NOTE = _("Write the note's text.")
NOTE_TOO_LONG = _("A note has at most 5000 characters.")
END_BEFORE_START = _("A visit cannot end before its check-in.")


class TooFar(ValidationError):
    """The rep is beyond the activity's radius (sync code `too_far`)."""


@dataclass(frozen=True)
class LineInput:
    product: str
    quantity: Any
    unit_price: Any = None


def check_geofence(*, client: Client, position: Position | None, radius_m: float) -> float:
    """The distance from the client, or TooFar. The rule itself is `geo.within_geofence`."""
    if client.lat is None or client.lng is None:
        raise TooFar({"client": [NO_CLIENT_POSITION]}, code="too_far")
    if position is None:
        raise TooFar({"lat": [NO_POSITION]}, code="too_far")
    distance = haversine_m(position.lat, position.lng, client.lat, client.lng)
    if not within_geofence(distance, position.accuracy_m, radius_m):
        raise TooFar(
            {"distance_m": [TOO_FAR_MESSAGE % {"distance": round(distance), "radius": radius_m}]},
            code="too_far",
        )
    return distance


@transaction.atomic
def visit_check_in(
    *,
    rep: User,
    visit_id: uuid.UUID,
    client: Client,
    workflow: Workflow,
    position: Position | None,
    at: dt.datetime | None = None,
    earlier: CheckInsSince | None = None,
) -> Visit:
    """Start a visit. Checks, in this order: the workflow is active and used for the client's list; the rep is within
    the strictest radius of the workflow's geo activities. Its position's doubts are `checkin_flags`'s (`earlier`:
    the rep's check-ins already read, which the new one joins).

    A client missing required fields (made required after it was recorded) is checked in all the same: the app asks
    the rep for them before the check-in, from the schema it pulled (clients.schema.missing_required), but a visit
    that happened is never refused for a rule the phone may not have had yet (a field made required while the rep
    was offline would lose the visit and all that was recorded in it)."""
    if not workflow.active:
        raise ValidationError({"workflow": [WORKFLOW_INACTIVE]}, code="invalid")
    lists = [client_list.pk for client_list in workflow.client_lists.all()]
    if lists and client.client_list_id not in lists:
        raise ValidationError({"workflow": [WORKFLOW_NOT_FOR_LIST]}, code="invalid")
    activities = list(workflow.activities.all())
    distance = None
    radii = [activity.radius_m for activity in activities if activity.requires_geo_checkin]
    radius = min(radii) if radii else None
    if radius is not None:
        distance = check_geofence(client=client, position=position, radius_m=radius)
    elif position is not None and client.lat is not None and client.lng is not None:
        distance = haversine_m(position.lat, position.lng, client.lat, client.lng)
    at = at or timezone.now()
    visit = Visit(
        id=visit_id,
        rep=rep,
        client=client,
        workflow=workflow,
        checkin_lat=position.lat if position else None,
        checkin_lng=position.lng if position else None,
        checkin_accuracy_m=position.accuracy_m if position else None,
        distance_m=distance,
        checkin_flags=checkin_flags(rep=rep, at=at, position=position, radius_m=radius, earlier=earlier),
        checked_in_at=at,
    )
    # Now, or with the push's other new records: its activities and its end, in the same push, change the instance.
    insert(visit)
    if earlier is not None:
        earlier.add(visit)
    publish("visit", [visit.pk])
    client_history_changed.send(sender=Visit, client_ids=[client.pk])
    board_visit_changed(visit.pk)
    return visit


# Faster than this between two check-ins is no rep's travel in town: a position to check, not to refuse.
MAX_TRAVEL_KMH = 120
TOO_FAST = "too_fast"
INACCURATE = "inaccurate"


# A check-in's position, accuracy and moment: what the next one's speed is judged from.
CheckInRow = tuple[float, float, float | None, dt.datetime]
CHECKIN_ROW_FIELDS = ("checkin_lat", "checkin_lng", "checkin_accuracy_m", "checked_in_at")
# Further back than this, no check-in makes the next one's travel too fast (MAX_TRAVEL_KMH for a day: 2,880 km).
CHECKINS_WINDOW = dt.timedelta(days=1)


def _positioned_checkins(rep: User) -> QuerySet[Visit]:
    return Visit.objects.filter(rep=rep, checkin_lat__isnull=False, checkin_lng__isnull=False)


class CheckInsSince:
    """A rep's check-ins with a position from `since` on, read once, to which a run of check-ins (a push's) adds its
    own: the check-in before a moment without a query each (`checkin_flags`)."""

    def __init__(self, *, rep: User, since: dt.datetime) -> None:
        self.since = since
        self.rows: list[CheckInRow] = list(
            _positioned_checkins(rep).filter(checked_in_at__gte=since).values_list(*CHECKIN_ROW_FIELDS)  # type: ignore[arg-type]
        )

    def covers(self, at: dt.datetime) -> bool:
        return at - CHECKINS_WINDOW >= self.since

    def before(self, at: dt.datetime) -> CheckInRow | None:
        earlier = [row for row in self.rows if row[3] < at]
        return max(earlier, key=lambda row: row[3]) if earlier else None

    def add(self, visit: Visit) -> None:
        if visit.checkin_lat is not None and visit.checkin_lng is not None:
            self.rows.append((visit.checkin_lat, visit.checkin_lng, visit.checkin_accuracy_m, visit.checked_in_at))


def checkin_flags(
    *,
    rep: User,
    at: dt.datetime,
    position: Position | None,
    radius_m: int | None,
    earlier: CheckInsSince | None = None,
) -> list[dict[str, Any]]:
    """Why a check-in's position is doubtful, for the supervisor; the check-in itself is never refused for it.

    - `too_fast`: further from the rep's check-in before it (by time of check-in, whenever either reached the server)
      than travel at MAX_TRAVEL_KMH allows, both positions' GPS accuracy granted; with the distance, minutes and speed.
    - `inaccurate`: a GPS accuracy worse than the radius the visit's geofence asks (with both).
    Queries: one, for the check-in before, unless `earlier` holds it."""
    if position is None:
        return []
    flags: list[dict[str, Any]] = []
    if radius_m is not None and position.accuracy_m is not None and position.accuracy_m > radius_m:
        flags.append({"code": INACCURATE, "accuracy_m": round(position.accuracy_m), "radius_m": radius_m})
    before: Any
    if earlier is not None and earlier.covers(at):
        before = earlier.before(at)
    else:
        # A position: the query keeps only check-ins with one.
        before = (
            _positioned_checkins(rep)
            .filter(checked_in_at__lt=at)
            .order_by("-checked_in_at")
            .values_list(*CHECKIN_ROW_FIELDS)
            .first()
        )
    if before is not None:
        lat, lng, accuracy, then = before
        metres = haversine_m(lat, lng, position.lat, position.lng)
        beyond = max(0.0, metres - (accuracy or 0) - (position.accuracy_m or 0))
        seconds = max((at - then).total_seconds(), 1.0)
        kmh = beyond / seconds * 3.6
        if kmh > MAX_TRAVEL_KMH:
            flags.append(
                {"code": TOO_FAST, "km": round(metres / 1000, 1), "minutes": round(seconds / 60), "kmh": round(kmh)}
            )
    return flags


def _order_lines(
    lines: Iterable[Mapping[str, Any]], catalog: dict[str, Product] | None = None
) -> list[tuple[Product, Decimal, Decimal]]:
    lines = list(lines)
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": [TOO_MANY_LINES]})
    skus = {str(line.get("product")) for line in lines if isinstance(line, Mapping)}
    products = {} if catalog is None else catalog
    if unknown := skus - products.keys():
        products.update(
            {str(product.pk): product for product in Product.objects.filter(active=True, pk__in=_ints(unknown))}
        )
    parsed: list[tuple[Product, Decimal, Decimal]] = []
    for line in lines:
        if not isinstance(line, Mapping):
            raise ValidationError({"lines": [BAD_LINE]})
        product = products.get(str(line.get("product")))
        if product is None:
            raise ValidationError({"lines": [UNKNOWN_PRODUCT % {"product": line.get("product")}]})
        try:
            quantity = Decimal(str(line.get("quantity")))
            price_given = line.get("unit_price")
            unit_price = product.unit_price if price_given is None else Decimal(str(price_given))
        except InvalidOperation:
            raise ValidationError({"lines": [BAD_LINE]}) from None
        if not quantity.is_finite() or not unit_price.is_finite() or quantity <= 0 or unit_price < 0:
            raise ValidationError({"lines": [BAD_LINE]})
        # The sizes first: quantizing a huge number overflows the decimal context.
        if quantity >= MAX_QUANTITY or unit_price >= MAX_UNIT_PRICE or quantity != quantity.quantize(MILLI):
            raise ValidationError({"lines": [BAD_LINE]})
        parsed.append((product, quantity, unit_price.quantize(CENT, rounding=MONEY_ROUNDING)))
    return parsed


def _ints(values: Iterable[str]) -> list[int]:
    """The ids among `values` (digits only, within a database integer)."""
    return [int(value) for value in values if value.isascii() and value.isdigit() and int(value) < 2**63]


@transaction.atomic
def activity_submit(
    *,
    rep: User,
    submission_id: uuid.UUID,
    visit: Visit,
    activity: Activity,
    values: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] = (),
    at: dt.datetime | None = None,
    catalog: dict[str, Product] | None = None,
) -> ActivitySubmission:
    """Record an activity of the rep's own open visit: its form values and, for an order, its lines.

    `catalog`: the active products already read, by id, which this adds to; a caller recording many orders
    reads each product once."""
    if visit.ended_at is not None:
        raise ValidationError({"visit": [VISIT_ENDED]})
    if activity.workflow_id != visit.workflow_id:
        raise ValidationError({"activity": [NOT_IN_WORKFLOW]})
    if activity.requires_geo_checkin:
        position = (
            Position(visit.checkin_lat, visit.checkin_lng, visit.checkin_accuracy_m)
            if visit.checkin_lat is not None and visit.checkin_lng is not None
            else None
        )
        check_geofence(client=visit.client, position=position, radius_m=activity.radius_m)
    cleaned = validate_attributes(activity.specs(), values)
    order_lines = _priced_lines(activity, lines, catalog)
    submission = ActivitySubmission(
        id=submission_id,
        visit=visit,
        client_id=visit.client_id,
        activity=activity,
        values=cleaned,
        order_total=sum((line.value for line in order_lines), Decimal("0")),
        submitted_at=at or timezone.now(),
    )
    # Inserted now, or with the push's others (fieldsales.db.insert): nothing here reads them back.
    insert(submission)
    for line in order_lines:
        line.submission = submission
    insert(*order_lines)
    _submission_documents(submission=submission, visit=visit, activity=activity)
    if not inserted_later(visit):
        Visit.objects.filter(pk=visit.pk).update(version=F("version") + 1)
    # The row is locked (or this transaction's own): the instance follows it, for a caller that goes on with it.
    visit.version += 1
    resend("visit", [visit.pk])
    if order_lines:
        client_history_changed.send(sender=ActivitySubmission, client_ids=[visit.client_id])
        board_visit_changed(visit.pk)
    return submission


def _priced_lines(
    activity: Activity, lines: Iterable[Mapping[str, Any]], catalog: dict[str, Product] | None
) -> list[OrderLine]:
    """The order lines of an order activity's submission (unsaved), each valued; none for another activity."""
    if activity.kind != ActivityKind.ORDER:
        return []
    parsed = _order_lines(lines, catalog)
    if not parsed:
        raise ValidationError({"lines": [ORDER_NEEDS_LINES]})
    order_lines = [
        OrderLine(
            product=product,
            quantity=quantity,
            unit_price=price,
            value=(quantity * price).quantize(CENT, rounding=MONEY_ROUNDING),
        )
        for product, quantity, price in parsed
    ]
    if sum((line.value for line in order_lines), Decimal("0")) >= MAX_AMOUNT:
        raise ValidationError({"lines": [ORDER_TOO_LARGE]})
    return order_lines


def _submission_documents(*, submission: ActivitySubmission, visit: Visit, activity: Activity) -> None:
    """What a submission brings besides itself: the order of an order activity, the photos of its photo fields."""
    if activity.kind == ActivityKind.ORDER:
        insert(
            Order(
                submission=submission,
                client_id=submission.client_id,
                rep_id=visit.rep_id,
                ordered_at=submission.submitted_at,
                total=submission.order_total,
            )
        )
    insert(*submission_photos(submission=submission, specs=activity.specs()))


def submission_photos(*, submission: ActivitySubmission, specs: Iterable[AttributeSpec]) -> list[SubmissionPhoto]:
    """The photos the submission's values name in its photo fields (unsaved), those whose photo was uploaded: a
    phone uploads a photo before the op that names it, so a missing one was never sent and has nothing to show."""
    named = {
        spec.key: str(submission.values[spec.key])
        for spec in specs
        if spec.type == AttributeType.PHOTO and submission.values.get(spec.key)
    }
    if not named:
        return []
    uploaded = {str(pk) for pk in Blob.objects.filter(pk__in=list(named.values())).values_list("pk", flat=True)}
    return [
        SubmissionPhoto(submission=submission, key=key, blob_id=blob_id)
        for key, blob_id in named.items()
        if blob_id in uploaded
    ]


# Orders -------------------------------------------------------------------------------------------------------------

# Where an order may go from where it is; delivered and cancelled are final.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.SUBMITTED: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
}
ORDER_TRANSITION_REFUSED = _("This order is “%(current)s”: it cannot become “%(status)s”.")


def order_next_statuses(*, order: Order) -> list[str]:
    """The statuses `order` may go to from its own, in the order of the statuses."""
    allowed = ORDER_TRANSITIONS.get(order.status, frozenset())
    return [status for status in OrderStatus.values if status in allowed]


@transaction.atomic
def orders_transition(*, user: User, orders: QuerySet[Order], status: str) -> list[Order]:
    """Move each of `orders` that may go to `status` from its own (ORDER_TRANSITIONS) there, stamped with `user` and
    the moment; the others stay as they are. Returns the orders moved. Their visits reach the reps' phones again
    (their records say where each order stands); a cancelled order leaves the client's figures (its KPI cards
    follow). Queries: a few, whatever the number of orders."""
    sources = [source for source, targets in ORDER_TRANSITIONS.items() if status in targets]
    # Locked, so that two clerks moving the same order apply one after the other, the second from where the first
    # left it. Read through a subquery: the admin's selection may be a DISTINCT, which cannot be locked.
    moved = list(
        Order.objects.select_for_update(of=("self",))
        .filter(pk__in=orders.values("pk"), status__in=sources)
        .select_related("submission")
        .order_by("pk")
    )
    if not moved:
        return []
    now = timezone.now()
    stamps = {f"{status}_at": now, f"{status}_by": user}
    Order.objects.filter(pk__in=[order.pk for order in moved]).update(status=status, **stamps)
    for order in moved:
        order.status = status
        for name, value in stamps.items():
            setattr(order, name, value)
    # The rep's phone shows where the order stands in the visit's record.
    visit_ids = sorted({order.submission.visit_id for order in moved})
    Visit.objects.filter(pk__in=visit_ids).update(version=F("version") + 1)
    resend("visit", visit_ids)
    if status == OrderStatus.CANCELLED:
        client_history_changed.send(sender=Order, client_ids=sorted({order.client_id for order in moved}))
    return moved


def order_transition(*, user: User, order: Order, status: str) -> Order:
    """Move `order` to `status`, or raise a ValidationError on `status` saying why not (ORDER_TRANSITIONS)."""
    moved = orders_transition(user=user, orders=Order.objects.filter(pk=order.pk), status=status)
    if not moved:
        current = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first() or order.status
        labels = dict(OrderStatus.choices)
        message = ORDER_TRANSITION_REFUSED % {
            "current": labels.get(current, current),
            "status": labels.get(status, status),
        }
        raise ValidationError({"status": [ValidationError(message, code="invalid_transition")]})
    return moved[0]


# Photos -------------------------------------------------------------------------------------------------------------

# A thumbnail's longer side: twice the back office's grid cell, for screens of two pixels a point.
THUMBNAIL_SIDE = 400
THUMBNAIL_QUALITY = 80


def photo_thumbnail(*, blob: Blob) -> str:
    """The storage name of a small JPEG of `blob`, made the first time it is asked for and kept beside the photos.
    Photos are stored already turned upright and without metadata (fieldsales.sync.blobs)."""
    name = f"thumbnails/{blob.pk.hex[:2]}/{blob.pk}.jpg"
    if default_storage.exists(name):
        return name
    with blob.file.open("rb") as source, Image.open(source) as image:
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        image.convert("RGB").save(output, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    # Two first requests at once may both write it: the second copy gets another name, the same picture.
    return default_storage.save(name, ContentFile(output.getvalue()))


@transaction.atomic
def visit_end(*, rep: User, visit: Visit, at: dt.datetime | None = None) -> Visit:
    if visit.ended_at is not None:
        raise ValidationError({"visit": [VISIT_ENDED]})
    ended_at = at or timezone.now()
    if ended_at < visit.checked_in_at:
        raise ValidationError({"at": [END_BEFORE_START]})
    visit.ended_at = ended_at
    visit.version += 1
    if not inserted_later(visit):
        visit.save(update_fields=["ended_at", "version"])
    resend("visit", [visit.pk])
    board_visit_changed(visit.pk)
    return visit


@transaction.atomic
def note_create(
    *,
    author: User,
    note_id: uuid.UUID,
    client: Client,
    visit: Visit | None,
    text: Any,
    at: dt.datetime | None = None,
) -> Note:
    if visit is not None and visit.client_id != client.pk:
        raise ValidationError({"visit": [NOTE_VISIT_ELSEWHERE]})
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError({"text": [EMPTY_NOTE]})
    if len(text) > 5000:
        raise ValidationError({"text": [NOTE_TOO_LONG]})
    note = Note(id=note_id, client=client, visit=visit, author=author, text=text, created_at=at or timezone.now())
    insert(note)
    publish("note", [note.pk])
    return note


@transaction.atomic
def workflow_changed(*, workflow: Workflow) -> None:
    """After the back office edits a workflow or its activities: a new version reaches every rep."""
    Workflow.objects.filter(pk=workflow.pk).update(version=workflow.version + 1)
    workflow.version += 1
    publish("workflow", [workflow.pk])


@transaction.atomic
def product_changed(*, product: Product) -> None:
    Product.objects.filter(pk=product.pk).update(version=product.version + 1)
    product.version += 1
    publish("product", [product.pk])


@transaction.atomic
def products_write(*, created: Iterable[Product], updated: Iterable[Product]) -> None:
    """Write checked products in bulk as `product_changed` would one by one: a changed product gets a new version and
    every product written reaches the reps' catalogues. Queries depend on the batches of 500, not on the products."""
    created, updated = list(created), list(updated)
    Product.objects.bulk_create(created, batch_size=500)
    for product in updated:
        product.version += 1
    Product.objects.bulk_update(updated, ["name", "unit_price", "active", "version"], batch_size=500)
    written = [product.pk for product in [*created, *updated]]
    if written:
        publish("product", written)
