"""The figures for secondary use (the region's reporting tools): aggregates only, no personal
data, and every cell about fewer than five customers suppressed."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from core.common.exports import to_csv
from core.plugins.types import Metric
from core.situation.services import (
    MUNICIPALITY,
    REGION,
    SMALL_CELL,
    UNIT,
    Selection,
)
from core.situation.tables import SituationFigure

HEADERS = (
    "metric",
    "service",
    "unit_of_measure",
    "month",
    "level",
    "area",
    "split",
    "value",
    "customers",
    "suppressed",
)


def _levels(selection: Selection) -> list[tuple[str, str | None]]:
    """Which stored rows to export: the area chosen (a municipality or a unit), else region and
    municipalities."""
    chosen: list[tuple[str, str | None]] = []
    if selection.municipality:
        chosen.append((MUNICIPALITY, selection.municipality))
    if selection.unit:
        chosen.append((UNIT, selection.unit))
    return chosen or [(REGION, None), (MUNICIPALITY, None)]


async def export_rows(metrics: dict[str, Metric], selection: Selection) -> list[dict[str, Any]]:
    """The stored figures of the selection (refused beforehand when it has none to read: a
    period ending before it starts, a unit without figures)."""
    names = list(selection.metric_names) or list(metrics)
    found: list[dict[str, Any]] = []
    for level, area in _levels(selection):
        query = SituationFigure.select().where(
            (SituationFigure.level == level)
            & (SituationFigure.month >= selection.first.first_day)
            & (SituationFigure.month <= selection.last.first_day)
            & SituationFigure.metric.is_in(names)
        )
        if area is not None:
            query = query.where(SituationFigure.area == area)
        found += await query
    order = {name: n for n, name in enumerate(names)}
    found.sort(key=lambda r: (order[r["metric"]], r["month"], r["level"] != REGION, r["area"]))
    return [_exported(metrics[r["metric"]], r) for r in found]


def _exported(metric: Metric, row: dict[str, Any]) -> dict[str, Any]:
    hidden = 0 < int(row["customers"]) < SMALL_CELL
    value = Decimal(row["value"])
    if metric.kind == "mean":
        value = (value / row["weight"]).quantize(Decimal("0.1")) if row["weight"] else Decimal(0)
    return {
        "metric": metric.name,
        "service": metric.service,
        "unit_of_measure": metric.unit,
        "month": row["month"].strftime("%Y-%m"),
        "level": row["level"],
        "area": row["area"],
        "split": row["split"],
        "value": None if hidden else int(value) if value == value.to_integral() else value,
        "customers": None if hidden else int(row["customers"]),
        "suppressed": hidden,
    }


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    return to_csv(
        HEADERS,
        [[r[h] if h != "suppressed" else int(r[h]) for h in HEADERS] for r in rows],
    )


def as_json(rows: list[dict[str, Any]]) -> bytes:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral() else float(value)
        return value

    return json.dumps(
        {"figures": [{k: plain(v) for k, v in r.items()} for r in rows]}, ensure_ascii=False
    ).encode("utf-8")
