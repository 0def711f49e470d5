"""The back office's bulk actions on clients (clients/bulk.py): each page says how many clients it changes, the action
writes through its service (clients/services.py), rights bound it; the list's filters on the schema; the queries a
bulk action costs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Assignment, Client
from clients.services import client_archive, clients_reps_add, clients_reps_remove
from fieldsales.models import Profile
from tests.clients.conftest import FULL_ATTRIBUTES
from tests.factories import RepFactory, SupervisorFactory, make_client

CHANGELIST = "/admin/clients/client/"


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def start(http: Any, action: str, clients: Any = (), *, params: dict[str, Any] | None = None, across: bool = False):  # type: ignore[no-untyped-def]
    """The list's form sent with `action` chosen: the ticked clients, or the whole filtered list (`across`)."""
    data = {
        "action": action,
        "index": "0",
        ACTION_CHECKBOX_NAME: [str(client.pk) for client in clients],
        "select_across": "1" if across else "0",
    }
    return http.post(CHANGELIST + (f"?{urlencode(params)}" if params else ""), data)


def answer(http: Any, page: Any, **fields: Any) -> Any:
    """What the action's page posts back, to its own address: the selection and its hidden fields as it received them,
    and the clerk's `fields`."""
    assert page.status_code == 200, page
    context = page.context
    data: dict[str, Any] = {
        ACTION_CHECKBOX_NAME: context["selected"],
        "action": context["action"],
        "select_across": context["select_across"],
    }
    if context["confirms"]:
        data["post"] = "yes"
    data.update({field.name: field.value() for field in context["form"].hidden_fields()})
    data.update(fields)
    return http.post(page.wsgi_request.get_full_path(), data)


def lines(page: Any) -> list[str]:
    return [str(line) for line in page.context["lines"]]


def reps_of(client: Client) -> set[str]:
    return set(Assignment.objects.filter(client=client).values_list("rep__username", flat=True))


def fresh(client: Client) -> Client:
    return Client.objects.get(pk=client.pk)


@pytest.fixture
def shops(pos_list, wholesalers, awa, koffi, clerk):  # type: ignore[no-untyped-def]
    """Three points of sale (one with its statement on), one archived, and a wholesaler."""
    closed = make_client(pos_list, "Boutique Fermée", {"quartier": "Treichville", "categorie": "Boutique"}, reps=[awa])
    return {
        "marche": make_client(pos_list, "Épicerie du Marché", FULL_ATTRIBUTES, reps=[awa]),
        "koffi": make_client(
            pos_list,
            "Boutique Koffi",
            {"quartier": "Adjamé", "categorie": "Boutique"},
            reps=[koffi],
            statement_enabled=True,
        ),
        "plateau": make_client(pos_list, "Supermarché Plateau", {"quartier": "Plateau", "categorie": "Supermarché"}),
        "closed": client_archive(user=clerk, client=closed),
        "grossiste": make_client(wholesalers, "Grossiste Abidjan", {"volume_annuel": 5000, "zone": "Sud"}, reps=[awa]),
    }


# Reps ----------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_a_rep_says_how_many_clients_then_assigns_those_without_them(clerk_client, clerk, shops, koffi):
    chosen = [shops["marche"], shops["koffi"], shops["closed"]]

    page = start(clerk_client, "reps_add", chosen)

    assert lines(page) == [
        "Choose the reps to add to the 2 selected clients. They keep their other reps; the reps get them in their app "
        "at their next sync.",
        "1 archived client of the selection is left as it is.",
    ]
    assert reps_of(shops["marche"]) == {"awa"}  # nothing yet
    done = answer(clerk_client, page, reps=[str(koffi.pk)])

    assert done.status_code == 302
    assert messages_of(done) == ["1 client assigned to koffi."]
    assert reps_of(shops["marche"]) == {"awa", "koffi"}
    marche = fresh(shops["marche"])
    assert (marche.version, marche.updated_by) == (shops["marche"].version + 1, clerk)
    assert fresh(shops["koffi"]).version == shops["koffi"].version  # had koffi already
    assert reps_of(shops["closed"]) == {"awa"}  # archived: read-only


