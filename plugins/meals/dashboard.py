"""Dashboard panels of the meal service: each role's day at a glance.

The coordinator: openings waiting (and the oldest one's age), services running and paused
today, pauses starting and ending this week, endings this month and changes reported since
yesterday, per kitchen. The kitchen: its next delivery day's meals and one-click prints. Client
guidance and home care: the requests and reports they sent, and their state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from plugins.meals import lists
from plugins.meals.services import OPENING_TASK, start_of
from plugins.meals.settings import MealSettings
from plugins.meals.tables import MealChangeReport, MealException, MealService
from valvomo.api import CachedQuery, CurrentUser, Task, today

COUNTS_SQL = """
SELECT s.kitchen AS kitchen,
  SUM(CASE WHEN s.status = 'opening_requested' THEN 1 ELSE 0 END) AS openings,
  SUM(CASE WHEN s.status = 'ending_requested' THEN 1 ELSE 0 END) AS endings_waiting,
  SUM(CASE WHEN s.status <> 'opening_requested' AND s.start_date <= {}
      AND (s.end_date IS NULL OR s.end_date >= {}) THEN 1 ELSE 0 END) AS running,
  SUM(CASE WHEN s.status IN ('ending_requested', 'ended') AND s.end_date >= {}
      AND s.end_date <= {} THEN 1 ELSE 0 END) AS endings_this_month
FROM meals_service s GROUP BY s.kitchen
"""
# The kitchen's name and the oldest waiting opening come with the counts (one statement).
COUNTS_WITH_NAMES_SQL = f"""
SELECT c.*, (SELECT k.name FROM meals_kitchen k WHERE k.id = c.kitchen) AS kitchen_name,
  (SELECT MIN(o.created_at) FROM meals_service o WHERE o.status = 'opening_requested')
  AS oldest_opening
FROM ({COUNTS_SQL.strip()}) c
"""  # noqa: S608 (a constant: the counts as a subquery)
# Services paused today, and pauses starting and ending this week: one pass over the pauses
# that touch today or this week.
PAUSES_SQL = """
SELECT s.kitchen AS kitchen,
  COUNT(DISTINCT CASE WHEN p.start_date <= {} AND (p.end_date IS NULL OR p.end_date >= {})
      AND s.status <> 'opening_requested' AND s.start_date <= {}
      AND (s.end_date IS NULL OR s.end_date >= {}) THEN s.id END) AS paused,
  SUM(CASE WHEN p.start_date >= {} AND p.start_date <= {} THEN 1 ELSE 0 END) AS pauses_starting,
  SUM(CASE WHEN p.end_date >= {} AND p.end_date <= {} THEN 1 ELSE 0 END) AS pauses_ending
FROM meals_pause p JOIN meals_service s ON s.id = p.service
WHERE (p.start_date <= {} AND (p.end_date IS NULL OR p.end_date >= {}))
   OR (p.start_date >= {} AND p.start_date <= {}) OR (p.end_date >= {} AND p.end_date <= {})
GROUP BY s.kitchen
"""
# The reports of the last day first (index on reported_at), each one's kitchen looked up by
# its service: a join let SQLite walk every service of the region and probe its reports.
REPORTS_SQL = """
SELECT k.kitchen AS kitchen, COUNT(*) AS reported
FROM (SELECT (SELECT s.kitchen FROM meals_service s WHERE s.id = r.service) AS kitchen
      FROM meals_change_report r WHERE r.reported_at >= {}) k
GROUP BY k.kitchen
"""
# The three groups in one statement: each group's rows carry its own figures and NULL for the
# others' (cast, so PostgreSQL can match the branches' types), and the rows are merged by
# kitchen. One round trip instead of three on every coordinator's dashboard.
FIGURES_SQL = f"""
SELECT a.kitchen, a.openings, a.endings_waiting, a.running, a.endings_this_month,
  a.kitchen_name, a.oldest_opening, CAST(NULL AS BIGINT) AS paused,
  CAST(NULL AS BIGINT) AS pauses_starting, CAST(NULL AS BIGINT) AS pauses_ending,
  CAST(NULL AS BIGINT) AS reported
FROM ({COUNTS_WITH_NAMES_SQL.strip()}) a
UNION ALL
SELECT b.kitchen, NULL, NULL, NULL, NULL, NULL, NULL, b.paused, b.pauses_starting,
  b.pauses_ending, NULL
