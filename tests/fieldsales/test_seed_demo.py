"""`manage.py seed_demo`: idempotent, and its bulk-written data obeys the rules the services would apply."""

import datetime as dt
import io
import math
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.test import RequestFactory
from django.utils import timezone

from clients.models import Assignment, AttributeDefinition, Client, ClientList, ListAccess
from clients.phones import phone_parse
from clients.schema import AttributeType, missing_required, search_text, validate_attributes
from fieldsales.accounts import BACK_OFFICE, MANAGERS, REPS, SUPERVISORS
from fieldsales.demo import clients as demo_clients
from fieldsales.management.commands import seed_demo
from fieldsales.models import Profile
from kpis import services as kpi_services
from kpis.models import KpiCard, KpiDefinition, KpiFolder, LedgerEntry, Target
from tests.factories import built_once
from workflows.models import Activity, ActivityKind, ActivitySubmission, Note, OrderLine, Product, Visit, Workflow

pytestmark = pytest.mark.django_db

User = get_user_model()
DEMO_USERNAMES = ("admin", "clerk", "manager", "sup1", "rep1", "rep2")
SEEDED_MODELS = (
    User,
    User.groups.through,
    Group,
    Profile,
    ClientList,
    AttributeDefinition,
    ListAccess,
    Client,
    Assignment,
    Product,
    Workflow,
    Workflow.client_lists.through,
    Activity,
    Visit,
    ActivitySubmission,
    OrderLine,
    Note,
    LedgerEntry,
    KpiFolder,
    KpiDefinition,
    Target,
    KpiCard,
)


def authenticate(**credentials: str) -> Any:
    """A sign-in as the login page makes it: django-axes needs the request."""
    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in SEEDED_MODELS}


def test_default_run_makes_300_clients_split_between_rep1_and_rep2_and_admin_logs_in():
    seed()

    clients = Client.objects.all()
    assert clients.count() >= 300
    assert not clients.filter(assignments__isnull=True).exists(), "every client belongs to a rep"
    assert set(Assignment.objects.values_list("rep__username", flat=True)) == {"rep1", "rep2"}
    per_rep = Counter(Assignment.objects.values_list("rep__username", flat=True))
    assert per_rep["rep1"] > 100 and per_rep["rep2"] > 100
    shared = clients.annotate(rep_count=Count("assignments")).filter(rep_count=2).count()
    assert 0 < shared < 30, "a handful of clients are shared by both reps"
    assert 0.15 < clients.filter(statement_enabled=True).count() / clients.count() < 0.35

    admin = authenticate(username="admin", password="fieldsales")
    assert admin is not None
    assert admin.is_superuser and admin.is_staff


def test_clients_option_scales(monkeypatch):
    # Past one batch of the client writer (CHUNK clients generated and written together) and of the KPI card refresh
    # (QUIET_BATCH cards), which is what a large --clients adds: batches made small, so that a few clients cross them
    # as 600 crossed the real ones, the last batch part-full. The history (visits, orders...) of the first clients only,
    # across two batches; the default run tests the history of all.
    monkeypatch.setattr(demo_clients, "CHUNK", 10)
    monkeypatch.setattr(kpi_services, "QUIET_BATCH", 10)
    monkeypatch.setattr(seed_demo, "HISTORY_CLIENTS", 15)

    output = seed(clients=25)

    assert Client.objects.count() == 25
    assert not Client.objects.filter(assignments__isnull=True).exists()
    assert KpiCard.objects.count() == 25, "every batch of cards was refreshed"
    assert set(Visit.objects.values_list("client_id", flat=True)) == {
        seed_demo.demo_id("client", index) for index in range(15)
    }
    assert "clients: 25" in output


def test_history_covers_only_the_first_clients(monkeypatch):
    monkeypatch.setattr(seed_demo, "HISTORY_CLIENTS", 10)

    output = seed(clients=25)

    visited = set(Visit.objects.values_list("client_id", flat=True))
    assert visited == {seed_demo.demo_id("client", index) for index in range(10)}
    assert Client.objects.count() == 25
    assert "first 10 of 25 clients" in output


def test_clients_must_be_positive():
    with pytest.raises(CommandError):
        seed(clients=0)
    assert not Client.objects.exists()


