"""factory_boy factories for the domain models, and the few makers that go through the app's services."""

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client as HttpClient
from django.utils import timezone

from clients.models import Assignment, AttributeDefinition, Client, ClientList, ListAccess
from clients.schema import AttributeType, search_text
from clients.services import client_create
from fieldsales.accounts import BACK_OFFICE, MANAGERS, REPS, SUPERVISORS
from kpis.models import LedgerEntry
from workflows.models import Activity, ActivityKind, ActivitySubmission, Note, OrderLine, Product, Visit, Workflow

# Abidjan's centre: where `make_client` puts a client unless told otherwise.
ABIDJAN = (5.3599, -4.0083)

T = TypeVar("T")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "fieldsales")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        self.save()
        for role in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=role)[0])


class RepFactory(UserFactory):
    username = factory.Sequence(lambda n: f"rep{n}")
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: (user.save(), user.groups.add(Group.objects.get_or_create(name=REPS)[0]))
    )


class SupervisorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"sup{n}")
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: (
            user.save(),
            user.groups.add(Group.objects.get_or_create(name=SUPERVISORS)[0]),
        )
    )


class BackOfficeFactory(UserFactory):
    username = factory.Sequence(lambda n: f"clerk{n}")
    is_staff = True
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: (
            user.save(),
            user.groups.add(Group.objects.get_or_create(name=BACK_OFFICE)[0]),
        )
    )


class ManagerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    is_staff = True
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: (
            user.save(),
            user.groups.add(Group.objects.get_or_create(name=MANAGERS)[0]),
        )
    )


class ClientListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientList
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Points de vente {n}")


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeDefinition

    client_list = factory.SubFactory(ClientListFactory)
    key = factory.Sequence(lambda n: f"attr{n}")
    label_en = factory.LazyAttribute(lambda a: a.key.replace("_", " ").title())
    label_fr = factory.LazyAttribute(lambda a: a.key.replace("_", " ").title())
    type = AttributeType.TEXT
    order = factory.Sequence(lambda n: n)


def make_pos_list(name: str = "Points de vente") -> ClientList:
    """A list with one attribute of each interesting type: quartier (text, required, important),
    categorie (choice, required, important), surface_m2 (integer), ca_mensuel (decimal),
    ouverture (date), frigo (boolean), services (multiple choice), gerant_email (email)."""
    client_list = ClientListFactory(name=name)
    AttributeFactory(
        client_list=client_list,
        key="quartier",
        label_en="District",
        label_fr="Quartier",
        required=True,
        important=True,
        order=1,
    )
    AttributeFactory(
        client_list=client_list,
        key="categorie",
        label_en="Category",
        label_fr="Catégorie",
        type=AttributeType.CHOICE,
        options=["Épicerie", "Boutique", "Supermarché"],
        required=True,
        important=True,
        order=2,
    )
    AttributeFactory(
        client_list=client_list,
        key="surface_m2",
        label_en="Area (m²)",
        label_fr="Surface (m²)",
        type=AttributeType.INTEGER,
        order=3,
    )
    AttributeFactory(
        client_list=client_list,
        key="ca_mensuel",
        label_en="Monthly turnover",
        label_fr="CA mensuel",
        type=AttributeType.DECIMAL,
        order=4,
    )
    AttributeFactory(
        client_list=client_list,
        key="ouverture",
        label_en="Opened on",
        label_fr="Ouverture",
        type=AttributeType.DATE,
        order=5,
    )
    AttributeFactory(
        client_list=client_list, key="frigo", label_en="Fridge", label_fr="Frigo", type=AttributeType.BOOLEAN, order=6
    )
    AttributeFactory(
        client_list=client_list,
        key="services",
        label_en="Services",
        label_fr="Services",
        type=AttributeType.MULTIPLE_CHOICE,
        options=["Mobile money", "Livraison", "Crédit"],
        order=7,
    )
    AttributeFactory(
        client_list=client_list,
        key="gerant_email",
        label_en="Manager email",
        label_fr="Email du gérant",
        type=AttributeType.EMAIL,
        order=8,
    )
    return client_list


def with_client_code(client_list: ClientList) -> ClientList:
    """`client_list` with a client code as its business key (a unique `code` attribute, first), read back with its
    attributes as the import reads a list."""
    AttributeFactory(
        client_list=client_list, key="code", label_en="Client code", label_fr="Code client", unique=True, order=0
    )
    return ClientList.objects.prefetch_related("attributes").get(pk=client_list.pk)


def reps_may_edit(client_list: ClientList) -> ClientList:
    """`client_list`, on which the Reps group may now create and edit clients, not archive them."""
    reps = Group.objects.get_or_create(name=REPS)[0]
    ListAccess.objects.create(client_list=client_list, group=reps, can_create=True, can_edit=True)
    return client_list


def make_client(
    client_list: ClientList,
    name: str = "Épicerie Chez Awa",
    attributes: dict[str, Any] | None = None,
    *,
    user: Any = None,
    reps: Iterable[Any] = (),
    **core: Any,
) -> Client:
    """A client made by `client_create`, so its version, search text and feed entries are what the app writes:
    at Abidjan's centre, with the required attributes of `make_pos_list` unless `attributes` says otherwise,
    assigned to `reps`. `ClientFactory` writes the row alone, for tests that need a client but not its rules."""
    data = {"name": name, "lat": ABIDJAN[0], "lng": ABIDJAN[1], "accuracy_m": 8.0, **core}
    data["attributes"] = {"quartier": "Cocody", "categorie": "Boutique"} if attributes is None else attributes
    return client_create(user=user, client_list=client_list, data=data, reps=list(reps))


