"""Roles: reps, supervisors and back-office staff are Django groups.

The group names are stable identifiers; `fieldsales.roles.ensure_roles` grants
their permissions after every migrate, so every database has them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

REPS = "Reps"
SUPERVISORS = "Supervisors"
BACK_OFFICE = "Back office"
ROLES = (REPS, SUPERVISORS, BACK_OFFICE)


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return user.groups.filter(name=role).exists()  # type: ignore[attr-defined]


def reps_queryset() -> QuerySet:
    return get_user_model().objects.filter(groups__name=REPS, is_active=True).order_by("username")


def reps_of_supervisor(supervisor: AbstractBaseUser) -> QuerySet:
    """The reps a supervisor follows; staff follow every rep."""
    reps = reps_queryset()
    if getattr(supervisor, "is_staff", False):
        return reps
    return reps.filter(profile__supervisor=supervisor)
