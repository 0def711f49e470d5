"""Roles: reps, supervisors, back-office staff and their managers are Django groups.

The group names are stable identifiers; `fieldsales.roles.ensure_roles` grants each role its permissions once, so
every database has them and an admin may take any of them away for good.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.signals import post_delete
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fieldsales.models import Profile
from fieldsales.realtime import user_sockets_close, users_sockets_close
from fieldsales.site import site_url
from fieldsales.sync.feed import resend_all
from fieldsales.sync.registry import TYPES

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
    from django.db.models import QuerySet

REPS = "Reps"
SUPERVISORS = "Supervisors"
BACK_OFFICE = "Back office"
MANAGERS = "Back-office managers"
ROLES = (REPS, SUPERVISORS, BACK_OFFICE, MANAGERS)
# The group names are identifiers; people read these.
ROLE_LABELS = {
    REPS: _("Rep"),
    SUPERVISORS: _("Supervisor"),
    BACK_OFFICE: _("Back-office clerk"),
    MANAGERS: _("Back-office manager"),
}
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


def reps_to_pick(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """The active reps `user` picks among (a filter, a form): their team when one bounds them, else every rep."""
    team = team_of(user=user)
    return reps_queryset() if team is None else team


# Users and teams: what a back-office manager does to accounts (the user admin calls these) -------------------------

NOT_A_ROLE = _("Choose one of the roles.")
NOT_A_SUPERVISOR = _("Choose an active user whose role is supervisor.")
ONLY_REPS_SUPERVISED = _("Only a rep has a supervisor.")
NOT_REPS = _("Only reps have a supervisor, and these users are not reps: %(names)s.")
NOT_YOURSELF = _("You cannot deactivate your own account: you would be signed out for good.")
SUPERUSERS_ONLY = _("Only a superuser may deactivate a superuser: %(names)s.")


def supervisors_queryset() -> QuerySet:
    """The users a rep may be assigned to: active, with the supervisor role."""
    return get_user_model().objects.filter(groups__name=SUPERVISORS, is_active=True).order_by("username")


def user_role_check(*, role: str, supervisor: AbstractBaseUser | None = None, language: str = "") -> None:
    """The rule of a new user's role, supervisor and language. A ValidationError names the field it refuses."""
    errors: dict[str, list[Any]] = {}
    if role not in ROLES:
        errors["role"] = [NOT_A_ROLE]
    if supervisor is not None:
        if role != REPS:
            errors["supervisor"] = [ONLY_REPS_SUPERVISED]
        elif not supervisors_queryset().filter(pk=supervisor.pk).exists():
            errors["supervisor"] = [NOT_A_SUPERVISOR]
    if language and language not in REP_LANGUAGES:
        errors["language"] = [NOT_A_LANGUAGE]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def user_create_with_role(
    *,
    username: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str | None = None,
    language: str = "",
    supervisor: AbstractBaseUser | None = None,
) -> Any:
    """A user with one of the roles (never a superuser, never a permission of their own), and their profile.

    Without a password, the user has none that works until they choose one through `user_password_link`. Staff
    status follows the role: everyone but reps works in the back office. A ValidationError names the field it
    refuses (`password` for the password validators')."""
    user_role_check(role=role, supervisor=supervisor, language=language)
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email, is_staff=role != REPS
    )
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from error
        user.set_password(password)
    user.full_clean()
    user.save()
    # The language first: the role's group, added next, builds the rep's feed (clients.signals), KPI cards in it.
    Profile.objects.create(user=user, supervisor_id=supervisor.pk if supervisor else None, language=language)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def user_password_link(*, user: User, request: HttpRequest | None = None) -> str:
    """A link where `user` chooses a password: Django's password reset page, valid PASSWORD_RESET_TIMEOUT and once
    (the token depends on the password it replaces)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return site_url(request) + path


def password_link_days() -> int:
    return max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400))


def user_password_link_send(*, user: AbstractBaseUser, link: str) -> None:
    """Email `user` the link to choose a password, in their language (the site's when they have none yet), once
    the transaction commits. Nothing when they have no email address."""
    email = getattr(user, "email", "")
    if not email:
        return
    with translation.override(rep_language(user=user) or settings.LANGUAGE_CODE):
        subject = gettext("Your FieldSales account")
        body = gettext(
            "Hello,\n\nAn account was made for you on FieldSales; your username is %(username)s.\n"
            "Choose your password here (the link works once, for %(days)d days):\n%(link)s\n"
        ) % {"username": user.get_username(), "days": password_link_days(), "link": link}
    transaction.on_commit(partial(send_mail, subject, body, None, [email], fail_silently=True))


@transaction.atomic
def reps_assign_supervisor(*, reps: QuerySet, supervisor: AbstractBaseUser) -> int:
    """Make `supervisor` the supervisor of every user of `reps`, all of whom must be reps; returns how many.

    The board, the admin and the API read the team from the profiles (`reps_of_supervisor`): nothing else to tell.
    Queries: the users and which are reps, the profiles that exist, at most one insert, one update."""
    if not supervisors_queryset().filter(pk=supervisor.pk).exists():
        raise ValidationError({"supervisor": [NOT_A_SUPERVISOR]})
    chosen = dict(reps.order_by().values_list("pk", "username").distinct())
    rep_ids = set(get_user_model().objects.filter(pk__in=chosen, groups__name=REPS).values_list("pk", flat=True))
    if others := sorted(username for pk, username in chosen.items() if pk not in rep_ids):
        raise ValidationError(NOT_REPS, params={"names": ", ".join(others)}, code="not_reps")
    have = set(Profile.objects.filter(user_id__in=rep_ids).values_list("user_id", flat=True))
    Profile.objects.bulk_create([Profile(user_id=pk) for pk in sorted(rep_ids - have)])
    Profile.objects.filter(user_id__in=rep_ids).update(supervisor=supervisor)
    return len(rep_ids)


def users_deactivate_check(*, by: AbstractBaseUser, users: QuerySet) -> None:
    """The rule of a deactivation: never one's own account, a superuser's only by a superuser."""
    chosen = list(users.order_by().values_list("pk", "username", "is_superuser"))
    if any(pk == by.pk for pk, _username, _superuser in chosen):
        raise ValidationError(NOT_YOURSELF, code="yourself")
    superusers = sorted(username for _pk, username, is_superuser in chosen if is_superuser)
    if superusers and not getattr(by, "is_superuser", False):
        raise ValidationError(SUPERUSERS_ONLY, params={"names": ", ".join(superusers)}, code="superusers")


@transaction.atomic
def users_deactivate(*, by: AbstractBaseUser, users: QuerySet) -> int:
    """Deactivate these users; returns how many were active. Their records stay; they can no longer sign in, their
    sessions end (the next request of any of their devices is signed out) and their open sockets close."""
    users_deactivate_check(by=by, users=users)
    ids = list(users.filter(is_active=True).order_by().values_list("pk", flat=True))
    if not ids:
        return 0
    # An update, not a save per user: the post_save receiver (`sockets_closed_on_deactivation`) does not run.
    get_user_model().objects.filter(pk__in=ids).update(is_active=False)
    user_sessions_end(user_ids=ids)
    transaction.on_commit(partial(users_sockets_close, user_ids=ids))
    return len(ids)


def user_sessions_end(*, user_ids: Collection[int]) -> int:
    """Delete the sessions these users are signed in with; returns how many.

    Django already refuses an inactive user's session (ModelBackend.get_user); deleting them also ends the sessions
    of a user still active (and leaves none to a backend that lets inactive users in). Sessions name their user
    only inside their signed data, so every unexpired one is read: a few thousand rows for a field force."""
    wanted = {str(user_id) for user_id in user_ids}
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000)
        if session.get_decoded().get(SESSION_KEY) in wanted
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


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