def make_coded_shops(codes: Iterable[str] = ("C001", "C002")) -> dict[str, Client]:
    """Points of sale on a points-of-sale list keyed by client code (`with_client_code`): one a code, by code."""
    client_list = with_client_code(make_pos_list())
    attributes = {"quartier": "Cocody", "categorie": "Boutique"}
    return {code: make_client(client_list, f"Boutique {code}", {"code": code, **attributes}) for code in codes}


def signed_in(user: Any) -> HttpClient:
    """An HTTP session signed in as `user` (without the sign-in form: the tests of the form make their own)."""
    http = HttpClient()
    http.force_login(user)
    return http


class ClientFactory(factory.django.DjangoModelFactory):
    """A client row written directly, on a list with no schema: for visits, notes and ledger entries that need a
    client. A client as the app makes it comes from `make_client`."""

    class Meta:
        model = Client

    client_list = factory.SubFactory(ClientListFactory)
    name = factory.Sequence(lambda n: f"Boutique {n}")
    lat = 5.35
    lng = -4.0
    accuracy_m = 10.0
    phone = "+2250707070707"  # as the phone rule stores it (clients/phones.py)
    attributes = factory.LazyFunction(lambda: {"quartier": "Cocody", "categorie": "Boutique"})
    search_text = factory.LazyAttribute(lambda c: search_text(c.client_list.specs(), c.name, c.attributes))


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    client = factory.SubFactory(ClientFactory)
    rep = factory.SubFactory(RepFactory)


class ListAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListAccess

    client_list = factory.SubFactory(ClientListFactory)
    group = factory.LazyFunction(lambda: Group.objects.get_or_create(name=REPS)[0])


class WorkflowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workflow

    name_en = factory.Sequence(lambda n: f"Workflow {n}")
    name_fr = factory.Sequence(lambda n: f"Parcours {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    workflow = factory.SubFactory(WorkflowFactory)
    name_en = "Order"
    name_fr = "Commande"
    kind = ActivityKind.ORDER
    order = factory.Sequence(lambda n: n)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU{n:04d}")
    name = factory.Sequence(lambda n: f"Produit {n}")
    unit_price = Decimal("1000.00")


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    rep = factory.SubFactory(RepFactory)
    client = factory.SubFactory(ClientFactory)
    workflow = factory.SubFactory(WorkflowFactory)
    checked_in_at = factory.LazyFunction(timezone.now)


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivitySubmission

    visit = factory.SubFactory(VisitFactory)
    client = factory.LazyAttribute(lambda submission: submission.visit.client)
    activity = factory.SubFactory(ActivityFactory)
    submitted_at = factory.LazyFunction(timezone.now)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    submission = factory.SubFactory(SubmissionFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("2")
    unit_price = Decimal("1000.00")
    value = Decimal("2000.00")


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    client = factory.SubFactory(ClientFactory)
    text = "Le gérant demande une promotion."
    created_at = factory.LazyFunction(timezone.now)


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerEntry

    client = factory.SubFactory(ClientFactory)
    date = factory.LazyFunction(lambda: dt.date(2026, 10, 1))
    kind = LedgerEntry.Kind.INVOICE
    reference = factory.Sequence(lambda n: f"F{n:06d}")
    amount = Decimal("10000.00")


def make_visit_workflow(
    products: tuple[tuple[str, str], ...] = (
        ("Produit 0", "1500.00"),
        ("Produit 1", "1500.00"),
        ("Produit 2", "1500.00"),
    ),
    *,
    with_note: bool = False,
) -> dict:
    """A sales visit: a form (an integer shelf share, required) and an order, both needing a geo check-in within
    100 m, then optionally a note; and products of these names and prices."""
    workflow = WorkflowFactory(name_en="Sales visit", name_fr="Visite commerciale")
    form = ActivityFactory(
        workflow=workflow,
        kind=ActivityKind.FORM,
        name_en="Shelf check",
        name_fr="Relevé de rayon",
        requires_visit=True,
        requires_geo_checkin=True,
        radius_m=100,
        fields=[
            {
                "key": "part_rayon",
                "type": "integer",
                "label_en": "Shelf share",
                "label_fr": "Part de rayon",
                "required": True,
            }
        ],
        order=1,
    )
    order = ActivityFactory(
        workflow=workflow,
        kind=ActivityKind.ORDER,
        name_en="Order taking",
        name_fr="Prise de commande",
        requires_visit=True,
        requires_geo_checkin=True,
        radius_m=100,
        order=2,
    )
    note = (
        ActivityFactory(
            workflow=workflow, kind=ActivityKind.NOTE, name_en="Visit note", name_fr="Note de visite", order=3
        )
        if with_note
        else None
    )
    made = [ProductFactory(name=name, unit_price=Decimal(price)) for name, price in products]
    return {"workflow": workflow, "form": form, "order": order, "note": note, "products": made}


def built_once(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """For a module- or class-scoped fixture: what `build` writes, made once for its tests instead of once each.

    `build` runs in a transaction left open while the tests run, each in a savepoint of its own
    (pytest-django's `db` nests its atomic block in this one), and rolled back after the last: every test starts from
    `build`'s rows and none sees another's writes. Only for tests on `db`: a test on `transactional_db` empties the
    database, and with it these rows. The Python objects `build` returns are shared too: hand a test fresh ones (read
    again by their keys) wherever it could change them."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build()
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
