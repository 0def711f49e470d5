"""The client list and client card over REST: what a rep (or the back office) sees, in which order, searched,
filtered and sorted by distance, 25 at a time."""

from __future__ import annotations

import base64
import math
import random
import uuid

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from clients.api.views import BAD_NEAR, BAD_RADIUS
from clients.models import Assignment, Client, ListAccess
from clients.schema import search_text
from clients.services import client_archive, client_update
from fieldsales.geo import haversine_m
from tests.api.conftest import follow
from tests.factories import ABIDJAN, AttributeFactory, ClientListFactory, make_client, signed_in

URL = "/api/clients/"
METRES_PER_DEGREE_LAT = 111_195.0  # on the mean Earth radius of fieldsales.geo


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [client["name"] for client in response.json()["results"]]


def offset(metres_north: float = 0.0, metres_east: float = 0.0, origin: tuple[float, float] = ABIDJAN):
    """The point that many metres north and east of `origin` (flat-Earth, fine for a few kilometres)."""
    lat = origin[0] + metres_north / METRES_PER_DEGREE_LAT
    lng = origin[1] + metres_east / (METRES_PER_DEGREE_LAT * math.cos(math.radians(origin[0])))
    return {"lat": lat, "lng": lng}


# Who sees what ------------------------------------------------------------------------------------


@pytest.fixture
def portfolios(make_client_by_awa, pos_list_readonly, awa, koffi, reps_group):  # type: ignore[no-untyped-def]
    """Awa's two clients, and clients she must not see: Koffi's, an archived one, one nobody is assigned to,
    and one on a list her group has no access to."""
    hidden_list = ClientListFactory(name="Grossistes")
    archived = make_client_by_awa("Archivé")
    client_archive(user=None, client=archived)
    return {
        "mine": [make_client_by_awa("Boutique Awa"), make_client_by_awa("Cave Awa")],
        "koffi": make_client_by_awa("Chez Koffi", reps=[koffi]),
        "archived": archived,
        "unassigned": make_client_by_awa("Sans commercial", reps=[]),
        "no_access": make_client(hidden_list, "Grossiste", {}, user=awa, reps=[awa]),
    }


def test_a_rep_lists_only_the_clients_assigned_to_them_on_lists_they_may_read(api, portfolios):
    assert names(api.get(URL)) == ["Boutique Awa", "Cave Awa"]


def test_back_office_staff_with_the_view_permission_list_every_active_client(back_office, portfolios):
    listed = names(signed_in(back_office).get(URL))
    assert listed == ["Boutique Awa", "Cave Awa", "Chez Koffi", "Grossiste", "Sans commercial"]


def test_staff_without_the_view_permission_see_only_their_own_assignments(portfolios):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("staff_only", is_staff=True)
    assert names(signed_in(staff).get(URL)) == []


def test_the_client_card_shows_who_created_and_last_edited_it_and_when(api, make_client_by_awa, awa, koffi):
    client = make_client_by_awa("Boutique Awa", {"quartier": "Plateau", "categorie": "Boutique"})
    koffi.first_name, koffi.last_name = "Koffi", "Kouassi"
    koffi.save()
    client_update(user=koffi, client=client, data={"phone": "+225 01 01 02 03 04"})
    response = api.get(f"{URL}{client.pk}/")
    assert response.status_code == 200, response.content
    card = response.json()
    client.refresh_from_db()
    assert card["id"] == str(client.pk)
    assert card["created_by"] == "awa"
    assert card["updated_by"] == "Koffi Kouassi"
    assert card["created_at"].startswith(client.created_at.isoformat()[:19])
    assert card["updated_at"].startswith(client.updated_at.isoformat()[:19])
    assert card["version"] == 2
    assert card["phone"] == "+2250101020304"
    assert card["attributes"] == {"quartier": "Plateau", "categorie": "Boutique"}
    assert card["distance_m"] is None


@pytest.mark.parametrize("hidden", ["koffi", "archived", "unassigned", "no_access"])
def test_a_client_the_rep_does_not_see_answers_404(api, portfolios, hidden):
    assert api.get(f"{URL}{portfolios[hidden].pk}/").status_code == 404


def test_an_unknown_client_answers_404(api, portfolios):
    assert api.get(f"{URL}{uuid.uuid4()}/").status_code == 404


def test_without_a_session_the_list_and_the_card_answer_403(portfolios):
    anonymous = HttpClient()
    assert anonymous.get(URL).status_code == 403
    assert anonymous.get(f"{URL}{portfolios['mine'][0].pk}/").status_code == 403


