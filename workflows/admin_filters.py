"""The back office's list filters on records made in the field (orders, submissions, photos): by client, rep and
visit, each reaching them through its own path (`for_path` makes a filter for a path)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fieldsales.accounts import REPS, team_of
from workflows.display import moment_text
from workflows.models import Visit


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def person_name(user: Any) -> str:
    """A user as the back office names them: their full name, or their user name."""
    return user.get_full_name() or user.get_username()


class PathFilter(admin.SimpleListFilter):
    """A filter on the record at `path` (a client, a rep, a visit) of the listed rows."""

    path = ""

    @classmethod
    def for_path(cls, path: str) -> type[PathFilter]:
        return type(cls.__name__, (cls,), {"path": path})


class ClientFilter(PathFilter):
    """The clients whose name holds the text typed; a link from a client's page names it by its id. Typed rather than
    picked from a list: there are thousands of clients."""

    title = _("client")
    parameter_name = "client"
    template = "admin/workflows/text_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return []

    def has_output(self) -> bool:
        return True

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        client_id = _uuid(value)
        if client_id is not None:
            return queryset.filter(**{f"{self.path}_id": client_id})
        return queryset.filter(**{f"{self.path}__name__icontains": value})

    # One choice of its own shape, for its own template (a text box), not a list of links.
    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        hidden = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name not in (self.parameter_name, PAGE_VAR)
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "parameter": self.parameter_name,
            "value": self.value() or "",
            "hidden": hidden,
            "clear": changelist.get_query_string(remove=[self.parameter_name]),
            "placeholder": _("Name of the client"),
        }


class RepFilter(PathFilter):
    """The reps the user may read (a supervisor's own), by name."""

    title = _("rep")
    parameter_name = "rep"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        team = team_of(user=request.user)
        # Reps who have left keep their orders and photos: the group, active or not, unless a team bounds them.
        reps = team if team is not None else get_user_model().objects.filter(groups__name=REPS)
        people = sorted(reps.order_by(), key=lambda user: person_name(user).casefold())
        return [(str(user.pk), person_name(user)) for user in people]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{f"{self.path}_id": int(value)})
        return queryset


class VisitFilter(PathFilter):
    """One visit, named by a link from its page; shown only when it filters the list."""

    title = _("visit")
    parameter_name = "visit"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        visit_id = _uuid(self.value())
        if visit_id is None:
            return []
        visits = Visit.objects.select_related("client").filter(pk=visit_id)
        team = team_of(user=request.user)
        visit = (visits if team is None else visits.filter(rep__in=team.values("pk"))).first()
        return [(str(visit.pk), f"{visit.client} — {moment_text(visit.checked_in_at)}")] if visit else []

    def has_output(self) -> bool:
        # Named but not found (not a visit, or not the reader's): still a filter, which keeps nothing.
        return self.value() is not None

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        visit_id = _uuid(self.value())
        return queryset.filter(**{f"{self.path}_id": visit_id}) if visit_id else queryset.none()


class DateFilter(admin.DateFieldListFilter):
    """Today, the past 7 days, this month, this year, titled "date" whatever the field is called."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("date")
