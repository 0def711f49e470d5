"""Roles: reps, supervisors, back-office staff and their managers are Django groups.

The group names are stable identifiers; `fieldsales.roles.ensure_roles` grants each role its permissions once, so
every database has them and an admin may take any of them away for good.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fieldsales.models import Profile
from fieldsales.realtime import user_sockets_close
from fieldsales.sync.feed import resend_all
from fieldsales.sync.registry import TYPES

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

REPS = "Reps"
SUPERVISORS = "Supervisors"
BACK_OFFICE = "Back office"
MANAGERS = "Back-office managers"
ROLES = (REPS, SUPERVISORS, BACK_OFFICE, MANAGERS)
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


def sockets_closed_on_deactivation(*, instance: AbstractBaseUser, **kwargs: Any) -> None:
    """Receiver of the user model's `post_save` and `post_delete`: a user deactivated or deleted has every socket
    closed once the change commits (their session no longer signs anyone in; a socket is checked at its handshake)."""
    if kwargs.get("signal") is post_delete or not instance.is_active:
        transaction.on_commit(partial(user_sockets_close, user_id=instance.pk))


def reps_of_supervisor(supervisor: AbstractBaseUser) -> QuerySet:
    """The active reps whose profile names `supervisor`, whatever else the supervisor is (staff, to read the back
    office): the one rule of the board, the admin and the API."""
    return reps_queryset().filter(profile__supervisor=supervisor)


def team_of(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet | None:
    """The reps whose clients, visits, orders and KPIs `user` may read, when a team bounds what they read: a
    supervisor's own reps. None for users no team bounds (superusers, back-office staff), whose permissions alone
    say what they read."""
    if not user.is_authenticated or getattr(user, "is_superuser", False):
        return None
    # Asked by every admin page and API read of a request: kept on the user object, as Django keeps permissions.
    supervises: bool | None = getattr(user, "_fieldsales_supervises", None)
    if supervises is None:
        supervises = user_has_role(user, SUPERVISORS)
        user._fieldsales_supervises = supervises  # type: ignore[union-attr,attr-defined]
    return reps_of_supervisor(user) if supervises else None  # type: ignore[arg-type]


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
