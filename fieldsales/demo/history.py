"""Six months of a client's history: visits every two to four weeks, each with a shelf check now and then, an order,
sometimes a note, and the ledger entries of the order.

Every draw is made whatever the date, and a row's existence depends on offsets in days only, so the same rows come
out on any day (their dates move with today, their identities do not).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from clients.models import Client
from clients.schema import validate_attributes
from fieldsales.demo.data import HISTORY_DAYS, QUANTITIES, SHELF_COMMENTS, SHELF_PLACEMENTS, VISIT_NOTES
from fieldsales.demo.identity import demo_id, demo_random
from fieldsales.demo.ledger import build_ledger_entries, draw_payment_habit, money
from fieldsales.demo.rows import Batch, Demo, SalesByRepMonth
from fieldsales.geo import haversine_m, offset_point
from workflows.models import ActivitySubmission, Note, Order, OrderLine, OrderStatus, Visit


@dataclass(frozen=True)
class ClientHistory:
    """One client's history in the making: its generator, what it is drawn from, and where its rows go."""

    index: int
    client: Client
    rep_ids: list[int]
    position: tuple[float, float]
    rng: random.Random
    demo: Demo
    batch: Batch


def build_history(
    index: int, client: Client, rep_ids: list[int], position: tuple[float, float], demo: Demo, batch: Batch
) -> SalesByRepMonth:
    """Six months of visits, orders, shelf checks, notes and ledger entries for one client, added to `batch`.
    Returns the client's order totals by rep and month."""
    rng = demo_random("history", index)
    lapsed_after = rng.randint(60, 120) if rng.random() < 0.1 else 0  # no visit since then: an inactive client
    habit = draw_payment_habit(rng)
    history = ClientHistory(index, client, rep_ids, position, rng, demo, batch)
    sales: SalesByRepMonth = defaultdict(Decimal)
    for number, offset in enumerate(reversed(visit_offsets(rng, lapsed_after)), start=1):
        day = demo.today - dt.timedelta(days=offset)
        if day.weekday() == 6:  # shops are visited Monday to Saturday
            day -= dt.timedelta(days=1)
        checked_in_at, ended_at = visit_times(rng, day)
        visit = build_visit(history, number, checked_in_at, ended_at)
        total = build_visit_activities(history, number, visit, ended_at)
        sales[(visit.rep_id, day.year, day.month)] += total
        if not total:
            continue
        batch.ledger.extend(
            build_ledger_entries(
                rng,
                client_id=client.id,
                reference=f"{index + 1:05d}-{number:03d}",
                day=day,
                offset=offset,
                total=total,
                habit=habit,
            )
        )
    return sales


def visit_offsets(rng: random.Random, lapsed_after: int) -> list[int]:
    """The days before today of the client's visits, latest first: every two to four weeks over HISTORY_DAYS, none
    in the last `lapsed_after` days."""
    offsets: list[int] = []
    offset = rng.randint(1, 21)
    while offset <= HISTORY_DAYS:
        if offset >= lapsed_after:
            offsets.append(offset)
        offset += rng.randint(14, 28)
    return offsets


def visit_times(rng: random.Random, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """When a visit on `day` starts, between 8:00 and 17:30, and when it ends, 10 to 40 minutes later."""
    # Abidjan is on UTC all year: these are local times too.
    checked_in_at = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC) + dt.timedelta(
        minutes=rng.randint(0, 9 * 60 + 30)
    )
    return checked_in_at, checked_in_at + dt.timedelta(minutes=rng.randint(10, 40))


def build_visit(history: ClientHistory, number: int, checked_in_at: dt.datetime, ended_at: dt.datetime) -> Visit:
    """The client's visit `number`: a check-in within 40 m of the shop by one of its reps."""
    rng = history.rng
    client_lat, client_lng = history.position
    lat, lng = offset_point(client_lat, client_lng, rng.uniform(1, 38), rng.uniform(0, 360))
    lat, lng = round(lat, 6), round(lng, 6)
    rep_id = rng.choice(history.rep_ids)
    visit = Visit(
        id=demo_id("visit", history.index, number),
        rep_id=rep_id,
        client_id=history.client.id,
        workflow_id=history.demo.sales_visit_id,
        checkin_lat=lat,
        checkin_lng=lng,
        checkin_accuracy_m=round(rng.uniform(5, 30), 1),
        distance_m=round(haversine_m(client_lat, client_lng, lat, lng), 1),
        checked_in_at=checked_in_at,
        ended_at=ended_at,
    )
    history.batch.visits.append(visit)
    return visit


