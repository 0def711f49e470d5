"""The overdue debt on the reps' phones (the `debt` record, kpis/debts.py and kpis/records.py): the batched rule gives
exactly the per-client one; the record follows the ledger (the admin, the import), the days (nightly) and the client
in and out of a rep's feed; the pull and the feed read it in a number of queries that does not grow with the clients.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client
from clients.services import client_archive, clients_reps_add, clients_reps_remove
from fieldsales.sync.registry import TYPES
from kpis.debts import DEBT_TYPE, debts_refresh, debts_refresh_all
from kpis.metrics import NO_DEBT, Facts, debt, debts
from kpis.models import LedgerEntry, OverdueDebt
from kpis.services import kpi_cards_refresh
from tests.factories import (
    BackOfficeFactory,
    ClientFactory,
    LedgerEntryFactory,
    RepFactory,
    make_client,
    make_pos_list,
    reps_may_edit,
    signed_in,
)
from tests.sync.conftest import Device

TODAY = dt.date(2026, 12, 5)


def days_before(days: int, today: dt.date = TODAY) -> dt.date:
    return today - dt.timedelta(days=days)


# The batched rule is the rule -----------------------------------------------------------------------------------------

KINDS = [LedgerEntry.Kind.INVOICE, LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.CREDIT_NOTE]
ENTRY = st.tuples(
    st.sampled_from(KINDS),
    st.integers(min_value=0, max_value=120),  # the entry's date, days before today
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2),
    st.one_of(st.none(), st.integers(min_value=-60, max_value=90)),  # the due date, days after the entry's date
)
LEDGERS = st.lists(st.lists(ENTRY, max_size=12), min_size=1, max_size=5)


@pytest.fixture
def ledger_clients(db) -> list[Client]:  # type: ignore[no-untyped-def]
    return [ClientFactory() for _ in range(5)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledgers=LEDGERS, today_shift=st.integers(min_value=0, max_value=40))
def test_the_debts_of_many_clients_at_once_are_each_clients_debt_exactly(ledger_clients, ledgers, today_shift):
    LedgerEntry.objects.all().delete()
    today = TODAY + dt.timedelta(days=today_shift)
    entries = [
        LedgerEntry(
            client=client,
            kind=kind,
            reference=f"R{number}",
            date=days_before(ago),
            amount=amount,
            due_date=None if due is None else days_before(ago) + dt.timedelta(days=due),
        )
        for client, ledger in zip(ledger_clients, ledgers, strict=False)
        for number, (kind, ago, amount, due) in enumerate(ledger)
    ]
    LedgerEntry.objects.bulk_create(entries)

    one_by_one = {str(client.pk): debt(Facts(client=client, today=today)) for client in ledger_clients}
    by_ids = debts(clients=[client.pk for client in ledger_clients], today=today)
    by_queryset = debts(clients=Client.objects.filter(pk__in=[client.pk for client in ledger_clients]), today=today)

    assert {key: by_ids.get(key, NO_DEBT) for key in one_by_one} == one_by_one
    assert {key: by_queryset.get(key, NO_DEBT) for key in one_by_one} == one_by_one


def test_the_debts_of_many_clients_take_two_queries_however_many_clients(db, django_assert_num_queries):
    clients = [ClientFactory() for _ in range(30)]
    for n, client in enumerate(clients):
        for k in range(n % 4 + 1):
            LedgerEntryFactory(client=client, date=days_before(60 - k), due_date=days_before(30 - k))

    # 1. every client's balance; 2. the debits of those who owe something, by client, newest first.
    with django_assert_num_queries(2):
        found = debts(clients=Client.objects.all(), today=TODAY)
    assert len(found) == 30
    assert found[str(clients[3].pk)].overdue == Decimal("40000.00")


# The record on the phones ---------------------------------------------------------------------------------------------


@pytest.fixture
def world(transactional_db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Sync tests commit for real: on PostgreSQL a pull hands out only committed changes."""
    client_list = reps_may_edit(make_pos_list())
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    late = make_client(client_list, "Boutique en retard", reps=(awa,))
    paid = make_client(client_list, "Boutique à jour", reps=(awa,))
    return {"list": client_list, "awa": awa, "koffi": koffi, "late": late, "paid": paid}


