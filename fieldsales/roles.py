"""The three roles as groups, with their back-office permissions, kept in step after every migrate."""

from typing import Any

from django.contrib.auth.models import Group, Permission

from fieldsales.accounts import BACK_OFFICE, REPS, SUPERVISORS

# Back-office staff run the domain apps in full, including purge (delete permission on clients).
BACK_OFFICE_APPS = ("clients", "workflows", "kpis")
AXES_PERMISSIONS = ("view_accessattempt", "delete_accessattempt", "view_accessfailurelog", "view_accesslog")
SUPERVISOR_VIEWS = (
    ("clients", "client"),
    ("clients", "clientlist"),
    ("workflows", "visit"),
    ("workflows", "activitysubmission"),
    ("workflows", "orderline"),
    ("workflows", "note"),
    ("kpis", "ledgerentry"),
    ("kpis", "target"),
)


def ensure_roles(**kwargs: Any) -> None:
    back_office, _ = Group.objects.get_or_create(name=BACK_OFFICE)
    back_office.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=BACK_OFFICE_APPS),
        *Permission.objects.filter(content_type__app_label="fieldsales", codename__in=["view_blob", "view_profile"]),
        # Sign-in lockouts (django-axes): staff see them and unlock a username by deleting its attempt.
        *Permission.objects.filter(content_type__app_label="axes", codename__in=AXES_PERMISSIONS),
    )
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISORS)
    for app_label, model in SUPERVISOR_VIEWS:
        supervisors.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename=f"view_{model}")
        )
    Group.objects.get_or_create(name=REPS)
