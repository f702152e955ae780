"""The situational picture: which figures exist, what a person asked for, and the figures read
from the aggregates with their comparisons, suppression of small cells and age."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from core.common.errors import ValidationFailed
from core.i18n import N_
from core.plugins.host import PluginHost
from core.plugins.types import BillingPeriod, Metric
from core.situation.months import add_months, months_between, parse_month
from core.situation.tables import SituationFigure, SituationRefresh

MAX_MONTHS = 60  # a period of at most five years
TREND_MONTHS = 24
SMALL_CELL = 5  # fewer customers than this in a cell is suppressed for those without access
REGION, MUNICIPALITY, UNIT = "region", "municipality", "unit"
Row = tuple[str, dt.date, str]  # metric, month, split
DECLARED = "declared metrics"  # in `MetricContext.shared`: the metrics a refresh computes


def declared_metrics(host: PluginHost) -> dict[str, Metric]:
    """Every enabled plugin's metrics (and core's), by name, in display order."""
    metrics: list[Metric] = host.collect("valvomo_metrics")
    return {m.name: m for m in sorted(metrics, key=lambda m: (m.order, m.name))}


@dataclass(frozen=True)
class Selection:
    """What the person asked for: a period of whole months and one area (region by default)."""

    first: BillingPeriod
    last: BillingPeriod
    municipality: str = ""
    unit: str = ""
    metric_names: tuple[str, ...] = ()

    @cached_property
    def months(self) -> list[BillingPeriod]:
        return months_between(self.first, self.last)

    @property
    def length(self) -> int:
        return len(self.months)

    @property
    def level(self) -> tuple[str, str]:
        if self.unit:
            return UNIT, self.unit
        if self.municipality:
            return MUNICIPALITY, self.municipality
        return REGION, ""

    def shifted(self, months: int) -> Selection:
        return Selection(
            add_months(self.first, months),
            add_months(self.last, months),
            self.municipality,
            self.unit,
            self.metric_names,
        )

    @cached_property
    def previous(self) -> Selection:
        return self.shifted(-self.length)

    @cached_property
    def year_earlier(self) -> Selection:
        return self.shifted(-12)

    @property
    def trend_start(self) -> BillingPeriod:
        return add_months(self.last, -(TREND_MONTHS - 1))


async def known_units() -> list[str]:
    """Kitchens and service units that have figures in the aggregates."""
    rows = (
        await SituationFigure.select(SituationFigure.area)
        .where(SituationFigure.level == UNIT)
        .distinct()
    )
    return sorted(r["area"] for r in rows)


async def parse_selection(
    metrics: dict[str, Metric],
    municipalities: Sequence[str],
    today: dt.date,
    *,
    start: str = "",
    end: str = "",
    municipality: str = "",
    unit: str = "",
    metric_names: Iterable[str] = (),
) -> Selection:
    """The selection from query parameters; ValidationFailed with every problem, nothing read.
    The page, the export command and the API refuse the same input."""
    errors: dict[str, str] = {}
    current = BillingPeriod(today.year, today.month)
    first = last = current
    try:
        last = parse_month(end) if end.strip() else current
    except ValueError:
        errors["end"] = N_("Enter the month like 11/2026.")
    try:
        first = parse_month(start) if start.strip() else last
    except ValueError:
        errors["start"] = N_("Enter the month like 11/2026.")
    if not errors:
        if last.first_day < first.first_day:
            errors["end"] = N_("The period ends before it starts.")
        elif len(months_between(first, last)) > MAX_MONTHS:
            errors["end"] = N_("The period can be at most five years long.")
    if municipality and municipality not in municipalities:
        errors["municipality"] = N_("There is no such municipality in the region.")
    if unit and unit not in await known_units():
        errors["unit"] = N_("There is no such kitchen or unit.")
    names = tuple(n for n in metric_names if n)
    if any(n not in metrics for n in names):
        errors["metric"] = N_("No enabled service has a figure of that name.")
    if municipality and unit:
        errors["unit"] = N_("Choose either a municipality or a kitchen or unit, not both.")
    if errors:
        raise ValidationFailed(errors)
    return Selection(first, last, municipality, unit, names)


@dataclass
class Cell:
    """A figure as shown: its value, or None when suppressed, and how many customers it is about."""

    value: Decimal | None
    customers: int
    suppressed: bool = False


@dataclass
class Figure:
    """One metric for the selection: the period, the comparisons, the trend and the splits."""

    metric: Metric
    current: Cell
    previous: Cell
    year_earlier: Cell
    trend: list[tuple[BillingPeriod, Cell]]
    splits: list[tuple[str, str, Cell]] = field(default_factory=list)
    by_municipality: list[tuple[str, Cell]] = field(default_factory=list)
    refreshed_at: dt.datetime | None = None
    list_href: str = ""

    @staticmethod
    def change(now: Cell, before: Cell) -> Decimal | None:
        if now.value is None or before.value is None:
            return None
        return now.value - before.value

    @property
    def change_previous(self) -> Decimal | None:
        return self.change(self.current, self.previous)

    @property
    def change_year(self) -> Decimal | None:
        return self.change(self.current, self.year_earlier)


@dataclass
class Picture:
    selection: Selection
    figures: list[Figure]
    units: list[str]

    def by_service(self) -> list[tuple[str, list[Figure]]]:
        grouped: dict[str, list[Figure]] = defaultdict(list)
        for figure in self.figures:
            grouped[figure.metric.service].append(figure)
        return list(grouped.items())


@dataclass
class Stored:
    """Figures read from the aggregates: (metric, month, split) → value, weight, customers."""

    values: dict[Row, tuple[Decimal, int, int]]

    def cell(self, metric: Metric, months: list[BillingPeriod], split: str, reveal: bool) -> Cell:
        return self.cell_of_days(metric, [m.first_day for m in months], split, reveal)

    def cell_of_days(self, metric: Metric, days: list[dt.date], split: str, reveal: bool) -> Cell:
        """`cell` of the months by their first days: the page asks for hundreds of cells of the
        same few lists of months, so it turns them into days once."""
        if metric.kind == "stock":
            days = days[-1:]
        value, weight, customers = Decimal(0), 0, 0
        values, name = self.values, metric.name
        for day in days:
            found = values.get((name, day, split))
            if found is not None:
                value, weight, customers = value + found[0], weight + found[1], customers + found[2]
        if metric.kind == "mean":
            value = (value / weight).quantize(Decimal("0.1")) if weight else Decimal(0)
        return suppressed(Cell(value, customers), reveal)


def suppressed(cell: Cell, reveal: bool) -> Cell:
    """The cell, or its value hidden when it is about 1–4 customers and `reveal` is not allowed."""
    if not reveal and 0 < cell.customers < SMALL_CELL:
        return Cell(None, cell.customers, suppressed=True)
    return cell


async def read_figures(
    level: str, area: str, first: BillingPeriod, last: BillingPeriod, names: Sequence[str]
) -> Stored:
    """The stored figures of one area for the months, in one query."""
    query = SituationFigure.select(
        SituationFigure.metric,
        SituationFigure.month,
        SituationFigure.split,
        SituationFigure.value,
        SituationFigure.weight,
        SituationFigure.customers,
    ).where(
        (SituationFigure.level == level)
        & (SituationFigure.area == area)
        & (SituationFigure.month >= first.first_day)
        & (SituationFigure.month <= last.first_day)
    )
    if names:
        query = query.where(SituationFigure.metric.is_in(list(names)))
    values = {
        (r["metric"], r["month"], r["split"]): (
            Decimal(r["value"]),
            int(r["weight"]),
            int(r["customers"]),
        )
        for r in await query
    }
    return Stored(values)


async def municipality_figures(metric: Metric, selection: Selection) -> dict[str, Stored]:
    """One metric's figures of the period for every municipality, summed in the database."""
    first = selection.last if metric.kind == "stock" else selection.first
    rows = await SituationFigure.raw(
        "SELECT area, SUM(value) AS value, SUM(weight) AS weight, SUM(customers) AS customers "
        "FROM situation_figure WHERE level = {} AND split = '' AND metric = {} "
        "AND month >= {} AND month <= {} GROUP BY area",
        MUNICIPALITY,
        metric.name,
        first.first_day,
        selection.last.first_day,
    )
    month = selection.last.first_day  # the sums stand as one month's figure
    return {
        r["area"]: Stored(
            {(metric.name, month, ""): (Decimal(r["value"]), int(r["weight"]), int(r["customers"]))}
        )
        for r in rows
    }