def owe(client: Client, *, days_late: int, amount: str = "10000.00", today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    LedgerEntryFactory(
        client=client, date=days_before(days_late + 30, today), due_date=days_before(days_late, today), amount=amount
    )


def debt_records(device: Device) -> dict[str, dict[str, Any]]:
    device.sync()
    return {entity_id: device.store[(DEBT_TYPE, entity_id)] for entity_id in device.ids(DEBT_TYPE)}


def test_a_rep_pulls_the_overdue_debt_of_their_clients_that_owe_and_not_of_those_that_do_not(world):
    owe(world["late"], days_late=45, amount="12500.50")
    owe(world["paid"], days_late=45)
    LedgerEntryFactory(client=world["paid"], kind=LedgerEntry.Kind.PAYMENT, amount="10000.00")
    kpi_cards_refresh(client_ids=[world["late"].pk, world["paid"].pk])

    records = debt_records(Device(signed_in(world["awa"])))

    assert records == {
        str(world["late"].pk): {
            "type": "debt",
            "id": str(world["late"].pk),
            "version": 1,
            "data": {"overdue": "12500.50", "days": 45},
        }
    }
    assert debt_records(Device(signed_in(world["koffi"]))) == {}


def test_a_payment_entered_in_the_admin_takes_the_debt_off_the_phone(world):
    owe(world["late"], days_late=45)
    kpi_cards_refresh(client_ids=[world["late"].pk])
    device = Device(signed_in(world["awa"]))
    assert set(debt_records(device)) == {str(world["late"].pk)}
    clerk = signed_in(BackOfficeFactory(username="clerk"))

    response = clerk.post(
        "/admin/kpis/ledgerentry/add/",
        {
            "client": world["late"].pk,
            "date": dt.date.today().isoformat(),
            "kind": LedgerEntry.Kind.PAYMENT,
            "reference": "P1",
            "amount": "4000.00",
            "due_date": "",
        },
    )
    assert response.status_code == 302, response.content
    assert debt_records(device)[str(world["late"].pk)]["data"] == {"overdue": "6000.00", "days": 45}
    assert debt_records(device)[str(world["late"].pk)]["version"] == 2

    clerk.post(
        "/admin/kpis/ledgerentry/add/",
        {
            "client": world["late"].pk,
            "date": dt.date.today().isoformat(),
            "kind": LedgerEntry.Kind.PAYMENT,
            "reference": "P2",
            "amount": "6000.00",
            "due_date": "",
        },
    )
    assert debt_records(device) == {}


def test_the_debt_follows_its_client_out_of_and_back_into_a_reps_feed(world):
    owe(world["late"], days_late=45)
    kpi_cards_refresh(client_ids=[world["late"].pk])
    awa = Device(signed_in(world["awa"]))
    koffi = Device(signed_in(world["koffi"]))
    assert set(debt_records(awa)) == {str(world["late"].pk)}

    clerk = BackOfficeFactory(username="clerk")
    clients_reps_add(user=clerk, clients=Client.objects.filter(pk=world["late"].pk), reps=[world["koffi"]])
    clients_reps_remove(user=clerk, clients=Client.objects.filter(pk=world["late"].pk), reps=[world["awa"]])

    assert debt_records(awa) == {}
    assert set(debt_records(koffi)) == {str(world["late"].pk)}
    client_archive(user=clerk, client=Client.objects.get(pk=world["late"].pk))
    assert debt_records(koffi) == {}


def test_the_days_overdue_move_nightly_and_a_ledger_import_moves_the_debt(world):
    owe(world["late"], days_late=45, today=TODAY)
    assert debts_refresh_all(today=TODAY) == 1
    device = Device(signed_in(world["awa"]))
    assert debt_records(device)[str(world["late"].pk)]["data"] == {"overdue": "10000.00", "days": 45}

    assert debts_refresh_all(today=TODAY + dt.timedelta(days=1)) == 1
    assert debts_refresh_all(today=TODAY + dt.timedelta(days=1)) == 0  # nothing moved: nothing sent again
    record = debt_records(device)[str(world["late"].pk)]
    assert (record["data"], record["version"]) == ({"overdue": "10000.00", "days": 46}, 2)


def test_the_nightly_refresh_of_the_cards_refreshes_the_debts(world):
    owe(world["late"], days_late=45)

    call_command("refresh_kpi_cards", stdout=None)

    row = OverdueDebt.objects.get(client=world["late"])
    assert (row.overdue, row.days) == (Decimal("10000.00"), 45)


# Queries --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_serializing_and_finding_who_sees_debts_costs_the_same_for_2_or_20_clients(
    world, count, django_assert_num_queries
):
    shops = [make_client(world["list"], f"Boutique {n}", reps=(world["awa"],)) for n in range(count)]
    for shop in shops:
        owe(shop, days_late=40)
    debts_refresh(client_ids=[shop.pk for shop in shops])
    ids = [str(shop.pk) for shop in shops]
    debt_type = TYPES[DEBT_TYPE]

    # 1. the debts overdue of these clients.
    with django_assert_num_queries(1):
        records = debt_type.serialize(world["awa"], ids)
    # 1. the clients with a debt overdue; 2. their reps who see them (clients' `client_seers`).
    with django_assert_num_queries(2):
        seers = debt_type.seers(ids)
    # 1. the debts overdue of the clients the rep sees.
    with django_assert_num_queries(1):
        visible = list(debt_type.visible(world["awa"]))

    assert len(records) == len(seers) == len(visible) == count
    assert all(reps == {world["awa"].pk} for reps in seers.values())


def test_refreshing_the_debts_of_many_clients_costs_the_same_for_2_or_20(world, django_assert_max_num_queries):
    def refresh(count: int) -> int:
        shops = [make_client(world["list"], f"Boutique {count}-{n}", reps=(world["awa"],)) for n in range(count)]
        for shop in shops:
            owe(shop, days_late=40)
        with django_assert_max_num_queries(40) as context:
            debts_refresh(client_ids=[shop.pk for shop in shops])
        return len(context.captured_queries)

    assert refresh(2) == refresh(20)
