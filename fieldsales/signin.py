"""The sign-in page: FieldSales' own, for reps and back-office staff alike, in the visitor's language, made for a phone.

The admin's login (/admin/login/) renders the same template (fieldsales/admin.py) and django-axes' lockout page
matches it, so whoever signs in, and wherever, sees one page. The service worker keeps a copy of it (`?offline=1`)
that says what to do without a network (templates/pwa/sw.js).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fieldsales.accounts import REPS, user_has_role

WRONG_PASSWORD = _("Wrong username or password. Check both, capital letters included, and try again.")


def home_url(user: Any) -> str:
    """Where a signed-in user starts: back-office staff who are not reps in the admin, everyone else in the app."""
    if user.is_staff and not user_has_role(user, REPS):
        return reverse("admin:index")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def cooloff_minutes() -> int:
    """How long django-axes blocks a username on a device after too many wrong passwords, in whole minutes."""
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def release_connection() -> None:
    """Give the request's database connection back to the pool, if there is one and no transaction holds it: the
    next query takes one again."""
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and not connection.in_atomic_block:
        connection.close()


class PasswordBackend(ModelBackend):
    """Django's username and password check, without a database connection held while the password's hash is
    computed (a third of a second of CPU, by design): 50 reps signing in at once no longer hold 50 of the pool's
    connections idle, and leave none for the others (they waited, then failed)."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        model = get_user_model()
        username = username if username is not None else kwargs.get(model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = model._default_manager.get_by_natural_key(username)
        except model.DoesNotExist:
            release_connection()
            model().set_password(password)  # as long as for a real user: the time tells no one which names exist
            raise PermissionDenied from None
        release_connection()
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        # Refused for good: ModelBackend, after this one, would compute the hash a second time.
        raise PermissionDenied


class SignInForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": WRONG_PASSWORD}

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class SignInView(LoginView):
    form_class = SignInForm

    def get_success_url(self) -> str:
        # The app ("/"), by default or because the app's own links ask for it: a user it is not for starts where they
        # work instead. Any other `next` is kept.
        url = super().get_success_url()
        return home_url(self.request.user) if url == resolve_url(settings.LOGIN_REDIRECT_URL) else url

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # The rule django-axes applies, told before it applies: the lockout is no surprise.
        return super().get_context_data(
            failure_limit=settings.AXES_FAILURE_LIMIT, cooloff_minutes=cooloff_minutes(), **kwargs
        )
