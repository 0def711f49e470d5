"""The four roles as groups, with their permissions: what each role may do in the back office, as data the admin sees.

Each permission is granted to its role once and the grant recorded (RoleGrant): a later migrate grants what is new,
never what an admin has taken away since (the purge permission, say). A role's group deleted and made again starts
afresh.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
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
    # The job queue: whether an import or a statement has run, and why not.
    *model_permissions("fieldsales", "job", "view"),
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
    # Who visits whom and when, and who is away.
    *model_permissions("workflows", "visitplan", *EDIT),
    *model_permissions("workflows", "planmove", *EDIT),
    *model_permissions("workflows", "repabsence", *EDIT),
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
SUPERVISOR_PERMISSIONS = [
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
    # Supervisors plan their reps' visits (the admin offers them their own reps only) and move a missed one.
    *model_permissions("workflows", "visitplan", *EDIT),
    *model_permissions("workflows", "planmove", *EDIT),
    *model_permissions("workflows", "repabsence", "view"),
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    BACK_OFFICE: [*BACK_OFFICE_READS, *BACK_OFFICE_WRITES],
    MANAGERS: [*BACK_OFFICE_READS, *BACK_OFFICE_WRITES, *MANAGER_WRITES],
    SUPERVISORS: SUPERVISOR_PERMISSIONS,
    # Reps work in the app, whose rights are the lists' accesses (clients.ListAccess), not permissions.
    REPS: [],
}


def _permissions(using: str) -> dict[str, Permission]:
    """The permissions of the roles' apps by "app_label.codename", read in one query."""
    candidates = Permission.objects.using(using).filter(content_type__app_label__in=ROLE_APPS)
    return {f"{p.content_type.app_label}.{p.codename}": p for p in candidates.select_related("content_type")}


# The apps whose permissions the roles hold: only their post_migrate can bring a permission to grant.
ROLE_APPS = {name.split(".", 1)[0] for names in ROLE_PERMISSIONS.values() for name in names}


def _last_app_label() -> str:
    """The app whose post_migrate comes last (`migrate` and a flush send it to every app with models, in order)."""
    return [config.label for config in apps.get_app_configs() if config.models_module is not None][-1]


def ensure_roles(*, using: str = DEFAULT_DB_ALIAS, app_config: Any = None, **kwargs: Any) -> None:
    """Receiver of `post_migrate`: every role's group, with each of its permissions granted unless granted once
    already. Each app's post_migrate creates its permissions: the roles are granted at the last app's, when all of them
    exist, in a few queries (every flush of a test database sends post_migrate again)."""
    if app_config is not None and app_config.label != _last_app_label():
        return
    # A migrate back to before the grants were recorded has no table to record them in.
    if RoleGrant._meta.db_table not in connections[using].introspection.table_names():
        return
    permissions = _permissions(using)
    groups = {role: Group.objects.using(using).get_or_create(name=role)[0] for role in ROLE_PERMISSIONS}
    granted = set(
        RoleGrant.objects.using(using).filter(group__in=groups.values()).values_list("group_id", "permission_id")
    )
    for role, names in ROLE_PERMISSIONS.items():
        group = groups[role]
        new = [permissions[name] for name in dict.fromkeys(names) if name in permissions]
        new = [permission for permission in new if (group.pk, permission.pk) not in granted]
        if not new:
            continue
        group.permissions.add(*new)
        RoleGrant.objects.using(using).bulk_create(
            [RoleGrant(group=group, permission=permission) for permission in new]
        )