# Order and pagination -----------------------------------------------------------------------------


def test_the_list_is_in_alphabetical_order_of_name(api, make_client_by_awa):
    for name in ["Zébu Market", "alimentation Générale", "Épicerie du Marché", "Boutique Awa", "éclair Shop"]:
        make_client_by_awa(name)
    assert names(api.get(URL)) == [
        "alimentation Générale",
        "Boutique Awa",
        "éclair Shop",
        "Épicerie du Marché",
        "Zébu Market",
    ]


def test_following_next_reaches_every_client_exactly_once_25_a_page(api, make_client_by_awa):
    created = [make_client_by_awa(f"Client {number:02d}").name for number in random.Random(7).sample(range(60), 60)]
    pages = follow(api, URL)
    assert [len(page["results"]) for page in pages] == [25, 25, 10]
    assert pages[0]["previous"] is None
    listed = [client["name"] for page in pages for client in page["results"]]
    assert listed == sorted(created)


def test_pages_stay_whole_when_clients_share_a_name(api, make_client_by_awa):
    for _ in range(30):
        make_client_by_awa("Boutique")
    pages = follow(api, URL)
    ids = [client["id"] for page in pages for client in page["results"]]
    assert len(ids) == 30
    assert len(set(ids)) == 30


# Search -------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(make_client_by_awa):  # type: ignore[no-untyped-def]
    make_client_by_awa("Épicerie du Marché", {"quartier": "Plateau", "categorie": "Épicerie"})
    make_client_by_awa("Boutique Awa", {"quartier": "Cocody", "categorie": "Boutique"})
    make_client_by_awa(
        "Kiosque Koffi",
        {"quartier": "Yopougon", "categorie": "Boutique", "gerant_email": "epicerie@example.com"},
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("epicerie", ["Épicerie du Marché"]),  # name, without the accent
        ("ÉPICERIE", ["Épicerie du Marché"]),
        ("COCODY", ["Boutique Awa"]),  # an important attribute, in capitals
        ("boutique", ["Boutique Awa", "Kiosque Koffi"]),  # name or the important category
        ("boutique cocody", ["Boutique Awa"]),  # every word must match
        ("  marche   PLATEAU ", ["Épicerie du Marché"]),
        ("epicerie yopougon", []),  # the email is not important: not searched
        ("example.com", []),
        ("kio", ["Kiosque Koffi"]),
        ("", ["Boutique Awa", "Épicerie du Marché", "Kiosque Koffi"]),
    ],
)
def test_search_runs_over_the_name_and_important_attributes_ignoring_case_and_accents(api, searchable, q, expected):
    assert names(api.get(URL, {"q": q})) == expected


def test_search_reaches_beyond_the_first_page(api, make_client_by_awa):
    for number in range(40):
        make_client_by_awa(f"Boutique {number:02d}")
    make_client_by_awa("Zoo Épicerie")
    assert names(api.get(URL, {"q": "epicerie"})) == ["Zoo Épicerie"]


# Filters on the list's schema ---------------------------------------------------------------------


