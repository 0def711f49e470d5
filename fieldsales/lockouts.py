"""django-axes (sign-in lockouts) as the back office shows it, in the admin's language.

Its app config names it by its label ("Axes", which the admin's capitals turn into AXES), and its records name
themselves with an English sentence around a raw timestamp ("Attempted Access: 2026-12-04 19:29:37.537582+00:00"),
which the admin prints as a page's title, in its breadcrumbs and in the delete confirmation that unlocks a rep.
Django lets a project give an app of another its own config (settings.INSTALLED_APPS names this one); the records'
names can only be replaced on the models themselves, as django-axes offers no setting for them. Its admin's own
strings are replaced in fieldsales/admin.py.
"""

from __future__ import annotations

from typing import Any

from axes.apps import AppConfig as AxesAppConfig
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


def sign_in_record_name(record: Any) -> str:
    """An attempt, a failure or a sign-in as the admin names it: the username and when, in the reader's format."""
    when = date_format(timezone.localtime(record.attempt_time), "DATETIME_FORMAT") if record.attempt_time else ""
    return " — ".join(part for part in (record.username or "", when) if part)


class SignInSecurityConfig(AxesAppConfig):
    verbose_name = _("Sign-in security")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.__str__ = sign_in_record_name  # type: ignore[assignment,method-assign]
