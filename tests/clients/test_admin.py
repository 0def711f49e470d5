"""The back office on clients: actions, purge, the schema-built form, search, filters, columns, queries, French."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from clients.models import Client
from clients.schema import normalize_text
from clients.services import client_archive
from tests.clients.conftest import FULL_ATTRIBUTES
from tests.factories import NoteFactory, OrderLineFactory, SubmissionFactory, UserFactory, VisitFactory, make_client
from workflows.models import ActivitySubmission, Note, OrderLine, Visit

CHANGELIST = "/admin/clients/client/"


def change_url(client: Client) -> str:
    return f"{CHANGELIST}{client.pk}/change/"


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed_names(response: Any) -> list[str]:
    return sorted(client.name for client in response.context["cl"].result_list)


def post_action(http: Any, action: str, clients: list[Client], **extra: Any) -> Any:
    data = {"action": action, "_selected_action": [str(client.pk) for client in clients], **extra}
    return http.post(CHANGELIST, data)


def form_post_data(form: Any) -> dict[str, Any]:
    """What the browser sends back for an admin form left as it was rendered."""
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is not None:
            data[name] = str(value)
    return data


@pytest.fixture
def shops(pos_list, wholesalers, awa, koffi, clerk):  # type: ignore[no-untyped-def]
    """Three points of sale and a wholesaler, all with the same phone number."""
    phone = "+225 07 07 07 07 07"
    return {
        "marche": make_client(
            pos_list, "Épicerie du Marché", FULL_ATTRIBUTES, reps=[awa, koffi], statement_enabled=True, phone=phone
        ),
        "koffi": make_client(
            pos_list, "Boutique Koffi", {"quartier": "Adjamé", "categorie": "Boutique"}, reps=[koffi], phone=phone
        ),
        "plateau": make_client(
            pos_list, "Supermarché Plateau", {"quartier": "Plateau", "categorie": "Supermarché"}, phone=phone
        ),
        "grossiste": make_client(
            wholesalers, "Grossiste Abidjan", {"volume_annuel": 5000, "zone": "Sud"}, reps=[awa], phone=phone
        ),
    }


# Archive, restore --------------------------------------------------------------------------


@pytest.mark.django_db
def test_archive_action_archives_selected_clients_and_bumps_their_version(clerk_client, clerk, shops):
    chosen = [shops["marche"], shops["koffi"]]

    response = post_action(clerk_client, "archive", chosen, post="yes")  # confirmed (tests/clients/test_bulk.py)

    assert response.status_code == 302
    assert messages_of(response) == ["2 clients archived."]
    for client in chosen:
        stored = Client.objects.get(pk=client.pk)
        assert stored.archived_at is not None
        assert stored.archived_by == clerk
        assert stored.version == client.version + 1
    assert Client.objects.get(pk=shops["plateau"].pk).archived_at is None


@pytest.mark.django_db
def test_restore_action_restores_archived_clients_and_bumps_their_version(clerk_client, clerk, shops):
    archived = client_archive(user=clerk, client=shops["marche"])

    post_action(clerk_client, "restore", [archived, shops["koffi"]])

    stored = Client.objects.get(pk=archived.pk)
    assert (stored.archived_at, stored.archived_by) == (None, None)
    assert stored.version == archived.version + 1
    assert stored.updated_by == clerk
    assert Client.objects.get(pk=shops["koffi"].pk).version == shops["koffi"].version  # was not archived


# Purge ---------------------------------------------------------------------------------------


@pytest.fixture
def field_records(shops):  # type: ignore[no-untyped-def]
    """A visit with an order, and a note, on the market grocery."""
    visit = VisitFactory(client=shops["marche"])
    submission = SubmissionFactory(visit=visit)
    OrderLineFactory(submission=submission)
    note = NoteFactory(client=shops["marche"], visit=visit, text="Rupture de riz")
    return {"visit": visit, "submission": submission, "note": note}


@pytest.mark.django_db
def test_purge_of_a_client_that_is_not_archived_is_refused(manager_client, shops, field_records):
    response = post_action(manager_client, "delete_selected", [shops["marche"]])

    assert response.status_code == 302
    assert messages_of(response) == ["Only archived clients can be purged. Archive “Épicerie du Marché” first."]
    assert Client.objects.filter(pk=shops["marche"].pk).exists()
    assert Visit.objects.count() == 1 and Note.objects.count() == 1


@pytest.mark.django_db
def test_purge_of_a_mix_of_archived_and_active_clients_deletes_none(manager_client, clerk, shops):
    client_archive(user=clerk, client=shops["koffi"])

    post_action(manager_client, "delete_selected", [shops["koffi"], shops["plateau"]], post="yes")

    assert Client.objects.count() == 4


@pytest.mark.django_db
def test_purge_is_refused_to_staff_without_the_purge_permission(client, clerk, shops, field_records):
    archived = client_archive(user=clerk, client=shops["marche"])
    staff = UserFactory(username="stagiaire", is_staff=True)
    # Django's delete permission is not the purge's.
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="clients", codename__in=["view_client", "change_client", "delete_client"]
        )
    )
    client.force_login(staff)

    page = client.get(CHANGELIST)
    response = post_action(client, "delete_selected", [archived], post="yes")

    assert page.status_code == 200
    assert "delete_selected" not in [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert response.status_code in (302, 403)
    assert Client.objects.filter(pk=archived.pk).exists()
    assert Visit.objects.count() == 1 and Note.objects.count() == 1


@pytest.mark.django_db
def test_purge_of_an_archived_client_lists_and_deletes_its_visits_submissions_and_notes(
    manager_client, clerk, shops, field_records
):
    archived = client_archive(user=clerk, client=shops["marche"])

    confirmation = post_action(manager_client, "delete_selected", [archived])
    page = strip_tags(confirmation.content.decode())
    deleted = post_action(manager_client, "delete_selected", [archived], post="yes")

    assert confirmation.status_code == 200
    assert "Are you sure you want to delete the selected client?" in page
    assert f"Visit: {field_records['visit']}" in page
    assert f"Activity submission: {field_records['submission']}" in page
    assert "Note: Rupture de riz" in page
    assert 'name="post" value="yes"' in confirmation.content.decode()
    assert deleted.status_code == 302
    assert messages_of(deleted)[-1] == "Successfully deleted 1 client."
    assert not Client.objects.filter(pk=archived.pk).exists()
    assert Visit.objects.count() == ActivitySubmission.objects.count() == OrderLine.objects.count() == 0
    assert Note.objects.count() == 0
    assert Client.objects.count() == 3


@pytest.mark.django_db
def test_change_view_offers_no_delete_for_a_client_that_is_not_archived(manager_client, shops):
    active = shops["koffi"]

    page = manager_client.get(change_url(active))
    delete_page = manager_client.get(f"{CHANGELIST}{active.pk}/delete/")
    delete_post = manager_client.post(f"{CHANGELIST}{active.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert f"{active.pk}/delete/" not in page.content.decode()
    assert delete_page.status_code == delete_post.status_code == 403
    assert Client.objects.filter(pk=active.pk).exists()


@pytest.mark.django_db
def test_change_view_delete_purges_an_archived_client(manager_client, clerk, shops, field_records):
    archived = client_archive(user=clerk, client=shops["marche"])

    confirmation = manager_client.get(f"{CHANGELIST}{archived.pk}/delete/")
    response = manager_client.post(f"{CHANGELIST}{archived.pk}/delete/", {"post": "yes"})

    assert confirmation.status_code == 200
    assert f"Visit: {field_records['visit']}" in strip_tags(confirmation.content.decode())
    assert response.status_code == 302
    assert not Client.objects.filter(pk=archived.pk).exists()
    assert Visit.objects.count() == Note.objects.count() == 0


@pytest.mark.django_db
def test_an_archived_client_is_read_only_until_restored(clerk_client, clerk, shops):
    archived = client_archive(user=clerk, client=shops["koffi"])

    page = clerk_client.get(change_url(archived))
    response = clerk_client.post(change_url(archived), {"name": "Renamed"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    assert Client.objects.get(pk=archived.pk).name == "Boutique Koffi"


# Add ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_with_two_lists_asks_for_the_list_first(clerk_client, pos_list, wholesalers):
    response = clerk_client.get(f"{CHANGELIST}add/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Which list does the new client belong to?" in page
    assert f'href="?client_list={pos_list.pk}"' in page
    assert f'href="?client_list={wholesalers.pk}"' in page


@pytest.mark.django_db
def test_add_with_one_list_goes_straight_to_its_form(clerk_client, pos_list):
    response = clerk_client.get(f"{CHANGELIST}add/")

    assert response.status_code == 302
    assert response["Location"].endswith(f"?client_list={pos_list.pk}")


@pytest.mark.django_db
def test_add_form_has_one_field_per_attribute_required_ones_marked(clerk_client, pos_list, wholesalers):
    response = clerk_client.get(f"{CHANGELIST}add/?client_list={pos_list.pk}")

    form = response.context["adminform"].form
    page = response.content.decode()
    attribute_fields = [name for name in form.fields if name.startswith("attr_")]
    assert attribute_fields == [f"attr_{key}" for key in FULL_ATTRIBUTES]
    assert {name for name in attribute_fields if form.fields[name].required} == {"attr_quartier", "attr_categorie"}
    assert '<label class="required" for="id_attr_quartier">District:</label>' in page
    assert '<label class="required" for="id_attr_categorie">Category:</label>' in page
    assert '<label for="id_attr_surface_m2">Area (m²):</label>' in page
    assert "attr_volume_annuel" not in page
    assert "Points de vente" in page  # the list the client will belong to


def add_post_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "  Épicerie Chez Awa ",
        "phone": "+225 05 05 05 05 05",
        "lat": "5.31",
        "lng": "-4.02",
        "accuracy_m": "8",
        "statement_enabled": "on",
        "attr_quartier": "Treichville",
        "attr_categorie": "Épicerie",
        "attr_surface_m2": "45",
        "attr_ca_mensuel": "12.50",
        "attr_ouverture": "2024-01-15",
        "attr_frigo": "true",
        "attr_services": ["Livraison", "Mobile money"],
        "attr_gerant_email": "Awa@Example.COM",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"attr_categorie": "Pharmacie"}, "attr_categorie", "Select a valid choice."),
        ({"attr_quartier": ""}, "attr_quartier", "This field is required."),
        ({"attr_quartier": None}, "attr_quartier", "This field is required."),
        ({"attr_services": ["Crédit", "Épargne"]}, "attr_services", "Select a valid choice."),
        ({"attr_gerant_email": "pas-un-email"}, "attr_gerant_email", "Enter a valid email address."),
        ({"attr_surface_m2": "douze"}, "attr_surface_m2", "Enter a whole number."),
        ({"lat": "95"}, "lat", "Ensure this value is less than or equal to 90."),
    ],
    ids=["choice", "empty required", "missing required", "multiple choice", "email", "integer", "latitude"],
)
def test_add_with_an_invalid_value_shows_the_error_on_its_field_and_writes_nothing(
    clerk_client, pos_list, wholesalers, awa, overrides, field, message
):
    response = clerk_client.post(f"{CHANGELIST}add/?client_list={pos_list.pk}", add_post_data(**overrides))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == [field]
    assert any(message in error for error in form.errors[field])
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_add_creates_the_client_through_the_service(clerk_client, clerk, pos_list, wholesalers, awa, koffi):
    response = clerk_client.post(
        f"{CHANGELIST}add/?client_list={pos_list.pk}", add_post_data(assigned_reps=[str(awa.pk), str(koffi.pk)])
    )

    assert response.status_code == 302
    client = Client.objects.get()
    assert client.name == "Épicerie Chez Awa"
    assert client.client_list == pos_list
    assert client.attributes == {
        "quartier": "Treichville",
        "categorie": "Épicerie",
        "surface_m2": 45,
        "ca_mensuel": "12.5",
        "ouverture": "2024-01-15",
        "frigo": True,
        "services": ["Mobile money", "Livraison"],
        "gerant_email": "Awa@example.com",
    }
    assert client.statement_enabled is True
    assert client.version == 1
    assert client.created_by == clerk == client.updated_by
    assert client.search_text == normalize_text("Épicerie Chez Awa Treichville Épicerie")
    assert sorted(rep.username for rep in client.reps.all()) == ["awa", "koffi"]


# Edit ---------------------------------------------------------------------------------------


def edit(http: Any, client: Client, **changes: Any) -> Any:
    page = http.get(change_url(client))
    data = form_post_data(page.context["adminform"].form)
    data.update(changes)
    data = {key: value for key, value in data.items() if value is not None}
    return http.post(change_url(client), data)


@pytest.mark.django_db
def test_saving_the_change_form_unchanged_keeps_the_version(clerk_client, shops):
    before = Client.objects.get(pk=shops["marche"].pk)

    response = edit(clerk_client, before)

    assert response.status_code == 302
    after = Client.objects.get(pk=before.pk)
    assert (after.version, after.updated_at, after.attributes) == (before.version, before.updated_at, before.attributes)
    assert sorted(rep.username for rep in after.reps.all()) == ["awa", "koffi"]


@pytest.mark.django_db
def test_editing_a_field_bumps_the_version_once(clerk_client, clerk, shops):
    before = Client.objects.get(pk=shops["marche"].pk)

    response = edit(clerk_client, before, attr_surface_m2="150", name="Épicerie du Grand Marché")

    assert response.status_code == 302
    after = Client.objects.get(pk=before.pk)
    assert after.version == before.version + 1
    assert after.attributes == {**FULL_ATTRIBUTES, "surface_m2": 150}
    assert after.field_versions == {"name": after.version, "surface_m2": after.version}
    assert after.updated_by == clerk
    assert "grand marche" in after.search_text


@pytest.mark.django_db
def test_editing_reps_and_a_field_together_bumps_the_version_once(clerk_client, shops, awa):
    before = Client.objects.get(pk=shops["koffi"].pk)

    edit(clerk_client, before, phone="+225 01 01 01 01 01", assigned_reps=[str(awa.pk)])

    after = Client.objects.get(pk=before.pk)
    assert after.version == before.version + 1
    assert [rep.username for rep in after.reps.all()] == ["awa"]


@pytest.mark.django_db
def test_clearing_an_optional_attribute_in_the_change_form_removes_it(clerk_client, shops):
    before = Client.objects.get(pk=shops["marche"].pk)

    edit(clerk_client, before, attr_surface_m2="", attr_services=None, attr_frigo="")

    after = Client.objects.get(pk=before.pk)
    assert after.attributes == {
        key: value for key, value in FULL_ATTRIBUTES.items() if key not in {"surface_m2", "services", "frigo"}
    }
    assert after.version == before.version + 1


@pytest.mark.django_db
def test_clearing_a_required_attribute_in_the_change_form_is_refused(clerk_client, shops):
    before = Client.objects.get(pk=shops["marche"].pk)

    response = edit(clerk_client, before, attr_quartier="")

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["attr_quartier"]
    assert Client.objects.get(pk=before.pk).version == before.version


# Changelist: search, filters, columns -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("epicerie", ["Épicerie du Marché"]),
        ("ÉPICERIE du marche", ["Épicerie du Marché"]),
        ("adjame", ["Boutique Koffi"]),  # an important attribute, accent typed or not
        ("Adjamé", ["Boutique Koffi"]),
        ("supermarche", ["Supermarché Plateau"]),  # the name, and the category of the same client
        ("sud", ["Grossiste Abidjan"]),
        ("07 07", sorted(["Épicerie du Marché", "Boutique Koffi", "Supermarché Plateau", "Grossiste Abidjan"])),
        ("pharmacie", []),
    ],
)
def test_changelist_search_ignores_accents_and_case(clerk_client, shops, query, expected):
    response = clerk_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert listed_names(response) == sorted(expected)


@pytest.mark.django_db
def test_changelist_search_does_not_match_unimportant_attributes(clerk_client, shops):
    response = clerk_client.get(CHANGELIST, {"q": "awa@example.com"})

    assert listed_names(response) == []


@pytest.mark.django_db
def test_changelist_filters(clerk_client, clerk, shops, pos_list, wholesalers, awa, koffi):
    client_archive(user=clerk, client=shops["plateau"])

    def names(**params: Any) -> list[str]:
        response = clerk_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return listed_names(response)

    assert names(client_list__id__exact=wholesalers.pk) == ["Grossiste Abidjan"]
    assert names(client_list__id__exact=pos_list.pk) == ["Boutique Koffi", "Supermarché Plateau", "Épicerie du Marché"]
    assert names(rep=awa.pk) == ["Grossiste Abidjan", "Épicerie du Marché"]
    assert names(rep=koffi.pk) == ["Boutique Koffi", "Épicerie du Marché"]
    assert names(rep="none") == ["Supermarché Plateau"]
    assert names(archived="yes") == ["Supermarché Plateau"]
    assert names(archived="no") == ["Boutique Koffi", "Grossiste Abidjan", "Épicerie du Marché"]
    assert names(statement_enabled__exact=1) == ["Épicerie du Marché"]
    assert names(statement_enabled__exact=0) == ["Boutique Koffi", "Grossiste Abidjan", "Supermarché Plateau"]
    assert names(client_list__id__exact=pos_list.pk, rep=koffi.pk, archived="no") == [
        "Boutique Koffi",
        "Épicerie du Marché",
    ]


@pytest.mark.django_db
def test_changelist_shows_attribute_columns_only_when_filtered_to_one_list(clerk_client, shops, pos_list):
    everything = clerk_client.get(CHANGELIST)
    one_list = clerk_client.get(CHANGELIST, {"client_list__id__exact": pos_list.pk})

    headers = [str(header["text"]) for header in one_list.context["result_headers"]][1:]  # after the checkbox
    assert headers[:2] == ["name", "client list"]
    assert headers[2:10] == [
        "District",
        "Category",
        "Area (m²)",
        "Monthly turnover",
        "Opened on",
        "Fridge",
        "Services",
        "Manager email",
    ]
    page = one_list.content.decode()
    assert '<td class="field-attr_services">Mobile money; Crédit</td>' in page
    assert '<td class="field-attr_frigo">Yes</td>' in page
    assert "District" not in [header["text"] for header in everything.context["result_headers"]]


# Queries ------------------------------------------------------------------------------------


@pytest.fixture
def many_clients(pos_list, wholesalers, awa, koffi):  # type: ignore[no-untyped-def]
    """Clients with reps, made in bulk (the service is covered above; only the page's queries matter here)."""
    from clients.models import Assignment

    def make(count: int) -> None:
        existing = Client.objects.count()
        clients = Client.objects.bulk_create(
            Client(
                client_list=pos_list if n % 2 else wholesalers,
                name=f"Boutique {existing + n:03d}",
                attributes={"quartier": "Cocody", "categorie": "Boutique"},
                search_text=f"boutique {existing + n:03d}",
            )
            for n in range(count)
        )
        Assignment.objects.bulk_create(
            [Assignment(client=client, rep=rep) for client in clients for rep in (awa, koffi)]
        )

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("filtered", [False, True], ids=["all lists", "one list with attribute columns"])
def test_changelist_queries_do_not_grow_with_the_number_of_clients(
    clerk_client, many_clients, pos_list, django_assert_num_queries, filtered
):
    params = {"client_list__id__exact": pos_list.pk} if filtered else {}
    many_clients(10)
    with CaptureQueriesContext(connection) as ten:
        assert clerk_client.get(CHANGELIST, params).status_code == 200

    many_clients(90)
    # 1. the session  2. the clerk  3. the clerk's own permissions  4. the permissions of the clerk's groups
    # 5. whether the clerk is a supervisor, whom a team bounds (fieldsales.accounts.team_of)
    # 6. the lists, to know whether the page shows one (filtered: the chosen list)  7. that list's attributes
    # 8. the lists for the "client list" filter  9. the reps for the "rep" filter
    # 10. the count of clients matching the filters  11. the count of all clients ("N total")
    # 12. the page of clients, with their list (select_related)  13. the page's reps (prefetch_related)
    with django_assert_num_queries(len(ten.captured_queries)):
        response = clerk_client.get(CHANGELIST, params)

    assert len(ten.captured_queries) == 13, [query["sql"] for query in ten.captured_queries]

    assert len(response.context["cl"].result_list) == 50


# Languages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_changelist_answers_in_french(clerk_client, shops):
    response = clerk_client.get(CHANGELIST, headers={"accept-language": "fr"})

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr"' in page
    assert "Sélectionnez l’objet client à changer" in page
    assert ">Rechercher<" in page or 'value="Rechercher"' in page
    assert "Accueil" in page


@pytest.mark.django_db
def test_changelist_answers_in_english_by_default(clerk_client, shops):
    response = clerk_client.get(CHANGELIST, headers={"accept-language": "en"})

    page = response.content.decode()
    assert '<html lang="en"' in page
    assert "Select client to change" in page
