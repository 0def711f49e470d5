"""The back office's orders: newest first, filtered by date, rep, client and status, with the total of what the
filters keep; an order's page with its lines as a table and buttons for the steps it may take; the actions on many;
the export; a supervisor's team only."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.utils import timezone
from django.utils.html import strip_tags

from fieldsales.models import Profile
from tests.factories import (
    ActivityFactory,
    ClientFactory,
    OrderLineFactory,
    ProductFactory,
    RepFactory,
    SubmissionFactory,
    SupervisorFactory,
    VisitFactory,
    signed_in,
)
from workflows.models import ActivityKind, Order, OrderStatus
from workflows.services import order_transition

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/workflows/order/"
NOON = timezone.make_aware(dt.datetime(2026, 11, 20, 12))


def page_of(order: Order) -> str:
    return f"{CHANGELIST}{order.pk}/change/"


def status_url(order: Order) -> str:
    return f"{CHANGELIST}{order.pk}/status/"


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def text_of(response: Any) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def table_rows(html: str, css_class: str) -> list[list[str]]:
    """The cells' texts of each row of the table of this class, spaces as a reader sees them."""
    table = re.search(rf'<table class="{css_class}">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows]
    return [[" ".join(strip_tags(cell).split()) for cell in row] for row in cells]


def make_order(
    rep: Any, client: Any, total: str, *, at: dt.datetime = NOON, lines: list[tuple[str, str, str]] = ()
) -> Order:
    """An order as activity_submit leaves it: its submission, lines and order row."""
    visit = VisitFactory(rep=rep, client=client, checked_in_at=at)
    submission = SubmissionFactory(
        visit=visit, activity=ActivityFactory(kind=ActivityKind.ORDER), submitted_at=at, order_total=Decimal(total)
    )
    for name, quantity, price in lines:
        product = ProductFactory(name=name, sku=name.split()[0].upper(), unit_price=Decimal(price))
        OrderLineFactory(
            submission=submission,
            product=product,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            value=Decimal(quantity) * Decimal(price),
        )
    return Order.objects.create(submission=submission, client=client, rep=rep, ordered_at=at, total=Decimal(total))


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    """Bintou supervises Awa; Koffi is another supervisor's rep."""
    bintou = SupervisorFactory(username="bintou", is_staff=True)
    awa = RepFactory(username="awa", first_name="Awa", last_name="Koné")
    koffi = RepFactory(username="koffi", first_name="Koffi", last_name="Yao")
    Profile.objects.create(user=awa, supervisor=bintou)
    Profile.objects.create(user=koffi, supervisor=SupervisorFactory(username="moussa", is_staff=True))
    return {"bintou": bintou, "awa": awa, "koffi": koffi}


@pytest.fixture
def orders(team, clerk):  # type: ignore[no-untyped-def]
    """Five orders over three days at two shops, by Awa and Koffi, in each status."""
    awa, koffi = team["awa"], team["koffi"]
    marche, gare = ClientFactory(name="Épicerie du Marché"), ClientFactory(name="Boutique de la Gare")
    day = dt.timedelta(days=1)
    made = {
        "old": make_order(awa, marche, "1000.00", at=NOON - 2 * day),
        "confirmed": make_order(awa, gare, "2500.50", at=NOON - day),
        "delivered": make_order(koffi, marche, "12000.00", at=NOON - day),
        "cancelled": make_order(koffi, gare, "400.00", at=NOON),
        "new": make_order(awa, marche, "3000.00", at=NOON + dt.timedelta(hours=1)),
    }
    order_transition(user=clerk, order=made["confirmed"], status=OrderStatus.CONFIRMED)
    order_transition(user=clerk, order=made["delivered"], status=OrderStatus.CONFIRMED)
    order_transition(user=clerk, order=made["delivered"], status=OrderStatus.DELIVERED)
    order_transition(user=clerk, order=made["cancelled"], status=OrderStatus.CANCELLED)
    return made


def listed(response: Any) -> list[int]:
    return [order.pk for order in response.context["cl"].result_list]


# The list ----------------------------------------------------------------------------------------------------------


def test_orders_are_listed_newest_first(clerk_client, orders):
    response = clerk_client.get(CHANGELIST)

    assert listed(response) == [orders[name].pk for name in ("new", "cancelled", "delivered", "confirmed", "old")]


@pytest.mark.parametrize(
    ("query", "expected", "count", "amount", "cancelled"),
    [
        ("", ["new", "cancelled", "delivered", "confirmed", "old"], 5, "18900.50", (1, "400.00")),
        ("?status=delivered", ["delivered"], 1, "12000.00", (0, "0")),
        ("?rep={awa}", ["new", "confirmed", "old"], 3, "6500.50", (0, "0")),
        ("?client=march", ["new", "delivered", "old"], 3, "16000.00", (0, "0")),
        ("?client=gare&rep={koffi}", ["cancelled"], 1, "400.00", (1, "400.00")),
        ("?ordered_at__day=19&ordered_at__month=11&ordered_at__year=2026", ["delivered", "confirmed"], 2,
         "14500.50", (0, "0")),
    ],
)  # fmt: skip
def test_the_list_totals_the_orders_its_filters_keep(clerk_client, orders, team, query, expected, count, amount,
                                                      cancelled):  # fmt: skip
    response = clerk_client.get(CHANGELIST + query.format(awa=team["awa"].pk, koffi=team["koffi"].pk))

    totals = response.context["totals"]
    assert listed(response) == [orders[name].pk for name in expected]
    assert (totals["count"], totals["amount"]) == (count, Decimal(amount))
    assert (totals["cancelled_count"], totals["cancelled_amount"]) == (cancelled[0], Decimal(cancelled[1]))


def test_the_total_reads_in_the_clerks_language(clerk_fr, orders):
    page = text_of(clerk_fr.get(CHANGELIST + "?status=delivered"))

    assert "12 000,00 FCFA" in page.replace("\N{NO-BREAK SPACE}", " ").replace("\N{NARROW NO-BREAK SPACE}", " ")


def test_an_order_is_found_by_its_number(clerk_client, orders):
    response = clerk_client.get(CHANGELIST, {"q": str(orders["confirmed"].pk)})

    assert orders["confirmed"].pk in listed(response)


def test_the_list_takes_the_same_queries_whatever_the_number_of_orders(clerk_client, team, django_assert_num_queries):
    shop = ClientFactory(name="Épicerie du Marché")
    for number in range(30):
        make_order(team["awa"] if number % 2 else team["koffi"], shop, "1000.00")

    # The session; the user; their own and their groups' permissions; whether they supervise a team; the reps of the
    # rep filter; the count of the page; the page of orders with their clients and reps; the totals; the first and
    # last dates, then the days, of the date hierarchy.
    with django_assert_num_queries(11):
        response = clerk_client.get(CHANGELIST)

    assert len(listed(response)) == 30


# An order's page ---------------------------------------------------------------------------------------------------


def test_an_orders_page_shows_its_lines_with_quantities_prices_values_and_total_in_the_readers_locale(clerk_fr, team):
    order = make_order(
        team["awa"],
        ClientFactory(name="Épicerie du Marché"),
        "19250.00",
        lines=[("Huile Dinor 1 L", "12", "1500.00"), ("Riz parfumé 5 kg", "0.5", "2500.00")],
    )

    rows = table_rows(clerk_fr.get(page_of(order)).content.decode(), "order-lines")

    assert rows == [
        ["Produit", "SKU", "Quantité", "Prix unitaire", "Montant"],
        ["Huile Dinor 1 L", "HUILE", "12", "1 500,00", "18 000,00"],
        ["Riz parfumé 5 kg", "RIZ", "0,5", "2 500,00", "1 250,00"],
        ["Total", "19 250,00 FCFA"],
    ]


def test_an_orders_page_offers_the_clerk_the_steps_the_order_may_take_and_a_supervisor_none(clerk_client, orders, team):
    def buttons(http: Any, order: Order) -> dict[str, str]:
        return dict(http.get(page_of(order)).context.get("order_moves") or [])

    supervisor = signed_in(team["bintou"])

    assert set(buttons(clerk_client, orders["old"])) == {OrderStatus.CONFIRMED, OrderStatus.CANCELLED}
    assert set(buttons(clerk_client, orders["confirmed"])) == {OrderStatus.DELIVERED, OrderStatus.CANCELLED}
    assert buttons(clerk_client, orders["delivered"]) == {}
    assert buttons(supervisor, orders["old"]) == {}
    assert supervisor.get(page_of(orders["old"])).context["has_change_permission"] is False


def test_a_button_moves_the_order_on_and_its_history_says_who(clerk_client, clerk, orders):
    order = orders["old"]

    response = clerk_client.post(status_url(order), {"status": OrderStatus.CONFIRMED})

    stored = Order.objects.get(pk=order.pk)
    assert response.status_code == 302 and response["Location"] == page_of(order)
    assert (stored.status, stored.confirmed_by) == (OrderStatus.CONFIRMED, clerk)
    assert messages_of(response) == ["1 order confirmed."]
    entry = LogEntry.objects.get(object_id=str(order.pk))
    assert (entry.user, entry.get_change_message()) == (clerk, "Changed status.")


def test_a_step_the_order_may_not_take_is_refused_and_says_why(clerk_client, orders):
    order = orders["delivered"]

    response = clerk_client.post(status_url(order), {"status": OrderStatus.CANCELLED})

    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
    assert messages_of(response) == ["This order is “Delivered”: it cannot become “Cancelled”."]
    assert not LogEntry.objects.exists()


def test_a_supervisor_cannot_move_an_order_on(team, orders):
    order = orders["old"]

    response = signed_in(team["bintou"]).post(status_url(order), {"status": OrderStatus.CONFIRMED})

    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED


# Actions on many ---------------------------------------------------------------------------------------------------


def act(http: Any, action: str, orders: list[Order], **extra: Any) -> Any:
    return http.post(CHANGELIST, {"action": action, "_selected_action": [o.pk for o in orders], **extra})


def test_confirming_many_confirms_those_that_may_be_and_says_how_many_were_left(clerk_client, orders):
    response = act(clerk_client, "confirm", [orders["old"], orders["new"], orders["delivered"]])

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert (statuses[orders["old"].pk], statuses[orders["new"].pk]) == (OrderStatus.CONFIRMED,) * 2
    assert statuses[orders["delivered"].pk] == OrderStatus.DELIVERED
    assert messages_of(response) == [
        "2 orders confirmed.",
        "1 order was left as it was: its status does not allow it.",
    ]


def test_cancelling_many_asks_first_with_what_it_would_cancel(clerk_client, orders):
    chosen = [orders["old"], orders["confirmed"], orders["delivered"]]

    asked = act(clerk_client, "cancel", chosen)
    untouched = dict(Order.objects.values_list("pk", "status"))
    done = act(clerk_client, "cancel", chosen, post="yes")

    assert asked.status_code == 200
    assert (asked.context["cancellable"], asked.context["totals"]["amount"]) == (2, Decimal("3500.50"))
    assert untouched[orders["old"].pk] == OrderStatus.SUBMITTED
    assert [Order.objects.get(pk=o.pk).status for o in chosen] == [
        OrderStatus.CANCELLED,
        OrderStatus.CANCELLED,
        OrderStatus.DELIVERED,
    ]
    assert messages_of(done)[0] == "2 orders cancelled."


# The export, and a supervisor's team -------------------------------------------------------------------------------


def test_the_export_writes_each_order_the_filters_keep_with_its_status(clerk_client, orders):
    form = clerk_client.get(CHANGELIST + "export/?status=delivered").context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    data.update({"format": "0", "resource": "0"})  # CSV

    exported = clerk_client.post(CHANGELIST + "export/?status=delivered", data).content.decode("utf-8-sig")

    header, *rows = exported.strip().splitlines()
    assert header.split(",")[:7] == ["number", "ordered_at", "client", "client_id", "rep", "status", "total"]
    assert len(rows) == 1
    number, _at, client, _client_id, rep, status, total = rows[0].split(",")[:7]
    assert (number, client, rep, status, total) == (
        str(orders["delivered"].pk),
        "Épicerie du Marché",
        "koffi",
        "Delivered",
        "12000.00",
    )


def test_a_supervisor_lists_and_totals_their_reps_orders_only(team, orders):
    response = signed_in(team["bintou"]).get(CHANGELIST)

    assert listed(response) == [orders[name].pk for name in ("new", "confirmed", "old")]
    assert (response.context["totals"]["count"], response.context["totals"]["amount"]) == (3, Decimal("6500.50"))
    rep_choices = {str(choice["display"]) for spec in response.context["cl"].filter_specs
                   if spec.title == "rep" for choice in spec.choices(response.context["cl"])}  # fmt: skip
    assert "Awa Koné" in rep_choices and "Koffi Yao" not in rep_choices
