"""Narrowing a list to an area: the situational picture links a figure of a municipality or of a
kitchen or unit to the list behind it with `municipality=` or `unit=`, and the list shows only
what the figure counts there (see docs/situation.md). Core keeps what every list shares: reading
the area from the query and the customers who lived in a municipality at a month's end, the
municipality a figure files a customer under (`core.customers.moves`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from core.customers.moves import MOVES_AFTER, MUNICIPALITY_AT
from core.customers.tables import Customer


@dataclass(frozen=True)
class ListArea:
    """The area a list is narrowed to: a municipality (where the customer lived at the end of
    the list's month) or a unit (a kitchen, an alarm centre, a booking unit: by name), or none."""

    municipality: str = ""
    unit: str = ""
    known: bool = True  # False: a municipality not in the region, which has nothing to show

    def __bool__(self) -> bool:
        return bool(self.municipality or self.unit)

    @property
    def query(self) -> str:
        """The area as query parameters for the list's own links (its pager), "" for none."""
        params = {"municipality": self.municipality, "unit": self.unit}
        return urlencode({k: v for k, v in params.items() if v})


def list_area(municipalities: Sequence[str], municipality: str = "", unit: str = "") -> ListArea:
    """The area of a list's `municipality=` and `unit=` parameters; a municipality not in the
    region narrows the list to nothing rather than to everyone."""
    municipality, unit = municipality.strip(), unit.strip()
    return ListArea(municipality, unit, known=not municipality or municipality in municipalities)


async def customers_living_in(area: ListArea, day: dt.date) -> list[int] | None:
    """The customers who lived in the area's municipality on `day` (the month's end, as the
    figures count them); None when the area names no municipality (no narrowing)."""
    if not area.municipality:
        return None
    if not area.known:
        return []
    sql = (
        f"SELECT c.id AS id FROM customer c{MOVES_AFTER.replace(':last', '{}')}"  # noqa: S608
        f" WHERE {MUNICIPALITY_AT} = {{}}"
    )
    return [r["id"] for r in await Customer.raw(sql, day, area.municipality)]
