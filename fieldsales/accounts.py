"""Roles: reps, supervisors and back-office staff are Django groups.

The group names are stable identifiers; `fieldsales.roles.ensure_roles` grants
their permissions after every migrate, so every database has them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

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


def lockout(request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None) -> HttpResponse:
    """django-axes' answer to a sign-in while the username is locked out from this address: 429, in the user's
    language.

    The app's sign-in page and the admin's are one form, so reps and staff see the same page.
    """
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {
        "username": (credentials or {}).get("username", ""),
        "minutes": minutes,
        "title": gettext("Too many failed sign-in attempts"),
        "site_header": admin.site.site_header,
    }
    return render(request, "registration/lockout.html", context, status=429)