@pytest.mark.django_db
def test_removing_a_rep_takes_them_off_and_keeps_the_other_reps(clerk_client, shops, awa, koffi):
    Assignment.objects.create(client=shops["marche"], rep=koffi)

    page = start(clerk_client, "reps_remove", [shops["marche"], shops["koffi"], shops["plateau"]])
    assert lines(page)[0].startswith("Choose the reps to remove from the 3 selected clients.")
    done = answer(clerk_client, page, reps=[str(koffi.pk)])

    assert messages_of(done) == ["koffi removed from 2 clients."]
    assert reps_of(shops["marche"]) == {"awa"}
    assert reps_of(shops["koffi"]) == set()
    assert fresh(shops["plateau"]).version == shops["plateau"].version


@pytest.mark.django_db
def test_choosing_no_rep_is_refused_on_the_page(clerk_client, shops):
    page = start(clerk_client, "reps_add", [shops["marche"]])

    again = answer(clerk_client, page)

    assert again.status_code == 200
    assert again.context["form"].errors == {"reps": ["This field is required."]}
    assert reps_of(shops["marche"]) == {"awa"}


# Account statement --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "on", "summary", "done"),
    [
        (
            "statement_enable",
            True,
            "The account statement will be enabled for 2 clients: their reps can send it from their app.",
            "Account statement enabled for 2 clients.",
        ),
        (
            "statement_disable",
            False,
            "The account statement will be disabled for 1 client.",
            "Account statement disabled for 1 client.",
        ),
    ],
)
def test_the_statement_action_counts_the_clients_it_changes_then_changes_them(
    clerk_client, clerk, shops, action, on, summary, done
):
    chosen = [shops["marche"], shops["koffi"], shops["plateau"]]

    page = start(clerk_client, action, chosen)
    assert lines(page) == [summary]
    response = answer(clerk_client, page)

    assert messages_of(response) == [done]
    for client in chosen:
        stored = fresh(client)
        assert stored.statement_enabled is on
        if client.statement_enabled != on:
            # A rep's edit made on an older version of this field now loses to this one (clients.services).
            assert stored.version == client.version + 1
            assert stored.field_versions["statement_enabled"] == stored.version
            assert stored.updated_by == clerk
        else:
            assert stored.version == client.version


# Attributes ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_setting_an_attribute_asks_which_then_its_value_then_sets_it(clerk_client, clerk, shops):
    chosen = [shops["marche"], shops["koffi"], shops["closed"]]

    chooser = start(clerk_client, "attribute_set", chosen)
    assert lines(chooser) == [
        "Choose the attribute to set on the 2 selected clients of the list “Points de vente”.",
        "1 archived client of the selection is left as it is.",
    ]
    assert [label for _key, label in chooser.context["form"].fields["attribute"].choices][:3] == [
        "District",
        "Category",
        "Area (m²)",
    ]
    page = answer(clerk_client, chooser, attribute="categorie")
    assert lines(page)[0] == "“Category” will be set to this value on 2 clients."
    assert page.context["form"].fields["value"].choices == [
        ("", "—"),
        ("Épicerie", "Épicerie"),
        ("Boutique", "Boutique"),
        ("Supermarché", "Supermarché"),
    ]
    done = answer(clerk_client, page, value="Supermarché")

    assert messages_of(done) == ["“Category” set on 2 clients."]
    koffi = fresh(shops["koffi"])
    assert koffi.attributes == {"quartier": "Adjamé", "categorie": "Supermarché"}
    assert koffi.field_versions["categorie"] == koffi.version == shops["koffi"].version + 1
    assert "supermarche" in koffi.search_text  # an important attribute: found by the search
    assert fresh(shops["closed"]).attributes["categorie"] == "Boutique"


@pytest.mark.django_db
def test_a_value_the_schema_refuses_is_shown_on_the_field_in_french_and_nothing_changes(clerk_fr, shops):
    chosen = [shops["marche"], shops["koffi"]]
    page = answer(clerk_fr, start(clerk_fr, "attribute_set", chosen), attribute="surface_m2")

    refused = answer(clerk_fr, page, value="grande")

    assert refused.status_code == 200
    assert refused.context["form"].errors == {"value": ["Saisissez un nombre entier."]}
    assert "Corrigez l’erreur ci-dessous." in refused.content.decode()
    assert fresh(shops["marche"]).attributes == FULL_ATTRIBUTES
    assert "surface_m2" not in fresh(shops["koffi"]).attributes


