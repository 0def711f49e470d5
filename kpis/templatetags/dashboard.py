"""`{% load dashboard %}`: whether a user may open the dashboard and the live board (for the back office's links), and
the dashboard's figures written as its charts write them."""

from __future__ import annotations

from typing import Any

from django import template

from kpis.dashboard.charts import number, percent, whole_percent
from workflows.board import board_group

register = template.Library()


@register.filter
def watches_board(user: Any) -> bool:
    """The live board's rule (workflows.board.board_group), which the dashboard's page follows too."""
    return board_group(user) is not None


@register.filter
def count(value: Any) -> str:
    """A whole number as the active language writes it (12 345 in French)."""
    return number(value)


@register.filter
def amount(value: Any) -> str:
    """An amount in whole units of the currency: a dashboard compares, it does not account."""
    return number(value)


@register.filter(name="percent")
def percent_filter(value: Any) -> str:
    return percent(value)


@register.filter
def km(metres: Any) -> str:
    """Metres as kilometres with one decimal, as the active language writes them (12,3 in French)."""
    return number(float(metres) / 1000, 1)


@register.filter(name="whole_percent")
def whole_percent_filter(value: Any) -> str:
    return whole_percent(value)
