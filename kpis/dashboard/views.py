"""The dashboard's page: in the back office's frame, for those who may watch the live board."""

from __future__ import annotations

from typing import Any

from csp.constants import NONCE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kpis.dashboard.charts import dashboard_charts
from kpis.dashboard.figures import NOT_VISITED_DAYS, Preset, dashboard_figures, dashboard_team
from kpis.dashboard.forms import DashboardFilter
from workflows.board import STAFF_GROUP, board_group


def _preset_links(choice: DashboardFilter) -> list[dict[str, Any]]:
    """Each preset as a link that keeps the team chosen."""
    team = choice.chosen_team()
    current = choice.chosen_preset()
    links = []
    for value, label in Preset.choices:
        query = {"preset": value, **({"supervisor": team.pk} if team else {})}
        links.append({"label": label, "url": f"?{urlencode(query)}", "current": value == current})
    return links


# Each chart's <style> carries the response's nonce: the site's policy allows no other inline style.
@require_GET
@login_required
@csp_update({"style-src": [NONCE]})
def dashboard(request: HttpRequest) -> HttpResponse:
    group = board_group(request.user)
    if group is None:
        raise PermissionDenied
    today = timezone.localdate()
    choice = DashboardFilter(request.GET or None, today=today, teams=group == STAFF_GROUP)
    team = choice.chosen_team()
    reps = dashboard_team(user=request.user, supervisor=team)
    if reps is None:  # dashboard_team answers None where board_group does: checked above
        raise PermissionDenied
    board = dashboard_figures(reps=reps, period=choice.chosen_period(), today=today)
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,  # the charts take the page's width
        "title": _("Dashboard"),
        "filter": choice,
        "presets": _preset_links(choice),
        "team": team,
        "board": board,
        "totals": board.totals,
        "charts": dashboard_charts(board, nonce=str(request.csp_nonce)),  # type: ignore[attr-defined]
        "currency": settings.CURRENCY,
        "not_visited_days": NOT_VISITED_DAYS,
    }
    return render(request, "kpis/dashboard.html", context)
