"""The live board's day and rep filters (`/board/?day=…&rep=…`): the page and its JSON show the day and the rep chosen,
only among the reps the user watches; another day than today is shown as it stands, not live."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from fieldsales.models import Profile
from tests.factories import BackOfficeFactory, RepFactory, SupervisorFactory, VisitFactory, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> dict[str, Any]:
    """Bintou supervises Awa and Adama, Moussa supervises Koffi; each rep visited today and yesterday."""
    bintou = SupervisorFactory(username="bintou", is_staff=True)
    moussa = SupervisorFactory(username="moussa", is_staff=True)
    reps = {
        "awa": RepFactory(username="awa", first_name="Awa", last_name="Koné"),
        "adama": RepFactory(username="adama", first_name="Adama", last_name="Cissé"),
        "koffi": RepFactory(username="koffi", first_name="Koffi", last_name="Yao"),
    }
    for name, supervisor in (("awa", bintou), ("adama", bintou), ("koffi", moussa)):
        Profile.objects.create(user=reps[name], supervisor=supervisor)
    now = timezone.now()
    visits = {
        (name, when): VisitFactory(rep=rep, checked_in_at=now - dt.timedelta(days=days))
        for name, rep in reps.items()
        for when, days in (("today", 0), ("yesterday", 1))
    }
    return {"bintou": bintou, "moussa": moussa, **reps, "visits": visits}


def visit_ids(team: dict[str, Any], *keys: tuple[str, str]) -> set[str]:
    return {str(team["visits"][key].pk) for key in keys}


def json_of(user: Any, query: str = "") -> Any:
    return signed_in(user).get(f"/board/visits/{query}")


def test_without_a_filter_the_board_holds_todays_visits_of_every_rep_watched(team):
    response = json_of(team["bintou"])

    assert response.status_code == 200
    assert {visit["id"] for visit in response.json()["visits"]} == visit_ids(team, ("awa", "today"), ("adama", "today"))


def test_a_day_chosen_gives_that_days_visits_and_its_bounds(team):
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    data = json_of(team["bintou"], f"?day={yesterday.isoformat()}").json()

    assert {visit["id"] for visit in data["visits"]} == visit_ids(team, ("awa", "yesterday"), ("adama", "yesterday"))
    start, end = dt.datetime.fromisoformat(data["from"]), dt.datetime.fromisoformat(data["until"])
    assert timezone.localtime(start).date() == yesterday and timezone.localtime(start).time() == dt.time.min
    assert end - start == dt.timedelta(days=1)


def test_a_rep_chosen_gives_only_their_visits(team):
    data = json_of(team["bintou"], f"?rep={team['adama'].pk}").json()

    assert {visit["id"] for visit in data["visits"]} == visit_ids(team, ("adama", "today"))


def test_a_supervisor_may_not_choose_another_supervisors_rep(team):
    response = json_of(team["bintou"], f"?rep={team['koffi'].pk}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["rep"]


def test_back_office_staff_may_choose_any_rep_and_day(team):
    clerk = BackOfficeFactory(username="clerk")
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    data = json_of(clerk, f"?rep={team['koffi'].pk}&day={yesterday}").json()

    assert {visit["id"] for visit in data["visits"]} == visit_ids(team, ("koffi", "yesterday"))


def test_a_day_that_is_no_date_is_refused(team):
    response = json_of(team["bintou"], "?day=2026-02-30")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["day"]


def test_the_page_lists_only_the_reps_watched_and_says_another_day_is_not_live(team):
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    html = signed_in(team["bintou"]).get(f"/board/?day={yesterday.isoformat()}&rep={team['awa'].pk}").content.decode()

    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', html)
    assert [name for _value, name in options if _value] == ["Adama Cissé", "Awa Koné"]
    assert re.search(rf'<option value="{team["awa"].pk}" selected>Awa Koné</option>', html)
    assert f'data-day="{yesterday.isoformat()}"' in html and f'data-rep="{team["awa"].pk}"' in html
    assert "Not live: another day" in html and "No visit this day." in html
    assert f'value="{yesterday.isoformat()}"' in html


def test_the_page_for_today_is_live_and_names_no_day(team):
    html = signed_in(team["bintou"]).get(f"/board/?day={timezone.localdate().isoformat()}").content.decode()

    assert 'data-day=""' in html and 'data-rep=""' in html
    assert "Connecting…" in html and "Today's visits" in html


def test_the_page_in_french_names_the_day_chosen(team):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    http = signed_in(team["bintou"])

    html = http.get(f"/board/?day={yesterday.isoformat()}", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Visites du " in html and "Pas en direct\u00a0: un autre jour" in html
    assert "Tous les commerciaux" in html and ">Jour</label>" in html


def test_the_visits_json_of_one_rep_takes_one_query_more_whatever_the_number_of_visits(team, django_assert_num_queries):
    for _index in range(5):
        VisitFactory(rep=team["awa"], checked_in_at=timezone.now())
    http = signed_in(team["bintou"])

    # 1. the session, 2. its user, 3. whether the user is a supervisor (their groups), 4. the rep chosen among their
    # reps, 5. the day's visits of that rep, with their clients and order totals; plan against done
    # (workflows.coverage): 6. the rep, 7. the plans' moves, 8. the plans, 9. the visits, 10. their clients.
    with django_assert_num_queries(10):
        response = http.get(f"/board/visits/?rep={team['awa'].pk}")

    assert len(response.json()["visits"]) == 6