@pytest.mark.django_db
def test_clearing_an_attribute_clears_it_but_a_required_one_is_refused(clerk_client, shops):
    chosen = [shops["marche"], shops["koffi"]]
    frigo = answer(clerk_client, start(clerk_client, "attribute_set", chosen), attribute="frigo")
    answer(clerk_client, frigo, value="")
    quartier = answer(clerk_client, start(clerk_client, "attribute_set", chosen), attribute="quartier")

    refused = answer(clerk_client, quartier, value="  ")

    assert "frigo" not in fresh(shops["marche"]).attributes
    assert refused.context["form"].errors == {"value": ["This field is required."]}
    assert fresh(shops["marche"]).attributes["quartier"] == "Cocody"


@pytest.mark.django_db
def test_a_multiple_choice_and_a_yes_no_are_set_from_their_choices(clerk_client, shops):
    chosen = [shops["koffi"], shops["plateau"]]
    services = answer(clerk_client, start(clerk_client, "attribute_set", chosen), attribute="services")
    answer(clerk_client, services, value=["Crédit", "Livraison"])
    frigo = answer(clerk_client, start(clerk_client, "attribute_set", chosen), attribute="frigo")
    answer(clerk_client, frigo, value="true")

    for client in chosen:
        assert fresh(client).attributes["services"] == ["Livraison", "Crédit"]  # the schema's order
        assert fresh(client).attributes["frigo"] is True


@pytest.mark.django_db
def test_an_attribute_is_set_on_clients_of_one_list_only(clerk_client, shops):
    response = start(clerk_client, "attribute_set", [shops["marche"], shops["grossiste"]])

    assert response.status_code == 302
    assert messages_of(response) == ["Select clients of one list to set an attribute: each list has its own."]


@pytest.mark.django_db
def test_the_business_key_is_not_offered_each_client_has_its_own(clerk_client, pos_list, shops):
    from tests.factories import with_client_code

    with_client_code(pos_list)

    chooser = start(clerk_client, "attribute_set", [shops["marche"]])

    assert "code" not in dict(chooser.context["form"].fields["attribute"].choices)
    assert answer(clerk_client, chooser, attribute="code").context["form"].errors["attribute"]


# Archive ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_archiving_says_how_many_then_archives_them(clerk_client, clerk, shops):
    chosen = [shops["marche"], shops["koffi"], shops["closed"]]

    page = start(clerk_client, "archive", chosen)
    assert lines(page) == [
        "2 clients will be archived: they leave their reps' app at their next sync. You can restore them later.",
        "1 archived client of the selection is left as it is.",
    ]
    assert fresh(shops["marche"]).archived_at is None
    done = answer(clerk_client, page)

    assert messages_of(done) == ["2 clients archived."]
    for client in chosen[:2]:
        stored = fresh(client)
        assert (stored.archived_by, stored.version) == (clerk, client.version + 1)
    assert fresh(shops["closed"]).version == shops["closed"].version


@pytest.mark.django_db
def test_an_action_with_nothing_to_change_says_so_without_a_page(clerk_client, shops):
    response = start(clerk_client, "archive", [shops["closed"]])

    assert response.status_code == 302
    assert messages_of(response) == [
        "None of the selected clients would change: they are all archived or already as asked."
    ]


@pytest.mark.django_db
def test_all_the_filtered_clients_are_counted_and_changed_not_only_the_page(clerk_client, pos_list, awa, koffi):
    clients = [make_client(pos_list, f"Boutique {n:02d}", reps=[koffi]) for n in range(55)]
    make_client(pos_list, "Boutique d'Awa", reps=[awa])

    # "Select all 55": the page's 50 ticked, and the flag; the filter stays in the address.
    page = start(clerk_client, "reps_add", clients[:50], params={"rep": koffi.pk}, across=True)
    assert lines(page)[0].startswith("Choose the reps to add to the 55 selected clients.")
    answer(clerk_client, page, reps=[str(awa.pk)])

    assert Assignment.objects.filter(rep=awa).count() == 56


# The page, in French --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_speaks_french_in_the_admins_look(clerk_fr, shops):
    page = start(clerk_fr, "archive", [shops["marche"], shops["koffi"]])

    html = page.content.decode()
    assert "<title>Archiver des clients | " in html
    assert '<div class="breadcrumbs">' in html and "&rsaquo; Archiver des clients" in html
    assert "2 clients seront archivés" in html
    assert 'value="Oui, je suis sûr"' in html and "Non, revenir à la page précédente" in html


