"""Where a customer lived on a given day: the register keeps the current municipality and each
recorded move (`CustomerMove`), so figures can file a month under the municipality valid then."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.customers.tables import Customer, CustomerMove
from core.db import chunked

# For SQL over `customer c`: joins the customer's first move after :last (if any), whose
# previous municipality is where they lived on :last; `MUNICIPALITY_AT` is that municipality.
MOVES_AFTER = (
    " LEFT JOIN customer_move mv ON mv.customer = c.id AND mv.id = (SELECT m2.id"
    " FROM customer_move m2 WHERE m2.customer = c.id AND m2.moved_on > :last"
    " ORDER BY m2.moved_on, m2.id LIMIT 1)"
)
MUNICIPALITY_AT = "COALESCE(mv.previous_municipality, c.municipality)"


async def record_move(customer_id: int, previous_municipality: str, day: dt.date) -> None:
    """The customer moved away from `previous_municipality` on `day`. In the caller's
    transaction, beside the change of the register's municipality."""
    await CustomerMove.insert(
        CustomerMove(
            customer=customer_id, previous_municipality=previous_municipality, moved_on=day
        )
    )


async def municipalities_on(day: dt.date, customers: Iterable[int] | None = None) -> dict[int, str]:
    """Every customer's municipality on `day`, or only that of `customers` if given."""
    sql = f"SELECT c.id AS id, {MUNICIPALITY_AT} AS municipality FROM customer c"  # noqa: S608
    sql += MOVES_AFTER.replace(":last", "{}")
    if customers is None:
        rows = await Customer.raw(sql, day)
    else:
        rows = []
        for chunk in chunked(sorted(set(customers))):
            ids = ", ".join(str(int(c)) for c in chunk)  # integers only enter the text
            rows += await Customer.raw(f"{sql} WHERE c.id IN ({ids})", day)
    return {r["id"]: r["municipality"] for r in rows}
