"""The rows the clients hang on: the points-of-sale list with its schema and access, the products, the workflows and
their activities, and the KPI definitions."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractUser, Group
from django.utils import timezone

from clients.models import AttributeDefinition, ClientList, ListAccess
from clients.services import client_list_schema_changed
from fieldsales.accounts import REPS
from fieldsales.demo.data import (
    ATTRIBUTES,
    LIST_DESCRIPTION,
    LIST_NAME,
    ORDER_TAKING,
    PRODUCTS,
    REP_USERNAMES,
    SALES_VISIT,
    SHELF_CHECK,
    WORKFLOWS,
)
from fieldsales.demo.identity import ensure
from fieldsales.demo.kpis import seed_kpi_definitions
from fieldsales.demo.rows import Demo
from workflows.models import Activity, Product, Workflow


def seed_reference_data(users: dict[str, AbstractUser]) -> Demo:
    """Everything but the clients and their history, and what the client builders need of it."""
    client_list = seed_client_list()
    specs = ClientList.objects.prefetch_related("attributes").get(pk=client_list.pk).specs()
    products = seed_products()
    workflows, activities = seed_workflows(client_list)
    seed_kpi_definitions()
    return Demo(
        today=timezone.localdate(),
        list_id=client_list.pk,
        specs=specs,
        clerk_id=users["clerk"].pk,
        rep_ids={username: users[username].pk for username in REP_USERNAMES},
        products=products,
        sales_visit_id=workflows[SALES_VISIT].pk,
        shelf_check_id=activities[SHELF_CHECK].pk,
        shelf_specs=activities[SHELF_CHECK].specs(),
        order_taking_id=activities[ORDER_TAKING].pk,
    )


def seed_client_list() -> ClientList:
    """The points-of-sale list, its attributes (a missing one is added, an existing one left as the back office
    made it), and the reps' right to create and edit its clients."""
    client_list, list_created = ensure(ClientList, {"name": LIST_NAME}, {"description": LIST_DESCRIPTION})
    schema_grew = False
    for position, attribute in enumerate(ATTRIBUTES, start=1):
        lookup = {"client_list": client_list, "key": attribute["key"]}
        defaults = {name: value for name, value in attribute.items() if name != "key"}
        schema_grew |= ensure(AttributeDefinition, lookup, {**defaults, "order": position * 10})[1]
    if schema_grew and not list_created:
        # A list that phones may already hold: bump its version and re-index its clients' search text.
        client_list_schema_changed(client_list=client_list)
    reps = Group.objects.get(name=REPS)
    ensure(
        ListAccess,
        {"client_list": client_list, "group": reps},
        {"can_create": True, "can_edit": True, "can_archive": False},
    )
    return client_list


def seed_products() -> list[Product]:
    """The catalogue, by SKU: the order in which the history draws from it."""
    for sku, name, price in PRODUCTS:
        ensure(Product, {"sku": sku}, {"name": name, "unit_price": Decimal(price)})
    return list(Product.objects.filter(sku__in=[sku for sku, _name, _price in PRODUCTS]).order_by("sku"))


def seed_workflows(client_list: ClientList) -> tuple[dict[str, Workflow], dict[str, Activity]]:
    """The workflows offered on the list and their activities, each by French name."""
    activities: dict[str, Activity] = {}
    workflows: dict[str, Workflow] = {}
    for spec in WORKFLOWS:
        defaults = {"name_en": spec["name_en"], "order": spec["order"]}
        workflow, _created = ensure(Workflow, {"name_fr": spec["name_fr"]}, defaults)
        workflow.client_lists.add(client_list)
        workflows[spec["name_fr"]] = workflow
        for position, activity in enumerate(spec["activities"], start=1):
            lookup = {"workflow": workflow, "name_fr": activity["name_fr"]}
            defaults = {name: value for name, value in activity.items() if name != "name_fr"}
            activities[activity["name_fr"]] = ensure(Activity, lookup, {**defaults, "order": position})[0]
    return workflows, activities
