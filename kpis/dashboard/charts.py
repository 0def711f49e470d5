"""The dashboard's charts: pygal's SVG, drawn on the server and inlined in the page.

The page's Content-Security-Policy allows no script and no inline style but those bearing the response's nonce, and
pygal would link its tooltip script from a CDN and inline its configuration: each chart is drawn without scripts
(`js=[]`, the configuration script taken out), with the nonce on its one <style> element (scoped to the chart's id)
and no style attribute. Tooltips are SVG <title> elements, which browsers show without a script. Numbers are written
in the active language (thousands separators, decimal comma in French).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import pygal
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from pygal.style import Style

from kpis.dashboard.figures import NOT_VISITED_DAYS, Dashboard, RepFigures

# Dark enough for white figures on the bars (WCAG AA contrast).
GREEN = "#0e6b4f"
AMBER = "#8f5600"
GREY = "#5f6b66"
RED = "#b3261e"
# One colour a rep, in the team's order, for the visits by day.
REP_COLOURS = ("#0e6b4f", "#2f6fb0", "#b26a00", "#7b4fa0", "#b3261e", "#3e8e7e", "#8a6d1d", "#c0507e", "#56606b")
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
WIDTH, HEIGHT = 640, 360


def chart_style(colours: Sequence[str]) -> Style:
    return Style(
        background="transparent",
        plot_background="#ffffff",
        foreground="#1d2521",
        foreground_strong="#1d2521",
        foreground_subtle="#d9e0dc",
        opacity="1",
        opacity_hover=".85",
        value_colors=("#ffffff",) * len(colours),
        guide_stroke_color="#e3e8e5",
        major_guide_stroke_color="#c9d1cd",
        guide_stroke_dasharray="0",
        major_guide_stroke_dasharray="0",
        transition="0ms",
        colors=tuple(colours),
        font_family=FONT,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        value_font_size=12,
        tooltip_font_size=13,
        no_data_font_size=20,
    )


def number(value: Any, places: int = 0) -> str:
    """A figure as the active language writes it: 12 345 in French, 12,345 in English."""
    if value is None:
        return "—"
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def percent(value: Any, places: int = 1) -> str:
    return "—" if value is None else _("%(value)s%%") % {"value": number(value, places)}


def whole_percent(value: Any) -> str:
    return percent(value, 0)


def round_ticks(top: float, most: int = 8) -> list[int]:
    """Whole numbers from 0 past `top`, at most about `most` of them, a round step apart (1, 2, 5, 10, 20…): counts
    are never 2.5, and long amounts must not run into each other."""
    step = 1
    while top / step > most:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return list(range(0, math.ceil(top) + step, step)) if top > 0 else [0, 1]


def _local_name(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _classes(element: Any) -> list[str]:
    return (element.get("class") or "").split()


def _scriptless(nonce: str, label: str, series: Sequence[str]) -> Callable[[Any], Any]:
    """The xml filter that makes a chart fit the page: see the module's docstring."""

    def fit(root: Any) -> Any:
        for parent in list(root.iter()):
            for child in list(parent):
                name = _local_name(child.tag)
                if not name or name == "script" or "tooltip-overlay" in _classes(child):
                    parent.remove(child)  # comments, scripts and the script-driven tooltip
                elif name == "style":
                    child.set("nonce", nonce)
                elif name == "title" and parent is root:
                    child.text = label  # the chart's name to assistive technologies; the page heads it
                child.attrib.pop("style", None)
        for group in root.iter():
            numbers = [c[6:] for c in _classes(group) if c.startswith("serie-") and c[6:].isdigit()]
            if numbers and int(numbers[0]) < len(series):
                for bar in group.iter():
                    if "bar" in _classes(bar):
                        _add_tooltip(bar, series[int(numbers[0])] if len(series) > 1 else "")
        root.set("role", "img")
        root.set("aria-label", label)
        return root

    return fit


def _add_tooltip(bar: Any, serie: str) -> None:
    """A bar's <title>: its label, its series when there are several, and its value as printed."""
    texts = {_classes(desc)[0]: desc.text or "" for desc in bar if _local_name(desc.tag) == "desc" and _classes(desc)}
    name = " · ".join(part for part in (texts.get("x_label", ""), serie) if part)
    title = bar.makeelement("title", {})
    title.text = _("%(name)s: %(value)s") % {"name": name, "value": texts.get("value", "")}
    bar.insert(0, title)


def _chart(kind: type, *, nonce: str, label: str, series: Sequence[str], colours: Sequence[str], **config: Any) -> Any:
    """A pygal chart of `kind` in the dashboard's style; `config` overrides the defaults."""
    options = {
        "js": [],
        "disable_xml_declaration": True,
        "width": WIDTH,
        "height": HEIGHT,
        "style": chart_style(colours),
        "no_data_text": _("No data for this period"),
        "print_values": True,
        "print_zeroes": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": min(len(series), 4) or 1,
        "show_legend": len(series) > 1,
        "truncate_label": -1,
        "truncate_legend": -1,
        "margin": 12,
    }
    chart = kind(**{**options, **config})
    chart.add_xml_filter(_scriptless(nonce, label, series))
    return chart