# Rights -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def supervisor(awa):  # type: ignore[no-untyped-def]
    """A supervisor of awa who was also granted the change of clients."""
    boss = SupervisorFactory(username="bintou", is_staff=True)
    boss.user_permissions.add(Permission.objects.get(codename="change_client"))
    Profile.objects.create(user=awa, supervisor=boss)
    return boss


@pytest.mark.django_db
def test_a_supervisor_acts_on_their_teams_clients_and_assigns_their_reps_only(client, supervisor, shops, awa, koffi):
    client.force_login(supervisor)
    theirs = RepFactory(username="yao")
    Profile.objects.create(user=theirs, supervisor=supervisor)

    # "Select all": the page's clients ticked (the list sends them along), and the flag.
    everything = {"client_list__id__exact": shops["marche"].client_list_id}
    page = start(client, "reps_add", [shops["marche"]], across=True, params=everything)
    assert lines(page)[0].startswith("Choose the reps to add to the 1 selected client.")  # awa's, not koffi's
    assert {str(rep) for rep in page.context["form"].fields["reps"].queryset} == {"awa", "yao"}
    refused = answer(client, page, reps=[str(koffi.pk)])
    assert list(refused.context["form"].errors) == ["reps"]
    answer(client, page, reps=[str(theirs.pk)])

    assert reps_of(shops["marche"]) == {"awa", "yao"}
    assert reps_of(shops["koffi"]) == {"koffi"}


@pytest.mark.django_db
def test_the_service_refuses_a_supervisor_another_teams_rep(supervisor, shops, koffi):
    with pytest.raises(PermissionDenied):
        clients_reps_add(user=supervisor, clients=Client.objects.all(), reps=[koffi])
    assert reps_of(shops["marche"]) == {"awa"}


@pytest.mark.django_db
def test_a_read_only_role_is_offered_no_bulk_action(client, shops, awa):
    reader = SupervisorFactory(username="bintou", is_staff=True)
    Profile.objects.create(user=awa, supervisor=reader)
    client.force_login(reader)

    response = client.get(CHANGELIST)
    assert response.status_code == 200
    form = response.context["action_form"]
    offered = {name for name, _label in form.fields["action"].choices} if form else set()
    assert not offered & {"reps_add", "reps_remove", "statement_enable", "attribute_set", "archive"}
    start(client, "archive", [shops["marche"]])
    assert fresh(shops["marche"]).archived_at is None


# Filters ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_filters_on_each_choice_and_yes_no_attribute_of_its_schema(clerk_client, pos_list, shops):
    def names(**params: Any) -> list[str]:
        response = clerk_client.get(CHANGELIST, {"client_list__id__exact": pos_list.pk, **params})
        assert response.status_code == 200
        return sorted(client.name for client in response.context["cl"].result_list)

    page = clerk_client.get(CHANGELIST, {"client_list__id__exact": pos_list.pk})
    titles = [str(spec.title) for spec in page.context["cl"].filter_specs]
    assert titles[-3:] == ["Category", "Fridge", "Services"]
    assert names(attr_categorie="Boutique") == ["Boutique Fermée", "Boutique Koffi"]
    assert names(attr_categorie="Épicerie") == ["Épicerie du Marché"]
    assert names(attr_frigo="yes") == ["Épicerie du Marché"]
    assert names(attr_frigo="__empty__") == ["Boutique Fermée", "Boutique Koffi", "Supermarché Plateau"]
    assert names(attr_services="Crédit") == ["Épicerie du Marché"]
    assert names(attr_services="Livraison") == []
    assert names(attr_categorie="Boutique", archived="no") == ["Boutique Koffi"]


@pytest.mark.django_db
def test_a_no_filter_finds_false_and_the_filters_speak_french(clerk_fr, clerk, pos_list, shops):
    make_client(pos_list, "Boutique Sans Frigo", {"quartier": "Cocody", "categorie": "Boutique", "frigo": False})

    response = clerk_fr.get(CHANGELIST, {"client_list__id__exact": pos_list.pk, "attr_frigo": "no"})

    assert [client.name for client in response.context["cl"].result_list] == ["Boutique Sans Frigo"]
    html = response.content.decode()
    assert "Par Frigo" in html or "par Frigo" in html.lower()
    assert "Aucune valeur" in html