FROM ({PAUSES_SQL.strip()}) b
UNION ALL
SELECT c.kitchen, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.reported
FROM ({REPORTS_SQL.strip()}) c
"""  # noqa: S608 (constants: the three groups as subqueries)
FIGURES = (
    "openings", "endings_waiting", "running", "paused", "pauses_starting", "pauses_ending",
    "endings_this_month", "reported",
)  # fmt: skip


@dataclass
class CoordinatorDay:
    """The coordinator's figures, per kitchen (None = no kitchen yet: openings) and in all."""

    day: dt.date
    by_kitchen: dict[int | None, dict[str, int]] = field(default_factory=dict)
    kitchen_names: dict[int, str] = field(default_factory=dict)
    oldest_opening_days: int | None = None

    @property
    def totals(self) -> dict[str, int]:
        return {f: sum(k.get(f, 0) for k in self.by_kitchen.values()) for f in FIGURES}

    @property
    def kitchens(self) -> list[tuple[str, dict[str, int]]]:
        """Rows per kitchen by name, every figure in each (0 where none); services without a
        kitchen (openings) are left out."""
        rows = [
            (self.kitchen_names.get(k, "?"), {f: v.get(f, 0) for f in FIGURES})
            for k, v in self.by_kitchen.items()
            if k
        ]
        return sorted(rows, key=lambda row: row[0])


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def count_queries(day: dt.date) -> list[tuple[str, tuple[Any, ...]]]:
    """The dashboard's counting statements with their parameters (also run bare by the bench):
    the three figure groups in one statement."""
    monday, sunday = week_of(day)
    first, last = month_of(day)
    since = start_of(day - dt.timedelta(days=1))
    counts = (day, day, first, last)
    pauses = (day, day, day, day, *(monday, sunday) * 2, day, day, *(monday, sunday) * 2)
    return [(FIGURES_SQL, (*counts, *pauses, since))]


NOT_FIGURES = ("kitchen", "kitchen_name", "oldest_opening")


async def coordinator_day(day: dt.date | None = None) -> CoordinatorDay:
    """The figures in one statement, however many kitchens the region has."""
    day = day or today()
    result = CoordinatorDay(day)
    oldest: Any = None
    for sql, params in count_queries(day):
        for row in await MealService.raw(sql, *params):
            figures = result.by_kitchen.setdefault(row["kitchen"], {})
            for name, value in row.items():
                if name not in NOT_FIGURES and value is not None:  # None: another group's
                    figures[name] = int(value)
            if row.get("kitchen_name") is not None:
                result.kitchen_names[row["kitchen"]] = row["kitchen_name"]
            oldest = row.get("oldest_opening") or oldest
    if oldest is not None:
        created = dt.datetime.fromisoformat(oldest) if isinstance(oldest, str) else oldest
        result.oldest_opening_days = (day - created.date()).days
    return result


async def reported_online(since: dt.date, limit: int = 20) -> list[dict[str, Any]]:
    """Coming days away that customers or their proxies reported online, soonest first."""
    return list(await _REPORTED_ONLINE(since, limit=limit))


# The customer's name through the service: Piccolo's joins cost more CPU to build than the
# database needs to answer, so the SQL is built once.
_REPORTED_ONLINE = CachedQuery(
    lambda since, limit: (
        MealException.select(
            MealException.day,
            MealException.reported_by,
            MealException.service._.customer._.id.as_alias("customer"),
            MealException.service._.customer._.first_name.as_alias("first_name"),
            MealException.service._.customer._.last_name.as_alias("last_name"),
        )
        .where((MealException.reported_by != "") & (MealException.day >= since))
        .order_by(MealException.day)
        .limit(limit)
    )
)


async def kitchen_day(kitchen_ids: frozenset[int], settings: MealSettings) -> list[dict[str, Any]]:
    """Each of the user's kitchens: its next delivery day and the meals to prepare for it."""
    out = []
    names = {k["id"]: k["name"] for k in await lists.kitchens()}
    for kitchen_id in sorted(kitchen_ids, key=lambda k: names.get(k, "")):
        day = await lists.next_delivery_day(frozenset({kitchen_id}), today(), settings)
        counts = await lists.production_list(kitchen_id, day, settings)
        out.append(
            {
                "id": kitchen_id,
                "name": names.get(kitchen_id, "?"),
                "day": day,
                "counts": counts,
                "total": sum(counts.values()),
            }
        )
    return out


async def requests_of(user: CurrentUser, since_days: int = 60) -> dict[str, list[dict[str, Any]]]:
    """The opening requests and change reports `user` sent lately, newest first, with state."""
    since = start_of(today() - dt.timedelta(days=since_days))
    openings = (
        await Task.select(
            Task.id,
            Task.status,
            Task.created_at,
            Task.payload,
            Task.summary,
            Task.customer.first_name,
            Task.customer.last_name,
        )
        .where(
            (Task.created_by == user.id)
            & (Task.kind == OPENING_TASK.code)
            & (Task.created_at >= since)
        )
        .order_by(Task.created_at, ascending=False)
        .limit(20)
        .output(load_json=True)
    )
    reports = (
        await MealChangeReport.select(
            MealChangeReport.id,
            MealChangeReport.service,
            MealChangeReport.kind,
            MealChangeReport.status,
            MealChangeReport.reported_at,
            MealChangeReport.service.customer.first_name,  # type: ignore[union-attr]
            MealChangeReport.service.customer.last_name,  # type: ignore[union-attr]
        )
        .where((MealChangeReport.reported_by == user.id) & (MealChangeReport.reported_at >= since))
        .order_by(MealChangeReport.reported_at, ascending=False)
        .limit(20)
    )
    return {"openings": openings, "reports": reports}