@pytest.fixture
def filterable(make_client_by_awa):  # type: ignore[no-untyped-def]
    rows = {
        "Alpha": {
            "quartier": "Cocody",
            "categorie": "Épicerie",
            "surface_m2": 9,
            "ca_mensuel": "9.5",
            "ouverture": "2023-12-31",
            "frigo": True,
            "services": ["Mobile money", "Crédit"],
            "gerant_email": "awa@example.com",
        },
        "Bravo": {
            "quartier": "Plateau",
            "categorie": "Boutique",
            "surface_m2": 10,
            "ca_mensuel": "12",
            "ouverture": "2024-01-15",
            "frigo": False,
            "services": ["Livraison"],
            "gerant_email": "koffi@shop.ci",
        },
        "Charlie": {
            "quartier": "Cocody Angré",
            "categorie": "Supermarché",
            "surface_m2": 100,
            "ca_mensuel": "12.5",
            "ouverture": "2024-12-31",
            "services": ["Crédit"],
        },
        "Delta": {"quartier": "Yopougon", "categorie": "Boutique", "ca_mensuel": "100"},
    }
    for name, attributes in rows.items():
        make_client_by_awa(name, attributes)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"attr_quartier": "COCODY"}, ["Alpha", "Charlie"]),  # text contains, any case
        ({"attr_gerant_email": "Example"}, ["Alpha"]),
        ({"attr_categorie": "Boutique"}, ["Bravo", "Delta"]),  # choice: exact
        ({"attr_categorie": "Épicerie"}, ["Alpha"]),
        ({"attr_frigo": "true"}, ["Alpha"]),
        ({"attr_frigo": "false"}, ["Bravo"]),
        ({"attr_services": "Crédit"}, ["Alpha", "Charlie"]),  # multiple choice holds the option
        ({"attr_services": "Livraison"}, ["Bravo"]),
        ({"attr_services": "Mobile money"}, ["Alpha"]),
        ({"attr_surface_m2_min": "10"}, ["Bravo", "Charlie"]),
        ({"attr_surface_m2_max": "10"}, ["Alpha", "Bravo"]),
        ({"attr_surface_m2_min": "10", "attr_surface_m2_max": "99"}, ["Bravo"]),
        ({"attr_ca_mensuel_min": "10"}, ["Bravo", "Charlie", "Delta"]),  # "9.5" < "12" as numbers
        ({"attr_ca_mensuel_max": "12"}, ["Alpha", "Bravo"]),
        ({"attr_ca_mensuel_min": "9.5", "attr_ca_mensuel_max": "12.5"}, ["Alpha", "Bravo", "Charlie"]),
        ({"attr_ca_mensuel_min": "12.25"}, ["Charlie", "Delta"]),
        ({"attr_ouverture_min": "2024-01-01"}, ["Bravo", "Charlie"]),
        ({"attr_ouverture_min": "2024-01-01", "attr_ouverture_max": "2024-06-30"}, ["Bravo"]),
        ({"attr_ouverture_max": "2024-01-15"}, ["Alpha", "Bravo"]),
        ({"attr_quartier": "cocody", "q": "charlie"}, ["Charlie"]),  # a filter with a search
        ({"attr_categorie": "Boutique", "attr_ca_mensuel_min": "50"}, ["Delta"]),
        ({"colour": "blue", "attr_unknown": "x"}, ["Alpha", "Bravo", "Charlie", "Delta"]),  # unknown: ignored
    ],
)
def test_filters_on_the_list_schema(api, filterable, params, expected):
    assert names(api.get(URL, params)) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"attr_surface_m2_min": "abc"}, "attr_surface_m2_min"),
        ({"attr_ca_mensuel_max": "douze"}, "attr_ca_mensuel_max"),
        ({"attr_ouverture_min": "2024-13-45"}, "attr_ouverture_min"),
    ],
)
def test_a_filter_value_of_the_wrong_type_answers_400_naming_the_parameter(api, filterable, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["errors"])) == ("invalid", [field])
    assert body["detail"] == body["errors"][field][0]
    assert body["errors"][field][0] in {"Enter a number.", "Enter a valid date."}


def test_a_filtered_page_still_paginates_over_the_full_list(api, make_client_by_awa):
    for number in range(30):
        make_client_by_awa(f"Épicerie {number:02d}", {"quartier": "Cocody", "categorie": "Épicerie"})
        make_client_by_awa(f"Boutique {number:02d}", {"quartier": "Cocody", "categorie": "Boutique"})
    pages = follow(api, URL, {"attr_categorie": "Épicerie", "q": "cocody"})
    assert [client["name"] for page in pages for client in page["results"]] == [f"Épicerie {n:02d}" for n in range(30)]


# Nearest first ------------------------------------------------------------------------------------


def test_near_sorts_nearest_first_with_the_distance_and_leaves_out_the_far_and_the_unplaced(api, make_client_by_awa):
    make_client_by_awa("2 km north", **offset(2000))
    make_client_by_awa("100 m east", **offset(0, 100))
    make_client_by_awa("500 m south-west", **offset(-353.55, -353.55))
    make_client_by_awa("30 km north", **offset(30_000))  # beyond the default 20 km
    make_client_by_awa("No GPS", lat=None, lng=None)
    response = api.get(URL, {"near": f"{ABIDJAN[0]},{ABIDJAN[1]}"})
    assert names(response) == ["100 m east", "500 m south-west", "2 km north"]
    distances = [client["distance_m"] for client in response.json()["results"]]
    assert distances == pytest.approx([100, 500, 2000], rel=2e-3)
    for client in response.json()["results"]:
        assert client["distance_m"] == pytest.approx(
            haversine_m(ABIDJAN[0], ABIDJAN[1], client["lat"], client["lng"]), abs=0.1
        )


