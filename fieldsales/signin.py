"""The sign-in page: FieldSales' own, for reps and back-office staff alike, in the visitor's language, made for a phone.

The admin's login (/admin/login/) renders the same template (fieldsales/admin.py) and django-axes' lockout page
matches it, so whoever signs in, and wherever, sees one page. The service worker keeps a copy of it (`?offline=1`)
that says what to do without a network (templates/pwa/sw.js).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
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
