"""The roles as groups with their permissions: granted once at a migrate, never given back once an admin took one away;
and a deactivated user's open sockets closed at once."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS

from fieldsales.accounts import BACK_OFFICE, MANAGERS, REPS, ROLES, SUPERVISORS
from fieldsales.consumers import ACCOUNT_CLOSED
from fieldsales.models import Profile, RoleGrant
from tests.factories import RepFactory, SupervisorFactory
from tests.sockets import ARRIVES_S, SILENT_S, all_silent, open_socket, refused, run, session_headers


def migrate_again() -> None:
    """What the end of every `migrate` does: each app's post_migrate, the permissions' and the roles' among them."""
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)


def permissions_of(role: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
def test_only_managers_purge_and_only_they_manage_users_schemas_and_kpis():
    managers_only = {
        "clients.purge_client",
        "clients.change_clientlist",
        "clients.change_attributedefinition",
        "kpis.change_kpifolder",
        "kpis.change_kpidefinition",
        "auth.change_user",
        "fieldsales.change_profile",
    }

    assert set(ROLES) == {REPS, SUPERVISORS, BACK_OFFICE, MANAGERS}
    assert managers_only <= permissions_of(MANAGERS)
    assert permissions_of(BACK_OFFICE) & managers_only == set()
    assert permissions_of(BACK_OFFICE) < permissions_of(MANAGERS)
    assert {"clients.import_client", "kpis.import_ledgerentry", "kpis.change_statementdelivery"} <= permissions_of(
        BACK_OFFICE
    )
    # Nobody's group deletes the delivery log.
    assert not Group.objects.filter(permissions__codename="delete_statementdelivery").exists()


@pytest.mark.django_db
def test_supervisors_read_and_export_and_write_only_their_reps_visit_plans():
    granted = permissions_of(SUPERVISORS)

    assert {"clients.view_client", "clients.export_client", "workflows.view_visit", "kpis.view_ledgerentry"} <= granted
    writes = {name for name in granted if name.split(".")[1].split("_")[0] not in ("view", "export")}
    assert {name.split(".")[1].split("_", 1)[1] for name in writes} == {"visitplan", "planmove"}
    assert permissions_of(REPS) == set()


@pytest.mark.django_db
def test_a_permission_an_admin_took_away_is_not_given_back_by_a_migrate():
    managers = Group.objects.get(name=MANAGERS)
    purge = Permission.objects.get(content_type__app_label="clients", codename="purge_client")
    managers.permissions.remove(purge)

    migrate_again()

    assert "clients.purge_client" not in permissions_of(MANAGERS)
    assert "clients.change_clientlist" in permissions_of(MANAGERS)  # the rest of the role is still there


@pytest.mark.django_db
def test_a_permission_new_to_a_role_is_granted_at_the_next_migrate_once():
    """A permission the role was never granted (added to the role by a later version) arrives at the next migrate."""
    back_office = Group.objects.get(name=BACK_OFFICE)
    import_clients = Permission.objects.get(content_type__app_label="clients", codename="import_client")
    RoleGrant.objects.filter(group=back_office, permission=import_clients).delete()
    back_office.permissions.remove(import_clients)

    migrate_again()
    migrate_again()

    assert "clients.import_client" in permissions_of(BACK_OFFICE)
    assert RoleGrant.objects.filter(group=back_office, permission=import_clients).count() == 1


@pytest.mark.django_db
def test_a_role_whose_group_was_deleted_comes_back_whole():
    Group.objects.filter(name=SUPERVISORS).delete()

    migrate_again()

    assert "clients.view_client" in permissions_of(SUPERVISORS)


# Deactivation closes the user's sockets ---------------------------------------------------------------------------


@pytest.fixture
def memory_layer(settings: Any) -> None:
    """The in-memory channel layer, what a machine without Redis runs (settings.CHANNEL_LAYERS)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def closed_with(output: dict[str, Any]) -> Any:
    return output.get("code") if output.get("type") == "websocket.close" else output


def deactivate(user: Any) -> None:
    user.is_active = False
    user.save()


@pytest.mark.django_db(transaction=True)
def test_deactivating_a_user_closes_their_open_sockets_at_once(memory_layer):
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    bintou = SupervisorFactory(username="bintou", is_staff=True)
    Profile.objects.create(user=awa, supervisor=bintou)
    awa_phone, awa_tablet, koffi_phone = session_headers(awa), session_headers(awa), session_headers(koffi)
    board = session_headers(bintou)

    async def scenario() -> None:
        async with (
            open_socket("/ws/rep/", awa_phone) as phone,
            open_socket("/ws/rep/", awa_tablet) as tablet,
            open_socket("/ws/rep/", koffi_phone) as koffis,
            open_socket("/ws/board/", board) as bintous_board,
        ):
            await sync_to_async(deactivate)(awa)

            assert closed_with(await phone.receive_output(timeout=ARRIVES_S)) == ACCOUNT_CLOSED
            assert closed_with(await tablet.receive_output(timeout=ARRIVES_S)) == ACCOUNT_CLOSED
            assert await all_silent(koffis, bintous_board)

            await sync_to_async(deactivate)(bintou)

            assert closed_with(await bintous_board.receive_output(timeout=ARRIVES_S)) == ACCOUNT_CLOSED
            assert await koffis.receive_nothing(timeout=SILENT_S)
        # Their sessions no longer sign them in: a socket opened again is turned away.
        assert await refused("/ws/rep/", awa_phone)
        assert await refused("/ws/board/", board)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_deleting_a_user_closes_their_open_sockets(memory_layer):
    awa = RepFactory(username="awa")
    headers = session_headers(awa)

    async def scenario() -> None:
        async with open_socket("/ws/rep/", headers) as phone:
            await sync_to_async(awa.delete)()

            assert closed_with(await phone.receive_output(timeout=ARRIVES_S)) == ACCOUNT_CLOSED

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_saving_an_active_user_leaves_their_sockets_open(memory_layer):
    awa = RepFactory(username="awa")
    headers = session_headers(awa)

    async def scenario() -> None:
        async with open_socket("/ws/rep/", headers) as phone:
            awa.first_name = "Awa"
            await sync_to_async(awa.save)()

            assert await phone.receive_nothing(timeout=SILENT_S)

    run(scenario)