async def refresh_times(first: BillingPeriod, last: BillingPeriod) -> dict[str, dt.datetime]:
    """Per metric, the oldest refresh among the months: how old the figures shown are."""
    rows = await SituationRefresh.raw(
        "SELECT metric, MIN(refreshed_at) AS refreshed_at FROM situation_refresh "
        "WHERE month >= {} AND month <= {} GROUP BY metric",
        first.first_day,
        last.first_day,
    )
    return {r["metric"]: _as_datetime(r["refreshed_at"]) for r in rows}


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):  # SQLite returns aggregates of timestamps as text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def hide_complements(cells: list[tuple[str, Cell]]) -> list[tuple[str, Cell]]:
    """With exactly one municipality suppressed, the total minus the others would reveal it:
    suppress the next smallest one too."""
    hidden = [name for name, cell in cells if cell.suppressed]
    if len(hidden) != 1:
        return cells
    shown = [(c.customers, name) for name, c in cells if not c.suppressed and c.customers > 0]
    if not shown:
        return cells
    smallest = min(shown)[1]
    return [(name, Cell(None, c.customers, True) if name == smallest else c) for name, c in cells]


def list_href(metric: Metric, selection: Selection, allowed: bool) -> str:
    """The list behind the figure, narrowed to the chosen area; "" when not allowed, or when
    the list cannot be narrowed to that area (it would show customers of other areas)."""
    if not metric.list_path or not allowed:
        return ""
    level, area = selection.level
    if level != REGION and level not in metric.list_areas:
        return ""
    last = selection.last
    href = metric.list_path.format(
        month=f"{last.year}-{last.month:02d}", year=last.year, month_number=last.month
    )
    if level == REGION:
        return href
    return href + ("&" if "?" in href else "?") + urlencode({level: area})


