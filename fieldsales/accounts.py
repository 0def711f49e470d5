"""Roles: reps, supervisors and back-office staff are Django groups.

The group names are stable identifiers; `fieldsales.roles.ensure_roles` grants
their permissions after every migrate, so every database has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fieldsales.models import Profile
from fieldsales.sync.feed import resend_all
from fieldsales.sync.registry import TYPES

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

REPS = "Reps"
SUPERVISORS = "Supervisors"
BACK_OFFICE = "Back office"
ROLES = (REPS, SUPERVISORS, BACK_OFFICE)
# The languages a rep's app speaks, hence those a rep may choose.
REP_LANGUAGES = tuple(Profile.Language.values)
NOT_A_LANGUAGE = _("Choose a language the app speaks: en (English) or fr (French).")


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return user.groups.filter(name=role).exists()  # type: ignore[attr-defined]


def reps_queryset() -> QuerySet:
    return get_user_model().objects.filter(groups__name=REPS, is_active=True).order_by("username")


def active_rep_ids() -> set[int]:
    return set(reps_queryset().order_by().values_list("pk", flat=True))


def seen_by_every_rep(ids: Iterable[Any]) -> dict[str, set[int]]:
    """Seers of records every active rep holds (workflows, products, KPI folders): each of `ids`, seen by all."""
    keys = {str(entity_id) for entity_id in ids}
    return dict.fromkeys(keys, active_rep_ids() if keys else set())


def rep_language(*, user: AbstractBaseUser) -> str | None:
    """The language the rep chose or signed in with, or None when none yet."""
    return Profile.objects.filter(user_id=user.pk).values_list("language", flat=True).first() or None


@transaction.atomic
def rep_language_set(*, user: AbstractBaseUser, language: Any) -> bool:
    """Set the rep's language; the records that depend on it (KPI cards) reach the rep's device again in it.
    Returns whether it changed. A ValidationError names `language` when it is not one the app speaks."""
    if language not in REP_LANGUAGES:
        raise ValidationError({"language": [NOT_A_LANGUAGE]})
    # Users made before profiles existed, or outside the admin, have none yet.
    profile, _created = Profile.objects.select_for_update().get_or_create(user_id=user.pk)
    if profile.language == language:
        return False
    profile.language = language
    profile.save(update_fields=["language"])
    for entity_type in TYPES.values():
        if entity_type.follows_language:
            resend_all(entity_type.name, rep_id=user.pk)
    return True


def rep_language_from_sign_in(*, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Receiver of `user_logged_in`: a user without a language gets the sign-in page's.

    Only a sign-in through a page has one (LocaleMiddleware's, from the language cookie or the browser's); a session
    opened without a request through the middleware (a test's `force_login`) says nothing of the user's language.
    """
    language = getattr(request, "LANGUAGE_CODE", None)
    if language in REP_LANGUAGES and rep_language(user=user) is None:
        rep_language_set(user=user, language=language)


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