def build_visit_activities(history: ClientHistory, number: int, visit: Visit, ended_at: dt.datetime) -> Decimal:
    """What the rep did during the visit: a shelf check (six visits in ten), an order (four visits in five: the
    strike rate a supervisor reads) and a note (one in four). Returns the order's total, 0 without one."""
    shelf_draw, note_draw = history.rng.random(), history.rng.random()
    build_shelf_check(history, number, visit, made=shelf_draw < 0.6)
    ordered = demo_random("order-made", history.index * 1000 + number).random() < 0.8
    total = build_order(history, number, visit, ended_at) if ordered else Decimal(0)
    build_note(history, number, visit, ended_at, made=note_draw < 0.25)
    return total


def build_shelf_check(history: ClientHistory, number: int, visit: Visit, *, made: bool) -> None:
    """The shelf-check form, submitted a few minutes into the visit. Its values are drawn even when it is not
    `made`, so that the draws after it stay the same."""
    rng, demo = history.rng, history.demo
    shelf = {
        "part_rayon": rng.randint(5, 60),
        "rupture": rng.random() < 0.2,
        "emplacement": rng.choice(SHELF_PLACEMENTS),
    }
    comment = rng.choice(SHELF_COMMENTS)
    if rng.random() < 0.3:
        shelf["commentaire"] = comment
    if made:
        history.batch.submissions.append(
            ActivitySubmission(
                id=demo_id("shelf", history.index, number),
                visit_id=visit.id,
                client_id=visit.client_id,
                activity_id=demo.shelf_check_id,
                values=validate_attributes(demo.shelf_specs, shelf),
                submitted_at=visit.checked_in_at + dt.timedelta(minutes=rng.randint(2, 6)),
            )
        )


def build_order(history: ClientHistory, number: int, visit: Visit, ended_at: dt.datetime) -> Decimal:
    """One to four of the products in round quantities at their list price, submitted just before the visit ends.
    Returns its total."""
    rng, demo = history.rng, history.demo
    order_id = demo_id("order", history.index, number)
    total = Decimal(0)
    for product in rng.sample(demo.products, rng.randint(1, 4)):
        quantity = Decimal(rng.choice(QUANTITIES))
        value = money(quantity * product.unit_price)
        total += value
        history.batch.lines.append(
            OrderLine(
                submission_id=order_id,
                product_id=product.pk,
                quantity=quantity,
                unit_price=product.unit_price,
                value=value,
            )
        )
    submission = ActivitySubmission(
        id=order_id,
        visit_id=visit.id,
        client_id=visit.client_id,
        activity_id=demo.order_taking_id,
        values={},
        order_total=total,
        submitted_at=ended_at - dt.timedelta(minutes=rng.randint(1, 3)),
    )
    history.batch.submissions.append(submission)
    history.batch.orders.append(build_order_document(history, number, submission, visit.rep_id))
    return total


def build_order_document(history: ClientHistory, number: int, submission: ActivitySubmission, rep_id: int) -> Order:
    """The order as the back office has followed it: confirmed by the clerk a day or two later, delivered two days
    after that; the last days' still waiting. None cancelled: every order of the demo is invoiced (its ledger). Drawn
    apart from the history's draws, which stay the same."""
    rng = demo_random("order-status", history.index * 1000 + number)
    order = Order(
        submission_id=submission.id,
        client_id=submission.client_id,
        rep_id=rep_id,
        ordered_at=submission.submitted_at,
        total=submission.order_total,
    )
    age = (history.demo.today - submission.submitted_at.date()).days
    confirmed = submission.submitted_at + dt.timedelta(days=rng.randint(1, 2), hours=rng.randint(1, 6))
    steps = [(OrderStatus.CONFIRMED, confirmed)] if age >= 2 else []
    steps += [(OrderStatus.DELIVERED, confirmed + dt.timedelta(days=2))] if age >= 5 else []
    for status, at in steps:
        order.status = status
        setattr(order, f"{status}_at", at)
        setattr(order, f"{status}_by_id", history.demo.clerk_id)
    return order


def build_note(history: ClientHistory, number: int, visit: Visit, ended_at: dt.datetime, *, made: bool) -> None:
    """The rep's note on the visit, written as it ends. Its text is drawn even when it is not `made`."""
    text = " ".join(history.rng.sample(VISIT_NOTES, history.rng.randint(1, 2)))
    if made:
        history.batch.notes.append(
            Note(
                id=demo_id("note", history.index, number),
                client_id=history.client.id,
                visit_id=visit.id,
                author_id=visit.rep_id,
                text=text,
                created_at=ended_at,
            )
        )