async def picture(
    metrics: dict[str, Metric],
    selection: Selection,
    can: Any,
    *,
    split_metric: str = "",
) -> Picture:
    """The figures of the selection from the aggregates: a handful of queries whatever the size.

    `can(permission)` says what the viewer may do: small cells are shown only to those who may
    see the customers behind the figure, and the figure links to its list for them. The figure
    named `split_metric` is also split by municipality (for the region only).
    """
    chosen = [metrics[n] for n in selection.metric_names] or list(metrics.values())
    names = [m.name for m in chosen] if selection.metric_names else []
    level, area = selection.level
    earliest = min(selection.year_earlier.first, selection.trend_start, key=lambda p: p.first_day)
    stored = await read_figures(level, area, earliest, selection.last, names)
    ages = await refresh_times(selection.first, selection.last)
    trend_months = [
        (m, [m.first_day]) for m in months_between(selection.trend_start, selection.last)
    ]
    current, previous, year_earlier = (
        [m.first_day for m in s.months]
        for s in (selection, selection.previous, selection.year_earlier)
    )
    figures = []
    for metric in chosen:
        reveal = bool(can(metric.list_permission or "customers.view"))
        cell = stored.cell_of_days
        figure = Figure(
            metric=metric,
            current=cell(metric, current, "", reveal),
            previous=cell(metric, previous, "", reveal),
            year_earlier=cell(metric, year_earlier, "", reveal),
            trend=[(m, cell(metric, days, "", reveal)) for m, days in trend_months],
            splits=[
                (code, label, cell(metric, current, code, reveal)) for code, label in metric.splits
            ],
            refreshed_at=ages.get(metric.name),
            list_href=list_href(metric, selection, bool(can(metric.list_permission))),
        )
        if metric.name == split_metric and level == REGION:
            by_area = await municipality_figures(metric, selection)
            figure.by_municipality = hide_complements(
                [
                    (name, by_area[name].cell(metric, [selection.last], "", reveal))
                    for name in sorted(by_area)
                ]
            )
        figures.append(figure)
    return Picture(selection, figures, await known_units())
