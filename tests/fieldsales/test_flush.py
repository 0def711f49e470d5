"""The tests' cheaper flush (tests/flush.py) leaves the database as Django's flush and post_migrate leave it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection

from fieldsales.accounts import MANAGERS
from fieldsales.models import RoleGrant
from tests import flush


def content() -> dict[str, Any]:
    """What the database holds, by value (ids differ between the two ends: sequences go on counting)."""
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return {
        "tables": {table: count for table, count in counts.items() if count},
        "content_types": set(ContentType.objects.values_list("app_label", "model")),
        "permissions": set(Permission.objects.values_list("content_type__app_label", "codename", "name")),
        "groups": {
            group.name: set(group.permissions.values_list("content_type__app_label", "codename"))
            for group in Group.objects.all()
        },
        "grants": set(
            RoleGrant.objects.values_list("group__name", "permission__content_type__app_label", "permission__codename")
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_the_tests_flush_writes_back_what_post_migrate_writes_and_undoes_a_tests_changes_to_roles(awa):
    rows = flush.snapshot(DEFAULT_DB_ALIAS)
    Group.objects.get(name=MANAGERS).permissions.clear()  # a test's change to a role, committed

    flush.flush_and_restore(DEFAULT_DB_ALIAS, rows)
    restored = content()
    # The ids written back are not handed out again (the sequences stand past them: left where they were, or, on
    # SQLite, started again and moved past the rows written back).
    Group.objects.create(name="Added after the flush").delete()
    call_command("flush", interactive=False, verbosity=0)  # Django's own: post_migrate writes the rows again

    assert restored == content()
    assert restored["groups"][MANAGERS] and "auth_user" not in restored["tables"]
