"""Users and teams in the back office: a manager makes a rep or a supervisor with a role, links reps to a supervisor
and deactivates users (their sessions end, their sockets close); roles only, never superuser nor permissions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from fieldsales.accounts import (
    MANAGERS,
    NOT_REPS,
    NOT_YOURSELF,
    REPS,
    SUPERVISORS,
    reps_assign_supervisor,
    user_create_with_role,
    users_deactivate,
)
from fieldsales.consumers import ACCOUNT_CLOSED
from fieldsales.models import Profile
from fieldsales.realtime import users_sockets_close
from tests.factories import BackOfficeFactory, ManagerFactory, RepFactory, SupervisorFactory, UserFactory
from tests.sockets import ARRIVES_S, SILENT_S, open_socket, run, session_headers

User = get_user_model()
CHANGELIST = "/admin/auth/user/"
ADD = "/admin/auth/user/add/"


def sign_in(username: str, password: str = "fieldsales") -> HttpClient:
    """A device signed in through the sign-in page (django-axes needs the request)."""
    http = HttpClient()
    response = http.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return http


def signed_in(http: HttpClient) -> bool:
    return http.get("/api/me").status_code == 200


def add_form(**data: Any) -> dict[str, Any]:
    return {
        "username": "awa",
        "first_name": "Awa",
        "last_name": "Koné",
        "email": "",
        "role": REPS,
        "supervisor": "",
        "language": "fr",
        "usable_password": "true",
        "password1": "Cacao-2024-Abidjan",
        "password2": "Cacao-2024-Abidjan",
        **data,
    }


def action(http: HttpClient, name: str, users: list[Any], **data: Any) -> Any:
    return http.post(CHANGELIST, {"action": name, "_selected_action": [str(user.pk) for user in users], **data})


@pytest.fixture
def bintou(db):  # type: ignore[no-untyped-def]
    return SupervisorFactory(username="bintou", first_name="Bintou", last_name="Diallo", is_staff=True)


# Making users ---------------------------------------------------------------------------------------------------------


def test_a_manager_makes_a_rep_with_a_supervisor_and_the_rep_signs_in(manager_client, bintou):
    response = manager_client.post(ADD, add_form(supervisor=bintou.pk))

    awa = User.objects.get(username="awa")
    assert response.status_code == 302 and response["Location"] == reverse("admin:auth_user_change", args=[awa.pk])
    assert [group.name for group in awa.groups.all()] == [REPS]
    assert (awa.first_name, awa.last_name, awa.is_staff, awa.is_superuser) == ("Awa", "Koné", False, False)
    assert (awa.profile.supervisor, awa.profile.language) == (bintou, "fr")
    rep = sign_in("awa", "Cacao-2024-Abidjan")
    assert rep.get("/api/me").json()["username"] == "awa"


def test_a_supervisor_is_made_staff_with_their_role(manager_client):
    manager_client.post(ADD, add_form(username="moussa", role=SUPERVISORS, language=""))

    moussa = User.objects.get(username="moussa")
    assert moussa.is_staff and [group.name for group in moussa.groups.all()] == [SUPERVISORS]


def test_a_user_made_with_a_link_chooses_their_password_through_it(
    manager_client, bintou, django_capture_on_commit_callbacks
):
    data = add_form(email="awa@example.com", usable_password="false", password1="", password2="")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(ADD, data, follow=True)

    awa = User.objects.get(username="awa")
    assert not awa.has_usable_password()
    shown = [str(message) for message in response.context["messages"]]
    link = re.search(r'href="(http://testserver/accounts/reset/[^"]+)"', " ".join(shown))
    assert link, shown
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["awa@example.com"]
    assert link.group(1) in mail.outbox[0].body
    assert "Choisissez votre mot de passe" in mail.outbox[0].body  # in the language chosen for her
    device = HttpClient()
    form_page = device.get(link.group(1).removeprefix("http://testserver"), follow=True)
    assert form_page.context["validlink"]
    device.post(form_page.redirect_chain[-1][0], {"new_password1": "Attieke-77-Yop", "new_password2": "Attieke-77-Yop"})
    assert signed_in(sign_in("awa", "Attieke-77-Yop"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": "Everything"}, "role"),  # a group that is no role
        ({"role": SUPERVISORS, "supervisor": "bintou"}, "supervisor"),  # only reps have one
        ({"supervisor": "manager"}, "supervisor"),  # a supervisor must be one
        ({"password2": "Autre-chose-99"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password2"),  # Django's password validators
    ],
)
def test_the_add_form_refuses_what_the_rules_refuse(manager_client, manager, bintou, data, field):
    Group.objects.create(name="Everything").permissions.set(Permission.objects.all())
    people = {"bintou": bintou.pk, "manager": manager.pk}
    data = {key: people.get(value, value) for key, value in data.items()}

    response = manager_client.post(ADD, add_form(**data))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not User.objects.filter(username="awa").exists()


def test_a_manager_cannot_make_a_superuser_nor_give_permissions_or_other_groups(manager_client, manager):
    everything = Group.objects.create(name="Everything")
    everything.permissions.set(Permission.objects.all())
    every_permission = [permission.pk for permission in Permission.objects.all()]
    own_page = reverse("admin:auth_user_change", args=[manager.pk])
    own_form = {
        "username": "manager",
        "is_active": "on",
        "is_staff": "on",
        "groups": [Group.objects.get(name=MANAGERS).pk],
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "0",
        "profile-INITIAL_FORMS": "0",
        "is_superuser": "on",
        "user_permissions": every_permission,
    }

    made = manager_client.post(ADD, add_form(is_superuser="on", user_permissions=every_permission))
    saved = manager_client.post(own_page, own_form)
    refused = manager_client.post(own_page, {**own_form, "groups": [everything.pk]})
    form = manager_client.get(own_page).context["adminform"].form

    awa = User.objects.get(username="awa")
    manager.refresh_from_db()
    assert made.status_code == saved.status_code == 302
    assert not awa.is_superuser and not awa.user_permissions.exists()
    assert not manager.is_superuser and not manager.user_permissions.exists()
    assert refused.status_code == 200 and "groups" in refused.context["adminform"].form.errors
    assert not manager.groups.filter(pk=everything.pk).exists()
    assert not {"is_superuser", "user_permissions"} & set(form.fields)
    offered = set(form.fields["groups"].queryset.values_list("name", flat=True))
    assert offered == {REPS, SUPERVISORS, "Back office", MANAGERS}


def test_a_manager_saving_a_user_keeps_the_groups_a_superuser_gave(manager_client, bintou):
    special = Group.objects.create(name="Auditors")
    bintou.groups.add(special)
    url = reverse("admin:auth_user_change", args=[bintou.pk])
    data = {
        "username": "bintou",
        "first_name": "Bintou",
        "is_active": "on",
        "is_staff": "on",
        "groups": [Group.objects.get(name=SUPERVISORS).pk],
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "0",
        "profile-INITIAL_FORMS": "0",
    }

    response = manager_client.post(url, data)

    assert response.status_code == 302
    assert set(bintou.groups.values_list("name", flat=True)) == {SUPERVISORS, "Auditors"}


def test_the_service_makes_no_user_for_a_group_that_is_no_role(db):
    with pytest.raises(ValidationError) as refused:
        user_create_with_role(username="awa", role="Everything", password="Cacao-2024-Abidjan")

    assert "role" in refused.value.message_dict
    assert not User.objects.exists()


# Teams ----------------------------------------------------------------------------------------------------------------


def test_assign_to_a_supervisor_asks_which_then_moves_the_reps(manager_client, bintou):
    moussa = SupervisorFactory(username="moussa", is_staff=True)
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    Profile.objects.create(user=awa, supervisor=moussa)  # koffi has no profile yet

    asked = action(manager_client, "assign_supervisor", [awa, koffi])
    done = action(manager_client, "assign_supervisor", [awa, koffi], post="yes", supervisor=bintou.pk)

    assert asked.status_code == 200
    assert [user.username for user in asked.context["users"]] == ["awa", "koffi"]
    assert set(asked.context["form"].fields["supervisor"].queryset) == {bintou, moussa}
    assert done.status_code == 302
    assert set(Profile.objects.filter(supervisor=bintou).values_list("user__username", flat=True)) == {"awa", "koffi"}
    page = manager_client.get(reverse("admin:auth_user_change", args=[bintou.pk]))
    assert "awa" in page.content.decode() and "koffi" in page.content.decode()


def test_assign_to_a_supervisor_refuses_users_who_are_not_reps(manager_client, bintou):
    awa, clerk = RepFactory(username="awa"), BackOfficeFactory(username="nadia")

    response = action(manager_client, "assign_supervisor", [awa, clerk], post="yes", supervisor=bintou.pk)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [NOT_REPS % {"names": "nadia"}]
    assert not Profile.objects.filter(supervisor=bintou).exists()


def test_a_supervisors_page_lists_their_reps(manager_client, bintou):
    awa, koffi = RepFactory(username="awa", first_name="Awa"), RepFactory(username="koffi")
    reps_assign_supervisor(reps=User.objects.filter(pk__in=[awa.pk, koffi.pk]), supervisor=bintou)
    RepFactory(username="yao")  # someone else's

    page = manager_client.get(reverse("admin:auth_user_change", args=[bintou.pk])).content.decode()

    team = re.search(r'<p class="team">(.*?)</p>', page, re.S)
    assert team
    assert re.findall(r">([^<]+)</a>", team.group(1)) == ["Awa", "koffi"]
    assert f'href="/admin/auth/user/?supervisor={bintou.pk}"' in page


def test_a_reps_page_offers_only_supervisors_and_keeps_a_former_one(manager_client, bintou):
    former = SupervisorFactory(username="former", is_staff=True)
    awa = RepFactory(username="awa")
    Profile.objects.create(user=awa, supervisor=former)
    former.groups.clear()  # no longer a supervisor, still awa's until someone changes it
    RepFactory(username="koffi")

    page = manager_client.get(reverse("admin:auth_user_change", args=[awa.pk]))
    profile_form = page.context["inline_admin_formsets"][0].formset.forms[0]

    assert set(profile_form.fields["supervisor"].queryset) == {bintou, former}


# Deactivation ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def closed_with(output: dict[str, Any]) -> Any:
    return output.get("code") if output.get("type") == "websocket.close" else output


@pytest.mark.django_db(transaction=True)
def test_deactivating_users_in_bulk_signs_them_out_and_closes_their_sockets(memory_layer):
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    manager = HttpClient()
    manager.force_login(ManagerFactory(username="ibrahim"))
    phone, koffis_phone = sign_in("awa"), sign_in("koffi")
    awas_socket = session_headers(awa)
    koffis_socket = session_headers(koffi)

    async def scenario() -> None:
        async with open_socket("/ws/rep/", awas_socket) as socket, open_socket("/ws/rep/", koffis_socket) as other:
            asked = await sync_to_async(action)(manager, "deactivate", [awa])
            assert asked.status_code == 200 and await socket.receive_nothing(timeout=SILENT_S)

            await sync_to_async(action)(manager, "deactivate", [awa], post="yes")

            assert closed_with(await socket.receive_output(timeout=ARRIVES_S)) == ACCOUNT_CLOSED
            assert await other.receive_nothing(timeout=SILENT_S)

    run(scenario)
    awa.refresh_from_db()
    assert not awa.is_active
    assert not signed_in(phone)
    assert signed_in(koffis_phone)
    assert not [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(awa.pk)]


def test_unticking_active_in_the_users_page_ends_their_sessions(manager_client, django_capture_on_commit_callbacks):
    awa = RepFactory(username="awa", first_name="Awa")
    phone = sign_in("awa")
    data = {
        "username": "awa",
        "first_name": "Awa",
        "groups": [Group.objects.get(name=REPS).pk],
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "0",
        "profile-INITIAL_FORMS": "0",
    }  # "is_active" left out: unticked

    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(reverse("admin:auth_user_change", args=[awa.pk]), data)

    awa.refresh_from_db()
    assert response.status_code == 302 and not awa.is_active and awa.first_name == "Awa"
    assert not signed_in(phone)
    assert [callback.keywords for callback in callbacks if getattr(callback, "func", None) is users_sockets_close] == [
        {"user_ids": [awa.pk]}
    ]


def test_a_manager_cannot_deactivate_themselves_nor_a_superuser(manager_client, manager):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    own = action(manager_client, "deactivate", [manager], post="yes")
    theirs = action(manager_client, "deactivate", [root], post="yes")
    in_the_form = manager_client.post(
        reverse("admin:auth_user_change", args=[manager.pk]),
        {
            "username": "manager",
            "is_staff": "on",
            "groups": [Group.objects.get(name=MANAGERS).pk],
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "0",
            "profile-INITIAL_FORMS": "0",
        },
    )

    assert own.status_code == theirs.status_code == 302
    assert in_the_form.status_code == 200
    assert in_the_form.context["adminform"].form.errors["is_active"] == [str(NOT_YOURSELF)]
    assert User.objects.filter(pk__in=[manager.pk, root.pk], is_active=True).count() == 2
    assert users_deactivate(by=root, users=User.objects.filter(pk=manager.pk)) == 1


# The users list -------------------------------------------------------------------------------------------------------


def test_the_users_list_takes_the_same_queries_for_many_users(manager_client, bintou, django_assert_num_queries):
    for number in range(30):
        rep = RepFactory(username=f"rep{number:02}")
        Profile.objects.create(user=rep, supervisor=bintou)

    # The session, the manager, their own permissions and their groups' (the actions' checks), the supervisors of
    # the filter, the count and the total, the page's users with their profiles and supervisors, the users' groups
    # (prefetched), whether the manager watches a team (the header's links to the dashboard and the board).
    with django_assert_num_queries(10):
        page = manager_client.get(CHANGELIST)

    assert page.status_code == 200
    assert "Bintou Diallo" in page.content.decode()


def test_the_users_list_filters_by_role_and_supervisor_in_french(manager_client, bintou):
    awa = RepFactory(username="awa")
    Profile.objects.create(user=awa, supervisor=bintou)
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    by_role = manager_client.get(CHANGELIST, {"role": SUPERVISORS})
    by_supervisor = manager_client.get(CHANGELIST, {"supervisor": bintou.pk})

    assert [user.username for user in by_role.context["cl"].result_list] == ["bintou"]
    assert [user.username for user in by_supervisor.context["cl"].result_list] == ["awa"]
    assert "Commercial" in by_supervisor.content.decode()  # the role, in French
