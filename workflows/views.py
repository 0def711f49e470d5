"""The supervisors' live board: its page, and today's visits as JSON for its first paint and its re-syncs."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from workflows.board import STAFF_GROUP, board_group
from workflows.selectors import board_day, board_visits_for


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    if board_group(request.user) is None:
        raise PermissionDenied
    return render(request, "board/board.html", {"currency": settings.CURRENCY, "time_zone": settings.TIME_ZONE})


@require_GET
@never_cache
@login_required
def board_visits(request: HttpRequest) -> JsonResponse:
    """`until`: when the board's day ends, and the board starts the next one afresh."""
    group = board_group(request.user)
    if group is None:
        raise PermissionDenied
    supervisor = None if group == STAFF_GROUP else cast(AbstractBaseUser, request.user)
    _start, end = board_day()
    return JsonResponse({"until": end.isoformat(), "visits": board_visits_for(supervisor=supervisor)})
