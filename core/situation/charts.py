"""Charts of the situational picture as SVG images drawn on the server with pygal, without
scripts: the page shows them with `<img>`, a text alternative and the data table beneath."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pygal
from pygal.style import Style

from core.i18n import gettext
from core.situation.formatting import fmt_number
from core.situation.months import month_text
from core.situation.services import Cell, Figure, Picture

SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
# Dark, distinguishable colours that keep 4.5:1 against white (and print in greyscale).
PALETTE = ("#00468b", "#a3004c", "#006b3d", "#7a4a00", "#5b2c8f", "#8a1c1c", "#1f5f6b", "#333333")
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def style(high_contrast: bool) -> Style:
    ink = "#000000" if high_contrast else "#1a1a1a"
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground=ink,
        foreground_strong=ink,
        foreground_subtle="#000000" if high_contrast else "#6b6b6b",
        opacity="1",
        opacity_hover="1",
        colors=("#000000", *PALETTE) if high_contrast else PALETTE,
        font_family="Arial, Helvetica, sans-serif",
        label_font_size=14 if high_contrast else 12,
        major_label_font_size=14 if high_contrast else 12,
        legend_font_size=16 if high_contrast else 14,
        title_font_size=18,
        stroke_width="3" if high_contrast else "2",
    )


def _label(value: float | None) -> str:
    """Axis and value labels in the reader's language (1 200, 2,5)."""
    return "" if value is None else fmt_number(Decimal(str(value)).quantize(Decimal("0.1")))


def _number(cell: Cell) -> float | None:
    return None if cell.value is None else float(cell.value)


@dataclass(frozen=True)
class ChartData:
    """What a chart draws, also shown as the table under it: row labels × series."""

    kind: str  # "line" | "bar"
    title: str
    heading: str  # what the labels are: months, municipalities, categories
    labels: list[str]
    series: list[tuple[str, list[Cell]]]


def trend(figures: Sequence[Figure], title: str) -> ChartData:
    """Monthly values of the figures over the 24 months ending with the period."""
    months = [month_text(m) for m, _ in figures[0].trend] if figures else []
    series = [(gettext(f.metric.label), [c for _, c in f.trend]) for f in figures]
    return ChartData("line", title, gettext("Month"), months, series)


def customers_trend(picture: Picture) -> ChartData:
    stocks = [f for f in picture.figures if f.metric.kind == "stock"]
    return trend(stocks, gettext("Customers per service, 24 months"))


def by_municipality(figure: Figure) -> ChartData:
    title = gettext("%(figure)s by municipality", figure=gettext(figure.metric.label))
    names = [name for name, _ in figure.by_municipality]
    cells = [cell for _, cell in figure.by_municipality]
    return ChartData(
        "bar", title, gettext("Municipality"), names, [(gettext(figure.metric.label), cells)]
    )


def distribution(figure: Figure) -> ChartData:
    title = gettext("%(figure)s: distribution", figure=gettext(figure.metric.label))
    labels = [gettext(label) for _, label, _ in figure.splits]
    cells = [cell for _, _, cell in figure.splits]
    return ChartData(
        "bar", title, gettext("Category"), labels, [(gettext(figure.metric.label), cells)]
    )


def render_svg(data: ChartData, high_contrast: bool = False) -> str:
    chart_class = pygal.Line if data.kind == "line" else pygal.HorizontalBar
    chart = chart_class(
        style=style(high_contrast),
        js=[],
        disable_xml_declaration=True,
        title=data.title,
        width=800,
        height=420 if data.kind == "line" else max(260, 28 * len(data.labels) + 120),
        show_legend=len(data.series) > 1,
        legend_at_bottom=True,
        x_label_rotation=45 if data.kind == "line" else 0,
        show_minor_x_labels=False,
        x_labels_major_every=3 if data.kind == "line" else None,
        truncate_label=-1,
        print_values=False,
        no_data_text=gettext("No figures"),
        dots_size=3,
        formatter=_label,
        value_formatter=_label,
    )
    chart.x_labels = data.labels
    for name, cells in data.series:
        chart.add(name, [_number(c) for c in cells])
    svg = chart.render(is_unicode=True)
    return SCRIPT.sub("", svg)