def test_radius_keeps_only_the_clients_within_that_many_metres(api, make_client_by_awa):
    make_client_by_awa("950 m north", **offset(950))
    make_client_by_awa("1.2 km north", **offset(1200))
    # Inside the square around the circle, outside the circle: 1.27 km away.
    make_client_by_awa("900 m north-east", **offset(900, 900))
    make_client_by_awa("999 m west", **offset(0, -999))
    response = api.get(URL, {"near": f"{ABIDJAN[0]},{ABIDJAN[1]}", "radius_m": "1000"})
    assert names(response) == ["950 m north", "999 m west"]
    assert all(client["distance_m"] <= 1000 for client in response.json()["results"])


def test_nearest_first_pages_follow_each_other_in_distance_each_client_once(api, make_client_by_awa):
    rng = random.Random(11)
    for number in range(60):
        make_client_by_awa(f"Client {number:02d}", **offset(rng.uniform(-3000, 3000), rng.uniform(-3000, 3000)))
    make_client_by_awa("Twin A", **offset(1000, 1000))
    make_client_by_awa("Twin B", **offset(1000, 1000))  # same place: same distance, both listed once
    pages = follow(api, URL, {"near": f"{ABIDJAN[0]},{ABIDJAN[1]}", "radius_m": "5000"})
    listed = [client for page in pages for client in page["results"]]
    assert [len(page["results"]) for page in pages] == [25, 25, 12]
    assert len({client["id"] for client in listed}) == 62
    distances = [client["distance_m"] for client in listed]
    assert distances == sorted(distances)


def test_a_forged_cursor_answers_404_not_a_server_error(api, make_client_by_awa):
    for number in range(30):
        make_client_by_awa(f"Client {number:02d}", **offset(number * 10))
    forged = base64.b64encode(b"p=not-a-distance").decode()
    response = api.get(URL, {"near": f"{ABIDJAN[0]},{ABIDJAN[1]}", "cursor": forged})
    assert response.status_code == 404


@pytest.mark.parametrize("near", ["abc", "95,0", "5.3", "5.3,-4.0,1", "0,181", "nan,0", "inf,0", ","])
def test_a_malformed_near_answers_400_saying_how_to_write_it(api, make_client_by_awa, near):
    response = api.get(URL, {"near": near})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": str(BAD_NEAR), "errors": {"near": [str(BAD_NEAR)]}}
    assert str(BAD_NEAR) == "near must be “latitude,longitude”, e.g. near=5.35,-4.01."


@pytest.mark.parametrize("radius", ["abc", "0", "-5", "500001", "nan", "inf"])
def test_a_bad_radius_answers_400(api, make_client_by_awa, radius):
    response = api.get(URL, {"near": "5.35,-4.0", "radius_m": radius})
    assert response.status_code == 400
    assert response.json()["errors"] == {"radius_m": [str(BAD_RADIUS)]}


def test_a_bad_near_or_radius_is_explained_in_the_language_of_the_request(api, make_client_by_awa):
    with translation.override("fr"):
        french_near, french_radius = str(BAD_NEAR), str(BAD_RADIUS)
    assert french_near.startswith("near doit être")
    assert french_radius.startswith("radius_m doit être")
    assert api.get(URL, {"near": "abc"}, HTTP_ACCEPT_LANGUAGE="fr").json()["errors"] == {"near": [french_near]}
    assert api.get(URL, {"near": "5,-4", "radius_m": "0"}, HTTP_ACCEPT_LANGUAGE="fr-CI,fr;q=0.9").json()["errors"] == {
        "radius_m": [french_radius]
    }
    assert api.get(URL, {"near": "abc"}, HTTP_ACCEPT_LANGUAGE="en").json()["errors"] == {"near": [str(BAD_NEAR)]}


