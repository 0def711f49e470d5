"""The supervisors' dashboard (`/dashboard/`): its figures against ones computed by hand on a small team, who sees
which reps, the period and team filters, French, its charts under the page's Content-Security-Policy, and a number
of queries that does not grow with the team."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client as HttpClient
from django.utils import timezone

from fieldsales.accounts import reps_of_supervisor
from fieldsales.models import Profile
from kpis.dashboard.figures import Period, Preset, dashboard_figures, unpaid_on
from kpis.metrics import Facts, debt
from kpis.models import LedgerEntry, Target
from tests.factories import (
    ActivityFactory,
    AssignmentFactory,
    BackOfficeFactory,
    ClientFactory,
    LedgerEntryFactory,
    RepFactory,
    SubmissionFactory,
    SupervisorFactory,
    VisitFactory,
    WorkflowFactory,
    signed_in,
)
from workflows.models import ActivityKind

pytestmark = pytest.mark.django_db

# A Thursday: the week shown runs from Monday 9 to Sunday 15 March 2026.
TODAY = dt.date(2026, 3, 12)
WEEK = Period(dt.date(2026, 3, 9), dt.date(2026, 3, 15))
INVOICE, PAYMENT, CREDIT_NOTE = LedgerEntry.Kind.INVOICE, LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.CREDIT_NOTE


def at(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def money(value: str) -> Decimal:
    return Decimal(value)


class Team:
    """Bintou supervises Awa and Koffi; Moussa supervises Yao, whose figures Bintou never sees."""

    def __init__(self) -> None:
        self.bintou = SupervisorFactory(username="bintou", first_name="Bintou", last_name="Traoré", is_staff=True)
        self.moussa = SupervisorFactory(username="moussa", first_name="Moussa", last_name="Bamba", is_staff=True)
        self.awa = RepFactory(username="awa", first_name="Awa", last_name="Koné")
        self.koffi = RepFactory(username="koffi", first_name="Koffi", last_name="")
        self.yao = RepFactory(username="yao", first_name="Yao", last_name="Kouassi")
        for rep, supervisor in ((self.awa, self.bintou), (self.koffi, self.bintou), (self.yao, self.moussa)):
            Profile.objects.create(user=rep, supervisor=supervisor)
        workflow = WorkflowFactory()
        self.order = ActivityFactory(workflow=workflow, kind=ActivityKind.ORDER)
        self.form = ActivityFactory(workflow=workflow, kind=ActivityKind.FORM)
        self.workflow = workflow
        self.clients: dict[str, Any] = {}

    def client(self, name: str, *reps: Any, archived: bool = False) -> Any:
        client = ClientFactory(name=name, archived_at=timezone.now() if archived else None)
        for rep in reps:
            AssignmentFactory(client=client, rep=rep)
        self.clients[name] = client
        return client

    def visit(self, rep: Any, client: str, when: dt.datetime, *orders: str, form: bool = False) -> Any:
        visit = VisitFactory(rep=rep, client=self.clients[client], workflow=self.workflow, checked_in_at=when)
        for total in orders:
            SubmissionFactory(
                visit=visit,
                activity=self.order,
                order_total=Decimal(total),
                submitted_at=when + dt.timedelta(minutes=20),
            )
        if form:
            SubmissionFactory(visit=visit, activity=self.form, submitted_at=when + dt.timedelta(minutes=5))
        return visit

    def ledger(self, client: str, kind: str, day: dt.date, amount: str, due: dt.date | None = None) -> None:
        LedgerEntryFactory(client=self.clients[client], kind=kind, date=day, amount=Decimal(amount), due_date=due)


@pytest.fixture
def team() -> Team:
    """The hand-made data set whose figures the tests compute by hand (see each test)."""
    team = Team()
    awa, koffi, yao = team.awa, team.koffi, team.yao
    for name, reps in (("A", [awa]), ("B", [awa]), ("F", [awa]), ("G", [awa, koffi])):
        team.client(name, *reps)
    team.client("H", awa, archived=True)
    for name in ("C", "D", "E", "I", "J"):
        team.client(name, koffi)
    team.client("K", yao)

    # Visits of the week: Awa 2 on Monday (one with an order), 1 on Tuesday with two orders; Koffi 3 on Wednesday,
    # one with an order, one with a form only. Before the week, and by Yao: not counted.
    team.visit(awa, "A", at(9), "10000.00")
    team.visit(awa, "B", at(9, 15), form=True)
    team.visit(awa, "A", at(10), "5000.00", "2000.00")
    team.visit(awa, "A", at(8), "7000.00")
    team.visit(koffi, "C", at(11), "4000.00")
    team.visit(koffi, "D", at(11, 11), form=True)
    team.visit(koffi, "E", at(11, 16))
    team.visit(yao, "K", at(10), "99000.00")
    # Before the week, for the clients' last visits: F on 1 February, I on 11 February (the first of the 30 days up to
    # the 12th), J on 10 February late in the evening (the day before).
    team.visit(awa, "F", at(1, month=2))
    team.visit(koffi, "I", at(11, 0, month=2))
    team.visit(koffi, "J", dt.datetime(2026, 2, 10, 23, 30, tzinfo=dt.UTC))

    # Targets: Awa's for March (31 days, 7 of them in the week), Koffi's for the week and one for February; a client's
    # own target and Yao's count for no rep of Bintou's.
    Target.objects.create(rep=awa, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31), value=31000)
    Target.objects.create(rep=koffi, period_start=WEEK.start, period_end=WEEK.end, value=10000)
    Target.objects.create(rep=koffi, period_start=dt.date(2026, 2, 1), period_end=dt.date(2026, 2, 28), value=9999)
    Target.objects.create(client=team.clients["A"], period_start=WEEK.start, period_end=WEEK.end, value=50000)
    Target.objects.create(rep=yao, period_start=WEEK.start, period_end=WEEK.end, value=70000)

    # The ledger on the 12th. A: 24,000 invoiced, 12,000 paid: owes the newest 12,000, the 6,000 due on the 31st
    # (not overdue) and 6,000 of the 8,000 due on 3 March: 6,000 overdue. F: its invoice credited in full. G: 3,000
    # overdue. C: 4,000 due on 1 March, 1,000 paid on the 12th: 3,000 overdue (a payment of the 14th comes later).
    d = dt.date
    team.ledger("A", INVOICE, d(2026, 1, 1), "10000.00", d(2026, 1, 31))
    team.ledger("A", INVOICE, d(2026, 2, 1), "8000.00", d(2026, 3, 3))
    team.ledger("A", INVOICE, d(2026, 3, 1), "6000.00", d(2026, 3, 31))
    team.ledger("A", PAYMENT, d(2026, 2, 15), "12000.00")
    team.ledger("F", INVOICE, d(2026, 2, 1), "5000.00", d(2026, 2, 20))
    team.ledger("F", CREDIT_NOTE, d(2026, 2, 5), "5000.00")
    team.ledger("G", INVOICE, d(2026, 1, 10), "3000.00", d(2026, 2, 10))
    team.ledger("C", INVOICE, d(2026, 2, 20), "4000.00", d(2026, 3, 1))
    team.ledger("C", PAYMENT, d(2026, 3, 12), "1000.00")
    team.ledger("C", PAYMENT, d(2026, 3, 14), "3000.00")
    team.ledger("K", INVOICE, d(2026, 1, 1), "50000.00", d(2026, 1, 31))
    return team


def bintous_week(team: Team) -> Any:
    return dashboard_figures(reps=reps_of_supervisor(team.bintou), period=WEEK, today=TODAY)


def by_name(board: Any) -> dict[str, Any]:
    return {rep.name: rep for rep in board.reps}


# The figures, by hand ---------------------------------------------------------------------------------------------


def test_visits_per_rep_per_day_count_the_periods_check_ins_of_the_team_only(team):
    board = bintous_week(team)

    assert [rep.name for rep in board.reps] == ["Awa Koné", "Koffi"]
    awa, koffi = team.awa.pk, team.koffi.pk
    assert board.visits_by_day == {
        dt.date(2026, 3, 9): {awa: 2},
        dt.date(2026, 3, 10): {awa: 1},
        dt.date(2026, 3, 11): {koffi: 3},
    }
    # The days charted run to today, not to the week's Sunday.
    assert board.days == [dt.date(2026, 3, day) for day in range(9, 13)]
    assert board.visits_table == [
        (dt.date(2026, 3, 9), [2, 0], 2),
        (dt.date(2026, 3, 10), [1, 0], 1),
        (dt.date(2026, 3, 11), [0, 3], 3),
        (dt.date(2026, 3, 12), [0, 0], 0),
    ]
    assert board.totals.visits == 6


def test_a_visit_counts_on_its_day_in_the_sites_time_zone(team, settings):
    # 23:30 UTC on the 10th is 00:30 on the 11th in Paris.
    settings.TIME_ZONE = "Europe/Paris"
    team.visit(team.awa, "B", dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC))

    board = bintous_week(team)

    assert board.visits_by_day[dt.date(2026, 3, 11)] == {team.awa.pk: 1, team.koffi.pk: 3}


def test_orders_and_sales_against_the_targets_prorated_to_the_period(team):
    board = bintous_week(team)
    awa, koffi = by_name(board)["Awa Koné"], by_name(board)["Koffi"]

    # Awa: 10,000 + 5,000 + 2,000 this week (the 7,000 of the 8th is last week's); March's 31,000 over 7 days.
    assert (awa.orders, awa.sales, awa.target) == (3, money("17000.00"), money("7000.00"))
    assert awa.achievement == Decimal("242.9")
    # Koffi: 4,000 against the week's 10,000; February's target is not this week's.
    assert (koffi.orders, koffi.sales, koffi.target) == (1, money("4000.00"), money("10000.00"))
    assert koffi.achievement == Decimal("40.0")
    totals = board.totals
    assert (totals.orders, totals.sales, totals.target, totals.achievement) == (
        4,
        money("21000.00"),
        money("17000.00"),
        Decimal("123.5"),
    )


def test_a_rep_without_a_target_has_no_achievement(team):
    Target.objects.filter(rep=team.koffi).delete()

    koffi = by_name(bintous_week(team))["Koffi"]

    assert koffi.target is None and koffi.achievement is None


def test_strike_rate_is_the_share_of_visits_with_an_order(team):
    board = bintous_week(team)
    awa, koffi = by_name(board)["Awa Koné"], by_name(board)["Koffi"]

    # Awa: 2 of 3 (two orders in one visit count once); Koffi: 1 of 3 (a form is no order).
    assert (awa.visits, awa.with_order, awa.strike_rate) == (3, 2, Decimal("66.7"))
    assert (koffi.visits, koffi.with_order, koffi.strike_rate) == (3, 1, Decimal("33.3"))
    assert board.totals.strike_rate == Decimal("50.0")


def test_clients_not_visited_for_30_days_up_to_today(team):
    board = bintous_week(team)
    awa, koffi = by_name(board)["Awa Koné"], by_name(board)["Koffi"]

    # Awa: A, B, F, G in use (H archived); F last seen 1 February, G never. Koffi: C, D, E, G, I, J; G never, J on
    # 10 February, the day before the 30 days that end on the 12th (I, on their first day, counts as visited).
    assert (awa.clients, awa.unvisited) == (4, 2)
    assert (koffi.clients, koffi.unvisited) == (6, 2)
    # The team's: F, G and J, G once; never visited first, then the longest waiting.
    assert board.unvisited == 3
    listed = [(c["name"], c["reps"], c["days"]) for c in board.unvisited_listed]
    assert listed == [("G", ["Awa Koné", "Koffi"], None), ("F", ["Awa Koné"], 39), ("J", ["Koffi"], 30)]


def test_overdue_debt_by_rep_on_the_last_day(team):
    board = bintous_week(team)
    awa, koffi = by_name(board)["Awa Koné"], by_name(board)["Koffi"]

    assert board.on == TODAY
    # Awa: A 6,000 and G 3,000 (F credited); Koffi: G 3,000 and C 3,000.
    assert (awa.overdue, awa.overdue_clients) == (money("9000.00"), 2)
    assert (koffi.overdue, koffi.overdue_clients) == (money("6000.00"), 2)
    # The team's, G once: 12,000 over three clients. Yao's K is not Bintou's.
    assert (board.overdue, board.overdue_clients) == (money("12000.00"), 3)


def test_overdue_debt_of_a_past_period_is_read_on_its_last_day(team):
    # On 28 February: A owes 18,000 - 12,000 = 6,000, all of it the invoice due on 3 March (not overdue yet).
    # G's 3,000 is overdue; C's 4,000 is due on 1 March.
    february = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    board = dashboard_figures(reps=reps_of_supervisor(team.bintou), period=february, today=TODAY)

    assert board.on == dt.date(2026, 2, 28)
    assert by_name(board)["Awa Koné"].overdue == money("3000.00")
    assert board.overdue == money("3000.00")


def test_each_clients_overdue_debt_is_the_kpi_cards(team):
    """The dashboard's SQL and kpis.metrics.debt, which the client's KPI card shows, agree on random ledgers: credits
    settle the oldest invoices first, whatever the order the entries were written in, and of two invoices of a day
    the one written first."""
    rng = random.Random(18)
    for index in range(16):
        client = ClientFactory(name=f"Ledger {index}")
        entries = []
        for number in range(rng.randint(1, 8)):
            # Few dates, so that several entries share one.
            day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 5) * 12)
            kind = rng.choice([INVOICE, INVOICE, PAYMENT, CREDIT_NOTE])
            due = day + dt.timedelta(days=rng.choice([0, 15, 30])) if kind == INVOICE else None
            entries.append((client, kind, day, Decimal(rng.randint(1, 40) * 500), due, f"R{index}-{number}"))
        rng.shuffle(entries)
        for client_, kind, day, amount, due, reference in entries:
            LedgerEntryFactory(client=client_, kind=kind, date=day, amount=amount, due_date=due, reference=reference)

        expected = debt(Facts(client=client, today=TODAY)).overdue
        invoices = LedgerEntry.objects.debits().filter(client=client, date__lte=TODAY, due_date__lt=TODAY)
        assert (invoices.aggregate(total=Sum(unpaid_on(TODAY)))["total"] or 0) == expected, entries


def test_of_two_invoices_of_a_day_the_one_written_last_is_unpaid_first(team):
    # Both of 1 March; a payment of 1,000 settles the first written (due 2 March, overdue on the 12th): what is owed
    # is the second, due on the 31st, not overdue. The KPI card says the same.
    client = team.client("L", team.awa)
    team.ledger("L", INVOICE, dt.date(2026, 3, 1), "1000.00", dt.date(2026, 3, 2))
    team.ledger("L", INVOICE, dt.date(2026, 3, 1), "1000.00", dt.date(2026, 3, 31))
    team.ledger("L", PAYMENT, dt.date(2026, 3, 5), "1000.00")

    assert debt(Facts(client=client, today=TODAY)).overdue == 0
    assert by_name(bintous_week(team))["Awa Koné"].overdue == money("9000.00")


# The periods ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "today", "start", "end"),
    [
        (Preset.THIS_WEEK, dt.date(2026, 3, 12), dt.date(2026, 3, 9), dt.date(2026, 3, 15)),
        (Preset.THIS_WEEK, dt.date(2026, 3, 15), dt.date(2026, 3, 9), dt.date(2026, 3, 15)),
        (Preset.THIS_MONTH, dt.date(2026, 2, 10), dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (Preset.THIS_MONTH, dt.date(2026, 12, 31), dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        (Preset.LAST_30_DAYS, dt.date(2026, 3, 12), dt.date(2026, 2, 11), dt.date(2026, 3, 12)),
    ],
)
def test_a_preset_is_a_week_from_monday_a_calendar_month_or_30_days_to_today(preset, today, start, end):
    assert Period.of(preset, today) == Period(start, end)


def dashboard_of(user: Any, query: str = "", **headers: Any) -> Any:
    return signed_in(user).get(f"/dashboard/{query}", **headers)


def test_the_period_chosen_by_dates(team):
    response = dashboard_of(team.bintou, "?date_from=2026-03-09&date_to=2026-03-15")

    assert response.status_code == 200
    board = response.context["board"]
    assert board.period == WEEK
    assert board.totals.visits == 6
    html = response.content.decode()
    assert 'value="2026-03-09"' in html and 'value="2026-03-15"' in html


def test_a_preset_gives_its_period_and_links_to_the_others_keeping_the_team(team):
    clerk = BackOfficeFactory(username="clerk")

    response = dashboard_of(clerk, f"?preset=30days&supervisor={team.moussa.pk}")

    today = timezone.localdate()
    assert response.context["board"].period == Period.of(Preset.LAST_30_DAYS, today)
    current = [link for link in response.context["presets"] if link["current"]]
    assert [link["url"] for link in current] == [f"?preset=30days&supervisor={team.moussa.pk}"]
    assert f'href="?preset=week&amp;supervisor={team.moussa.pk}"' in response.content.decode()


def test_without_a_choice_the_dashboard_shows_this_month(team):
    response = dashboard_of(team.bintou)

    assert response.context["board"].period == Period.of(Preset.THIS_MONTH, timezone.localdate())


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("?date_from=2026-03-15&date_to=2026-03-09", "The period ends before it starts."),
        ("?date_from=2026-03-09", "Choose the first and the last day of the period."),
        ("?date_from=2025-01-01&date_to=2026-03-09", "Choose a period of at most 366 days."),
        ("?date_from=2026-02-30&date_to=2026-03-09", "Enter a valid date."),
    ],
)
def test_a_period_that_cannot_be_shown_says_why_and_this_month_is_shown(team, query, error):
    response = dashboard_of(team.bintou, query)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert response.context["board"].period == Period.of(Preset.THIS_MONTH, timezone.localdate())


# Who sees whom ----------------------------------------------------------------------------------------------------


def test_a_supervisor_sees_only_their_reps_whatever_team_they_ask_for(team):
    response = dashboard_of(team.bintou, f"?date_from=2026-03-09&date_to=2026-03-15&supervisor={team.moussa.pk}")

    assert response.status_code == 200
    assert [rep.name for rep in response.context["board"].reps] == ["Awa Koné", "Koffi"]
    html = response.content.decode()
    assert "Yao" not in html and "99" + "\u00a0000" not in html and "99,000" not in html
    assert 'name="supervisor"' not in html


def test_back_office_staff_see_every_rep_and_may_choose_a_supervisors_team(team):
    clerk = BackOfficeFactory(username="clerk")

    everyone = dashboard_of(clerk, "?date_from=2026-03-09&date_to=2026-03-15")
    moussas = dashboard_of(clerk, f"?date_from=2026-03-09&date_to=2026-03-15&supervisor={team.moussa.pk}")

    assert [rep.name for rep in everyone.context["board"].reps] == ["Awa Koné", "Koffi", "Yao Kouassi"]
    assert everyone.context["totals"].sales == money("120000.00")
    assert [rep.name for rep in moussas.context["board"].reps] == ["Yao Kouassi"]
    assert moussas.context["totals"].overdue == money("50000.00")
    assert "Team of Moussa Bamba" in moussas.content.decode()
    # The supervisors to choose from, by name.
    assert re.search(rf'<option value="{team.bintou.pk}">Bintou Traoré</option>', everyone.content.decode())


def test_a_rep_is_refused_the_dashboard(team):
    assert dashboard_of(team.awa).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(db):
    response = HttpClient().get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"


def test_staff_who_may_not_read_visits_are_refused(team):
    nobody = BackOfficeFactory(username="nobody")
    nobody.groups.clear()

    assert dashboard_of(nobody).status_code == 403


def test_the_back_offices_header_links_to_the_dashboard_and_the_board_for_those_who_may_watch_a_team(team):
    clerk = BackOfficeFactory(username="clerk")
    nobody = BackOfficeFactory(username="nobody")
    nobody.groups.clear()

    for user in (team.bintou, clerk):
        html = signed_in(user).get("/admin/").content.decode()
        assert 'href="/dashboard/">Dashboard</a>' in html and 'href="/board/">Live board</a>' in html
    assert 'href="/dashboard/"' not in signed_in(nobody).get("/admin/").content.decode()


# The page -----------------------------------------------------------------------------------------------------------


def test_each_chart_is_inline_svg_without_script_styled_by_the_responses_nonce_and_also_a_table(team):
    response = dashboard_of(team.bintou, "?date_from=2026-03-09&date_to=2026-03-15")
    html = response.content.decode()

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce and "style-src 'self' 'nonce-" in response["Content-Security-Policy"]
    assert html.count('class="pygal-chart"') == 5
    assert html.count(f'<style type="text/css" nonce="{nonce.group(1)}">') == 5
    # No script but the admin's own files, no style attribute (the policy refuses both), nothing from a CDN.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert ' style="' not in html and "kozea.github.io" not in html
    # Each chart's figures as a table with its totals; bars carry their figure as a tooltip.
    assert html.count("<details>") == 5 and html.count("<tfoot>") == 5
    assert "<title>Awa Koné · Sales: 17,000</title>" in html
    assert "<title>Koffi: 33.3%</title>" in html


def test_the_dashboard_in_french(team):
    response = dashboard_of(
        team.bintou, "?date_from=2026-03-09&date_to=2026-03-15", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"
    )
    html = response.content.decode()

    assert response["Content-Language"] == "fr"
    for text in (
        "Tableau de bord",
        "Visites par commercial et par jour",
        "Ventes par rapport à l'objectif",
        "Taux de transformation",
        "Clients non visités depuis 30 jours",
        "Dette en retard par commercial",
        "Cette semaine",
        "9 mars 2026 – 15 mars 2026",
        "<title>Awa Koné · Ventes\u00a0: 17\u00a0000</title>",
        "<title>Koffi\u00a0: 33,3\u00a0%</title>",
    ):
        assert text in html, text


@pytest.mark.parametrize("more", [False, True], ids=["two-reps", "five-reps"])
def test_the_dashboard_takes_the_same_queries_whatever_the_team(team, django_assert_num_queries, more):
    if more:
        for index in range(3):
            rep = RepFactory(username=f"more{index}")
            Profile.objects.create(user=rep, supervisor=team.bintou)
            name = f"M{index}"
            team.client(name, rep)
            for day in (9, 10, 11):
                team.visit(rep, name, at(day), "1000.00")
            team.ledger(name, INVOICE, dt.date(2026, 1, 1), "1000.00", dt.date(2026, 1, 31))
            Target.objects.create(rep=rep, period_start=WEEK.start, period_end=WEEK.end, value=1000)
    http = signed_in(team.bintou)

    # 1. the session, 2. its user, 3. whether the user is a supervisor (their groups); 4. the team's reps,
    # 5. their visits by day, 6. their orders, 7. their targets, 8. their clients visited or not, 9. the clients not
    # visited waiting longest, 10. those clients' reps, 11. how many clients were not visited, 12. the overdue debt
    # by rep, 13. the team's; plan against done (workflows.coverage): 14. the reps, 15. the plans' moves, 16. the
    # plans, 17. the visits, 18. their clients; 19-20. the user's permissions and their groups' (the back office's
    # links and menu).
    with django_assert_num_queries(20):
        response = http.get("/dashboard/?date_from=2026-03-09&date_to=2026-03-15")

    assert len(response.context["board"].reps) == (5 if more else 2)


def test_dates_that_make_a_presets_period_show_that_preset_as_chosen(team):
    week = Period.of(Preset.THIS_WEEK, timezone.localdate())

    response = dashboard_of(team.bintou, f"?date_from={week.start.isoformat()}&date_to={week.end.isoformat()}")

    assert [link["label"] for link in response.context["presets"] if link["current"]] == ["This week"]
    assert response.content.decode().count('aria-current="page"') == 1