def day_label(day: dt.date) -> str:
    return date_format(day, "D j")


def visits_chart(board: Dashboard, *, nonce: str) -> str:
    """Visits by day, stacked by rep."""
    names = [rep.name for rep in board.reps]
    days = board.days
    chart = _chart(
        pygal.StackedBar,
        nonce=nonce,
        label=_("Visits per rep per day"),
        series=names,
        colours=REP_COLOURS,
        width=WIDTH * 2,
        x_label_rotation=-40 if len(days) > 10 else 0,
        print_values=len(days) <= 10,
        value_formatter=number,
        y_labels=round_ticks(max((sum(by_rep.values()) for by_rep in board.visits_by_day.values()), default=0)),
    )
    chart.x_labels = [day_label(day) for day in days]
    for rep in board.reps:
        chart.add(rep.name, [board.visits_by_day.get(day, {}).get(rep.rep_id) for day in days])
    return str(chart.render(is_unicode=True))


def sales_chart(board: Dashboard, *, nonce: str) -> str:
    """Each rep's sales beside their target."""
    series = [_("Sales"), _("Target")]
    chart = _chart(
        pygal.Bar,
        nonce=nonce,
        label=_("Sales against target"),
        series=series,
        colours=(GREEN, GREY),
        value_formatter=number,
        print_values=len(board.reps) <= 4,
        y_labels=round_ticks(max((float(max(rep.sales, rep.target or 0)) for rep in board.reps), default=0), 6),
    )
    chart.x_labels = [rep.name for rep in board.reps]
    chart.add(series[0], [float(rep.sales) for rep in board.reps])
    chart.add(series[1], [None if rep.target is None else float(rep.target) for rep in board.reps])
    return str(chart.render(is_unicode=True))


def strike_rate_chart(board: Dashboard, *, nonce: str) -> str:
    return _rep_bars(
        board,
        nonce=nonce,
        label=_("Strike rate"),
        value=lambda rep: None if rep.strike_rate is None else float(rep.strike_rate),
        colour=GREEN,
        value_formatter=whole_percent,
        formatter=percent,
        range=(0, 100),
        y_labels=list(range(0, 101, 20)),
    )


def overdue_chart(board: Dashboard, *, nonce: str) -> str:
    return _rep_bars(
        board,
        nonce=nonce,
        label=_("Overdue debt by rep"),
        value=lambda rep: float(rep.overdue) or None,
        colour=RED,
        value_formatter=number,
        y_labels=round_ticks(max((float(rep.overdue) for rep in board.reps), default=0), 4),
    )


def _rep_bars(
    board: Dashboard,
    *,
    nonce: str,
    label: str,
    value: Callable[[RepFigures], float | None],
    colour: str,
    **config: Any,
) -> str:
    """One horizontal bar a rep, the first rep on top (pygal draws the first label at the bottom)."""
    chart = _chart(
        pygal.HorizontalBar, nonce=nonce, label=label, series=[label], colours=(colour,), margin_right=40, **config
    )
    reps = board.reps[::-1]
    chart.x_labels = [rep.name for rep in reps]
    chart.add(label, [value(rep) for rep in reps])
    return str(chart.render(is_unicode=True))


def unvisited_chart(board: Dashboard, *, nonce: str) -> str:
    """Each rep's clients in use, visited or not in the last NOT_VISITED_DAYS days."""
    days = {"days": NOT_VISITED_DAYS}
    series = [_("Visited in the last %(days)s days") % days, _("Not visited for %(days)s days") % days]
    chart = _chart(
        pygal.HorizontalStackedBar,
        nonce=nonce,
        label=_("Clients not visited for %(days)s days") % days,
        series=series,
        colours=(GREEN, AMBER),
        value_formatter=number,
        margin_right=40,
        y_labels=round_ticks(max((rep.clients for rep in board.reps), default=0)),
    )
    reps = board.reps[::-1]  # the first rep on top
    chart.x_labels = [rep.name for rep in reps]
    chart.add(series[0], [(rep.clients - rep.unvisited) or None for rep in reps])
    chart.add(series[1], [rep.unvisited or None for rep in reps])
    return str(chart.render(is_unicode=True))


def dashboard_charts(board: Dashboard, *, nonce: str) -> dict[str, str]:
    """Every chart of the dashboard, by name, as SVG to inline in the page."""
    return {
        "visits": visits_chart(board, nonce=nonce),
        "sales": sales_chart(board, nonce=nonce),
        "strike_rate": strike_rate_chart(board, nonce=nonce),
        "unvisited": unvisited_chart(board, nonce=nonce),
        "overdue": overdue_chart(board, nonce=nonce),
    }