def test_api_errors_follow_accept_language(api, make_client_by_awa):
    assert HttpClient().get(URL, HTTP_ACCEPT_LANGUAGE="fr").json() == {
        "code": "not_authenticated",
        "detail": "Informations d'authentification non fournies.",
    }
    response = api.get(URL, {"attr_surface_m2_min": "abc"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Saisissez un nombre.",
        "errors": {"attr_surface_m2_min": ["Saisissez un nombre."]},
    }


@pytest.mark.postgres
def test_the_nearest_first_query_narrows_through_the_position_index(api, pos_list_readonly, awa):
    """On 5,000 clients spread over ±0.5° around Abidjan, the view's query reads the few in the 2 km box off
    the (lat, lng) index instead of scanning the table."""
    rng = random.Random(3)
    specs = pos_list_readonly.specs()
    attributes = {"quartier": "Cocody", "categorie": "Boutique"}
    clients = [
        Client(
            client_list=pos_list_readonly,
            name=f"Client {number:04d}",
            lat=ABIDJAN[0] + rng.uniform(-0.5, 0.5),
            lng=ABIDJAN[1] + rng.uniform(-0.5, 0.5),
            attributes=attributes,
            search_text=search_text(specs, f"Client {number:04d}", attributes),
        )
        for number in range(5000)
    ]
    Client.objects.bulk_create(clients, batch_size=1000)
    Assignment.objects.bulk_create([Assignment(client=client, rep=awa) for client in clients], batch_size=1000)
    with connection.cursor() as cursor:
        for table in ("clients_client", "clients_assignment", "clients_listaccess"):
            cursor.execute(f"ANALYZE {table}")
    with CaptureQueriesContext(connection) as queries:
        response = api.get(URL, {"near": f"{ABIDJAN[0]},{ABIDJAN[1]}", "radius_m": "2000"})
    assert response.status_code == 200
    assert 0 < len(response.json()["results"]) < 25
    # The page is the one query that reads clients; EXPLAIN it exactly as the view ran it.
    (page_sql,) = [q["sql"] for q in queries.captured_queries if 'FROM "clients_client"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(plan)
    assert "client_position" in plan, plan
    assert "Seq Scan on clients_client" not in plan, plan


# Queries ------------------------------------------------------------------------------------------

# One page of the client list costs, whatever its length (10 clients, a short page; 30, a full page of 25 and more
# behind it: a query made per client would show as well as with hundreds):
#   1. the session,
#   2. the signed-in user,
#   3. the lists the user may read (their schemas make the attr_<key> filters),
#   4. the attributes of those lists (prefetched),
#   5. the page of clients, with who created and last edited each (joined).
LIST_QUERIES = 5


@pytest.mark.parametrize("count", [10, 30])
def test_a_page_costs_the_same_queries_whatever_the_number_of_clients(
    api, make_client_by_awa, django_assert_num_queries, count
):
    for number in range(count):
        make_client_by_awa(f"Client {number:03d}")
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get(URL)
    assert len(response.json()["results"]) == min(count, 25)


@pytest.mark.parametrize("matching", [5, 25])
def test_a_searched_filtered_nearest_first_page_costs_the_same_queries_whatever_its_length(
    api, make_client_by_awa, django_assert_num_queries, matching
):
    for number in range(30):
        category = "Épicerie" if number < matching else "Boutique"
        make_client_by_awa(f"Client {number:03d}", {"quartier": "Cocody", "categorie": category}, **offset(number * 10))
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get(URL, {"attr_categorie": "Épicerie", "q": "cocody", "near": "5.3599,-4.0083"})
    assert len(response.json()["results"]) == matching


def test_a_page_costs_the_same_queries_whatever_the_number_of_lists(api, awa, reps_group, django_assert_num_queries):
    for number in range(3):
        other = ClientListFactory(name=f"Liste {number}")
        AttributeFactory(client_list=other, key=f"champ{number}", important=True)
        ListAccess.objects.create(client_list=other, group=reps_group)
        make_client(other, f"Client {number}", {f"champ{number}": "x"}, user=awa, reps=[awa])
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get(URL, {"attr_champ2": "x"})
    assert names(response) == ["Client 2"]


# The back office reads its permissions too: 3. the user's own permissions, 4. those of the user's groups,
# 5. whether the user is a supervisor, whom a team bounds (fieldsales.accounts.team_of); then 6. every list,
# 7. their attributes and 8. the page.
BACK_OFFICE_LIST_QUERIES = 8


@pytest.mark.parametrize("count", [10, 30])
def test_a_back_office_page_costs_the_same_queries_whatever_the_number_of_clients(
    back_office, make_client_by_awa, django_assert_num_queries, count
):
    for number in range(count):
        make_client_by_awa(f"Client {number:03d}")
    http = signed_in(back_office)
    with django_assert_num_queries(BACK_OFFICE_LIST_QUERIES):
        response = http.get(URL)
    assert len(response.json()["results"]) == min(count, 25)


# The card: 1. session, 2. user, 3. lists, 4. their attributes, 5. the client with its authors.
def test_the_client_card_costs_five_queries(api, make_client_by_awa, django_assert_num_queries):
    client = make_client_by_awa("Boutique Awa")
    with django_assert_num_queries(5):
        assert api.get(f"{URL}{client.pk}/").status_code == 200


def test_a_list_access_removed_hides_the_clients_at_once(api, make_client_by_awa, pos_list_readonly, reps_group):
    make_client_by_awa("Boutique Awa")
    ListAccess.objects.filter(client_list=pos_list_readonly, group=reps_group).delete()
    assert names(api.get(URL)) == []
