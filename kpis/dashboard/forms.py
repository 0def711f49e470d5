"""The period and the team the dashboard shows: a preset (this week, this month, the last 30 days) or two dates, and
for back-office staff a supervisor's team."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.dashboard.figures import Period, Preset, supervisors

DEFAULT_PRESET = Preset.THIS_MONTH
LONGEST_DAYS = 366

BOTH_DATES = _("Choose the first and the last day of the period.")
DATES_ORDER = _("The period ends before it starts.")
TOO_LONG = _("Choose a period of at most %(days)s days.")


class SupervisorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class DashboardFilter(forms.Form):
    """`date_from` and `date_to` win over `preset`; neither given, this month. `supervisor` only for those who may
    choose a team (`teams`)."""

    preset = forms.ChoiceField(label=_("Period"), choices=Preset.choices, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    supervisor = SupervisorChoice(label=_("Team"), queryset=None, required=False, empty_label=_("Every rep"))

    def __init__(self, data: Any, *, today: dt.date, teams: bool) -> None:
        super().__init__(data)
        self.today = today
        if teams:
            self.fields["supervisor"].queryset = supervisors()  # type: ignore[attr-defined]
        else:
            del self.fields["supervisor"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if (start is None) != (end is None):
            raise forms.ValidationError(BOTH_DATES)
        if start is not None and end is not None:
            if end < start:
                raise forms.ValidationError(DATES_ORDER)
            if (end - start).days + 1 > LONGEST_DAYS:
                raise forms.ValidationError(TOO_LONG, params={"days": LONGEST_DAYS})
        return data

    def chosen_period(self) -> Period:
        """The period asked for; this month's when nothing (or nothing valid) was."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("date_from"):
            return Period(data["date_from"], data["date_to"])
        return Period.of(data.get("preset") or DEFAULT_PRESET, self.today)

    def chosen_preset(self) -> str | None:
        """The preset whose period is shown, if one is (chosen, or given by its dates)."""
        period = self.chosen_period()
        return next((preset for preset in Preset if Period.of(preset, self.today) == period), None)

    def chosen_team(self) -> Any:
        return self.cleaned_data.get("supervisor") if self.is_valid() else None