@pytest.mark.django_db
def test_choosing_another_list_drops_the_attribute_filters_of_the_one_shown(clerk_client, pos_list, wholesalers, shops):
    page = clerk_client.get(CHANGELIST, {"client_list__id__exact": pos_list.pk, "attr_categorie": "Boutique"})
    lists = next(spec for spec in page.context["cl"].filter_specs if spec.title == "client list")
    link = next(
        choice["query_string"] for choice in lists.choices(page.context["cl"]) if choice["display"] == "Grossistes"
    )

    other = clerk_client.get(CHANGELIST + link)

    assert link == f"?client_list__id__exact={wholesalers.pk}"
    assert [client.name for client in other.context["cl"].result_list] == ["Grossiste Abidjan"]


@pytest.mark.django_db
def test_attribute_filters_need_one_list_shown(clerk_client, shops):
    response = clerk_client.get(CHANGELIST)

    titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert "Category" not in titles


# Queries ------------------------------------------------------------------------------------------------------------


def clients_of(pos_list: Any, count: int, tag: str, rep: Any) -> Any:
    """`count` clients of `pos_list` assigned to `rep`, written in bulk (the services are tested above)."""
    made = Client.objects.bulk_create(
        Client(
            client_list=pos_list,
            name=f"{tag} {n:04d}",
            attributes={"quartier": "Cocody", "categorie": "Boutique"},
            search_text=f"{tag.lower()} {n:04d} cocody boutique",
        )
        for n in range(count)
    )
    Assignment.objects.bulk_create([Assignment(client=client, rep=rep) for client in made])
    return Client.objects.filter(name__startswith=f"{tag} ")


@pytest.mark.django_db
def test_a_bulk_reassign_costs_the_same_queries_for_10_clients_and_for_1000(
    pos_list_editable, clerk, awa, koffi, django_assert_num_queries
):
    def reassign(clients: Any, count: int) -> None:
        user = User.objects.get(pk=clerk.pk)  # fresh, as a request has it: whether a team bounds them is not known yet
        assert clients_reps_add(user=user, clients=clients, reps=[awa]) == count
        assert clients_reps_remove(user=user, clients=clients, reps=[koffi]) == count

    ten = clients_of(pos_list_editable, 10, "Dix", koffi)
    with CaptureQueriesContext(connection) as queries:
        reassign(ten, 10)

    thousand = clients_of(pos_list_editable, 1000, "Mille", koffi)
    # The clerk (1), then each service in its savepoint (2 each):
    # adding awa: 1. whether a team bounds the clerk (fieldsales.accounts.team_of, then kept on the user)
    #   2. the clients, locked  3. which of them awa has already  4. the new assignments  5. the clients' versions
    #   6. their history rows (clients.recording)  the feed (fieldsales.sync.feed.publish): 7. who sees them now
    #   8. whose feeds hold them  9. its entries  10-13. what hangs on them, to follow them into awa's feed: visits,
    #   notes, KPI cards, overdue debts
    # removing koffi: 1. the clients, locked  2. which of them koffi has  3. the assignments deleted  4. the versions
    #   5. their history rows  the feed: 6. who sees them now  7. whose feeds hold them  8. the entries of those who
    #   still see them  9. koffi's entries, marked deleted  10-13. what hangs on them (visits, notes, KPI cards,
    #   overdue debts)
    with django_assert_num_queries(1 + (2 + 13) + (2 + 13)):
        reassign(thousand, 1000)
    assert len(queries.captured_queries) == 1 + (2 + 13) + (2 + 13)

    assert Assignment.objects.filter(rep=awa).count() == 1010
    assert not Assignment.objects.filter(rep=koffi).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["reps_add", "statement_enable", "archive"])
def test_a_confirmed_action_costs_the_same_queries_for_10_clients_and_for_1000(
    clerk_client, pos_list_editable, awa, koffi, action
):
    """The whole request: the list's queryset, the counts on the page, the service, the message."""
    fields = {"reps": [str(awa.pk)]} if action == "reps_add" else {}

    def confirmed(tag: str, count: int) -> int:
        clients = clients_of(pos_list_editable, count, tag, koffi)
        page = start(clerk_client, action, clients[:1], params={"q": tag}, across=True)
        with CaptureQueriesContext(connection) as queries:
            response = answer(clerk_client, page, **fields)
        assert response.status_code == 302
        assert messages_of(response)[0].startswith(f"{count} client") or f" {count} client" in messages_of(response)[0]
        return len(queries.captured_queries)

    assert confirmed("Dix", 10) == confirmed("Mille", 1000)