def test_a_demo_list_changed_in_the_back_office_is_refused_and_nothing_is_written(pos_list):
    # The fixture's "Points de vente" offers fewer categories and services than the demo's clients use.
    with pytest.raises(CommandError, match="no longer accepts the demo data"):
        seed(clients=40)
    assert not Client.objects.exists()
    assert not User.objects.filter(username="rep1").exists()


# The shared demo's size: the most clients any of the tests on it seeded on its own before.
SHARED_CLIENTS = 60


@pytest.fixture(scope="class")
def seeded_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """One demo seeded for the tests of `TestTheSeededDemo`, which only read it (or run the command again): a seed costs
    seconds, and each of them seeded its own. It is written in a transaction that is rolled back after the class, so
    each test's own transaction nests in it as a savepoint, and what a test writes is undone after it as usual."""
    yield from built_once(django_db_blocker, lambda: seed(clients=SHARED_CLIENTS))


@pytest.mark.usefixtures("seeded_once")
class TestTheSeededDemo:
    """What one run of the command leaves in the database. A class, so that the shared demo is rolled back before
    the tests above run, which need a database without it."""

    def test_running_twice_adds_nothing(self):
        first = counts()

        output = seed(clients=SHARED_CLIENTS)

        assert counts() == first
        empty = [label for label, count in first.items() if count == 0]
        assert empty == [], "every seeded model should have rows, or the comparison proves nothing"
        assert first["clients.Client"] == SHARED_CLIENTS
        assert f"clients: {SHARED_CLIENTS}" in output

    def test_demo_users_have_their_roles(self):
        users = {user.username: user for user in User.objects.filter(username__in=DEMO_USERNAMES)}
        assert set(users) == set(DEMO_USERNAMES)
        roles = {username: list(user.groups.values_list("name", flat=True)) for username, user in users.items()}
        assert roles == {
            "admin": [],
            "clerk": [BACK_OFFICE],
            "manager": [MANAGERS],
            "sup1": [SUPERVISORS],
            "rep1": [REPS],
            "rep2": [REPS],
        }
        assert users["sup1"].is_staff and users["clerk"].is_staff and users["manager"].is_staff
        assert not users["clerk"].has_perm("clients.purge_client") and users["manager"].has_perm("clients.purge_client")
        assert not users["sup1"].has_perm("clients.import_client")
        assert not users["sup1"].has_perm("clients.change_client")
        for rep in ("rep1", "rep2"):
            assert users[rep].groups.filter(name=REPS).exists()
            assert not users[rep].is_staff
            assert users[rep].profile.supervisor == users["sup1"]
        access = ListAccess.objects.get(client_list__name="Points de vente", group__name=REPS)
        assert (access.can_create, access.can_edit, access.can_archive) == (True, True, False)

    def test_password_option_sets_the_password_of_every_demo_user(self):
        assert authenticate(username="rep1", password="fieldsales") is not None

        seed(clients=5, password="autre-secret-2026")

        for username in DEMO_USERNAMES:
            assert authenticate(username=username, password="autre-secret-2026") is not None, username
        assert authenticate(username="admin", password="fieldsales") is None

    def test_schema_covers_every_type_but_photo_with_required_and_important_attributes(self):
        attributes = AttributeDefinition.objects.filter(client_list__name="Points de vente")
        assert attributes.count() >= 8
        assert set(attributes.values_list("type", flat=True)) == set(AttributeType.values) - {AttributeType.PHOTO}
        assert attributes.filter(required=True).count() >= 2
        assert attributes.filter(important=True).count() >= 3
        assert all(attribute.label_en and attribute.label_fr for attribute in attributes)

    def test_seeded_clients_obey_their_list_schema(self):
        for client in Client.objects.select_related("client_list").prefetch_related("client_list__attributes"):
            specs = client.client_list.specs()
            assert validate_attributes(specs, client.attributes) == client.attributes, client.name
            assert missing_required(specs, client.attributes) == [], client.name
            assert client.search_text == search_text(specs, client.name, client.attributes)
            assert 5.28 <= client.lat <= 5.43 and -4.10 <= client.lng <= -3.93
            assert 5 <= client.accuracy_m <= 30
            assert phone_parse(client.phone, region="FR") == client.phone  # E.164
            assert client.phone.startswith("+225")

    def test_every_activity_passes_its_model_validation(self):
        activities = Activity.objects.select_related("workflow")
        assert {(a.workflow.name_fr, a.kind) for a in activities} >= {
            ("Visite commerciale", ActivityKind.FORM),
            ("Visite commerciale", ActivityKind.ORDER),
            ("Visite commerciale", ActivityKind.NOTE),
            ("Recouvrement", ActivityKind.FORM),
        }
        for activity in activities:
            activity.full_clean()
            assert activity.kind == ActivityKind.NOTE or activity.requires_geo_checkin == activity.requires_visit

    def test_orders_add_up_and_each_is_invoiced(self):
        lines = OrderLine.objects.select_related("product")
        assert lines.exists()
        for line in lines:
            assert line.value == line.quantity * line.unit_price
            assert line.unit_price == line.product.unit_price
        orders = ActivitySubmission.objects.filter(activity__kind=ActivityKind.ORDER).annotate(
            lines_total=Sum("lines__value"), line_count=Count("lines")
        )
        # Most visits take an order, not all: the strike rate the supervisor's dashboard shows is not 100 %.
        visits = Visit.objects.count()
        assert 0.7 * visits <= orders.count() < visits
        invoices = {
            (entry.client_id, entry.date): entry for entry in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INVOICE)
        }
        for order in orders.select_related("visit"):
            assert 1 <= order.line_count <= 4
            assert order.order_total == order.lines_total
            invoice = invoices[(order.visit.client_id, order.visit.checked_in_at.date())]
            assert invoice.amount == order.order_total
            assert invoice.due_date == invoice.date + dt.timedelta(days=30)

    def test_visits_are_plausible_check_ins_by_an_assigned_rep(self):
        assigned = set(Assignment.objects.values_list("client_id", "rep_id"))
        now = timezone.now()
        for visit in Visit.objects.select_related("client"):
            assert (visit.client_id, visit.rep_id) in assigned
            assert dt.timedelta(minutes=10) <= visit.ended_at - visit.checked_in_at <= dt.timedelta(minutes=40)
            assert now - dt.timedelta(days=190) < visit.checked_in_at < now
            # An equirectangular distance, independent of the command's haversine, agrees within a few centimetres.
            dy = math.radians(visit.checkin_lat - visit.client.lat) * 6_371_008.8
            dx = (
                math.radians(visit.checkin_lng - visit.client.lng)
                * 6_371_008.8
                * math.cos(math.radians(visit.client.lat))
            )
            assert visit.distance_m == pytest.approx(math.hypot(dx, dy), abs=0.1)
            assert visit.distance_m <= 40
        form_submissions = ActivitySubmission.objects.filter(activity__kind=ActivityKind.FORM).select_related(
            "activity"
        )
        assert form_submissions.exists()
        for submission in form_submissions:
            assert validate_attributes(submission.activity.specs(), submission.values) == submission.values
        assert Note.objects.filter(visit__isnull=False).exists()

    def test_some_clients_are_left_with_overdue_balances(self):
        today = timezone.localdate()
        overdue = 0
        for client in Client.objects.prefetch_related("ledger_entries"):
            entries = list(client.ledger_entries.all())
            past_due = sum(
                (e.amount for e in entries if e.kind == LedgerEntry.Kind.INVOICE and e.due_date < today), Decimal(0)
            )
            settled = sum((e.amount for e in entries if e.kind != LedgerEntry.Kind.INVOICE), Decimal(0))
            overdue += past_due > settled
        assert 0 < overdue < SHARED_CLIENTS
        assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).exists()
        assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CREDIT_NOTE).exists()

    def test_kpis_and_targets(self):
        assert sorted(KpiFolder.objects.values_list("name_fr", flat=True)) == ["Dette", "Ventes", "Visites"]
        assert all(folder.definitions.count() >= 2 for folder in KpiFolder.objects.all())
        this_month = timezone.localdate().replace(day=1)
        for rep in ("rep1", "rep2"):
            target = Target.objects.get(rep__username=rep, client=None, period_start=this_month)
            assert target.period_end.month == this_month.month
            assert target.value > 0

    def test_every_client_has_its_kpi_card_with_its_last_order(self):
        assert KpiCard.objects.count() == Client.objects.count() == SHARED_CLIENTS
        last = ActivitySubmission.objects.filter(activity__kind=ActivityKind.ORDER).order_by("-submitted_at").first()
        assert last is not None
        card = KpiCard.objects.get(client=last.visit.client)
        shown = {kpi["key"]: kpi["value"] for folder in card.folders for kpi in folder["kpis"]}
        assert Decimal(shown["previous_order_value"]) == last.order_total
