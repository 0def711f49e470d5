"""The four roles as groups, with their permissions: what each role may do in the back office, as data the admin sees.

Each permission is granted to its role once and the grant recorded (RoleGrant): a later migrate grants what is new,
never what an admin has taken away since (the purge permission, say). A role's group deleted and made again starts
afresh.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, connections

from fieldsales.accounts import BACK_OFFICE, MANAGERS, REPS, SUPERVISORS
from fieldsales.models import RoleGrant

EDIT = ("add", "change", "delete", "view")


def model_permissions(app_label: str, model: str, *actions: str) -> list[str]:
    return [f"{app_label}.{action}_{model}" for action in actions]


# What the back office reads without writing: the records reps make in the field, and the configuration.
BACK_OFFICE_READS = [
    *model_permissions("clients", "clientlist", "view"),
    *model_permissions("clients", "attributedefinition", "view"),
    *model_permissions("clients", "listaccess", "view"),
    *model_permissions("workflows", "workflow", "view"),
    *model_permissions("workflows", "activity", "view"),
    *model_permissions("workflows", "visit", "view", "export"),
    *model_permissions("workflows", "activitysubmission", "view"),
    *model_permissions("workflows", "orderline", "view", "export"),
    *model_permissions("workflows", "submissionphoto", "view"),
    *model_permissions("workflows", "note", "view"),
    *model_permissions("kpis", "kpifolder", "view"),
    *model_permissions("kpis", "kpidefinition", "view"),
    *model_permissions("fieldsales", "blob", "view"),
    *model_permissions("fieldsales", "profile", "view"),
]
# Clients (not their purge), imports, the ledger, targets and statements.
BACK_OFFICE_WRITES = [
    *model_permissions("clients", "client", "add", "change", "view", "import", "export"),
    # Reviewing the possible duplicates reps created anyway (clients.PossibleDuplicate).
    *model_permissions("clients", "possibleduplicate", "change", "view"),
    *model_permissions("workflows", "product", *EDIT, "import", "export"),
    # Orders move through their statuses (confirmed, delivered, cancelled): their only change.
    *model_permissions("workflows", "order", "change", "view", "export"),
    *model_permissions("kpis", "ledgerentry", *EDIT, "import", "export"),
    *model_permissions("kpis", "target", *EDIT, "import", "export"),
    # Retrying a delivery changes it; sending a statement from the API adds one. Deleting the log: superusers only.
    *model_permissions("kpis", "statementdelivery", "add", "change", "view"),
    # Sign-in lockouts (django-axes): staff see them and unlock a username by deleting its attempt.
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accessfailurelog",
    "axes.view_accesslog",
]
# Managers also purge clients, manage users and teams (a rep's supervisor is on their profile), list schemas and
# who may work on each list, KPI definitions and workflows.
MANAGER_WRITES = [
    "clients.purge_client",
    *model_permissions("clients", "clientlist", *EDIT),
    *model_permissions("clients", "attributedefinition", *EDIT),
    *model_permissions("clients", "listaccess", *EDIT),
    *model_permissions("kpis", "kpifolder", *EDIT),
    *model_permissions("kpis", "kpidefinition", *EDIT),
    *model_permissions("workflows", "workflow", *EDIT),
    *model_permissions("workflows", "activity", *EDIT),
    *model_permissions("auth", "user", "add", "change", "view"),
    *model_permissions("auth", "group", "view"),
    *model_permissions("fieldsales", "profile", "add", "change", "view"),
]
# Supervisors read and export what their reps do, and only that: fieldsales.accounts.team_of bounds the records.
SUPERVISOR_READS = [
    *model_permissions("clients", "client", "view", "export"),
    *model_permissions("clients", "clientlist", "view"),
    *model_permissions("clients", "possibleduplicate", "view"),
    *model_permissions("workflows", "visit", "view", "export"),
    *model_permissions("workflows", "activitysubmission", "view"),
    *model_permissions("workflows", "orderline", "view", "export"),
    *model_permissions("workflows", "order", "view", "export"),
    *model_permissions("workflows", "submissionphoto", "view"),
    *model_permissions("workflows", "note", "view"),
    *model_permissions("kpis", "ledgerentry", "view", "export"),
    *model_permissions("kpis", "target", "view"),
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    BACK_OFFICE: [*BACK_OFFICE_READS, *BACK_OFFICE_WRITES],
    MANAGERS: [*BACK_OFFICE_READS, *BACK_OFFICE_WRITES, *MANAGER_WRITES],
    SUPERVISORS: SUPERVISOR_READS,
    # Reps work in the app, whose rights are the lists' accesses (clients.ListAccess), not permissions.
    REPS: [],
}


def _permissions(names: list[str], using: str) -> list[Permission]:
    # Picked in Python from their apps' permissions: a filter OR-ing a hundred (app, codename) pairs took Django
    # longer to compile than the database to run, at each of the post_migrate calls of every test database flush.
    wanted = {tuple(name.split(".", 1)) for name in names}
    candidates = Permission.objects.using(using).filter(content_type__app_label__in={app for app, _ in wanted})
    return [
        permission
        for permission in candidates.select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]


# The apps whose permissions the roles hold: only their post_migrate can bring a permission to grant.
ROLE_APPS = {name.split(".", 1)[0] for names in ROLE_PERMISSIONS.values() for name in names}


def ensure_roles(*, using: str = DEFAULT_DB_ALIAS, app_config: Any = None, **kwargs: Any) -> None:
    """Receiver of `post_migrate`: every role's group, with each of its permissions that exist by now granted unless
    granted once already. Each app's post_migrate creates its permissions, so those of an app that comes later are
    granted at a later call."""
    if app_config is not None and app_config.label not in ROLE_APPS:
        return
    # A migrate back to before the grants were recorded has no table to record them in.
    if RoleGrant._meta.db_table not in connections[using].introspection.table_names():
        return
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        granted = set(RoleGrant.objects.using(using).filter(group=group).values_list("permission_id", flat=True))
        new = [permission for permission in _permissions(names, using) if permission.pk not in granted]
        if not new:
            continue
        group.permissions.add(*new)
        RoleGrant.objects.using(using).bulk_create(
            [RoleGrant(group=group, permission=permission) for permission in new]
        )
