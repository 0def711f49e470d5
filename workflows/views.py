"""The supervisors' live board: its page, and a day's visits as JSON for its first paint and its re-syncs.

The board shows today's visits, live; a supervisor may choose another day (the board then shows it as it stands, not
live) and one of their reps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from workflows.board import STAFF_GROUP, board_group
from workflows.coverage import plan_against_done
from workflows.selectors import board_day, board_reps, board_visits_for


class RepChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class BoardFilter(forms.Form):
    """The day (today unless chosen) and the rep (every rep of the board unless chosen) the board shows."""

    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    rep = RepChoice(label=_("Rep"), queryset=None, required=False, empty_label=_("Every rep"))

    def __init__(self, data: Any, *, reps: QuerySet) -> None:
        super().__init__(data)
        self.fields["rep"].queryset = reps  # type: ignore[attr-defined]


def _board_filter(request: HttpRequest) -> tuple[str | None, BoardFilter]:
    """Who may watch the board (workflows.board.board_group; PermissionDenied for anyone else) and what they asked."""
    group = board_group(request.user)
    if group is None:
        raise PermissionDenied
    supervisor = None if group == STAFF_GROUP else cast(AbstractBaseUser, request.user)
    reps = board_reps(supervisor=supervisor).order_by("first_name", "last_name", "username")
    return group, BoardFilter(request.GET, reps=reps)


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    _group, choice = _board_filter(request)
    choice.is_valid()
    today = timezone.localdate()
    day: dt.date = choice.cleaned_data.get("day") or today
    context = {
        "currency": settings.CURRENCY,
        "time_zone": settings.TIME_ZONE,
        "filter": choice,
        "day": day,
        "live": day == today,
        "rep": choice.cleaned_data.get("rep"),
        # A supervisor (or the back office) may move a missed planned visit to another day from the board.
        "may_move": request.user.has_perm("workflows.add_planmove"),
    }
    return render(request, "board/board.html", context)


@require_GET
@never_cache
@login_required
def board_visits(request: HttpRequest) -> JsonResponse:
    """`from` and `until`: when the board's day starts and ends (the board starts the next one afresh, and keeps
    of the live messages only the visits of its day). `plan`: each rep's plan against done that day
    (workflows.coverage). 400 with the errors for a day or rep that cannot be shown."""
    group, choice = _board_filter(request)
    if not choice.is_valid():
        return JsonResponse({"errors": choice.errors.get_json_data()}, status=400)
    day, rep = choice.cleaned_data.get("day"), choice.cleaned_data.get("rep")
    supervisor = None if group == STAFF_GROUP else cast(AbstractBaseUser, request.user)
    start, end = board_day(day=day)
    visits = board_visits_for(supervisor=supervisor, day=day, rep_id=rep.pk if rep else None)
    reps = board_reps(supervisor=supervisor, rep_id=rep.pk if rep else None)
    today = timezone.localdate(start)
    plan = [rep_day.as_json() for rep_day in plan_against_done(reps=reps, first=today, last=today)]
    return JsonResponse({"from": start.isoformat(), "until": end.isoformat(), "visits": visits, "plan": plan})
