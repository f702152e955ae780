"""A line's days of a month: "3,4,5:2" ↔ {3: 1, 4: 1, 5: 2}, and what a correction changed,
written as people read it: "+2 Lunch 3.–4.10." or "−1 Delivery 5.10."."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from core.plugins.types import BillingPeriod

# A correction line stores its change the same way, with negative quantities ("5:-1").
DAYS_CODE = re.compile(r"^(?:\d{1,2}(?::-?\d{1,3})?(?:,\d{1,2}(?::-?\d{1,3})?)*)?$")
MINUS = "\u2212"


def encode(quantities: Mapping[int, int]) -> str:
    """{3: 1, 5: 2} → "3,5:2" (days in order, a quantity only where it is not 1)."""
    return ",".join(
        str(day) if n == 1 else f"{day}:{n}" for day, n in sorted(quantities.items()) if n
    )


def decode(code: str) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for part in filter(None, code.split(",")):
        day, _, n = part.partition(":")
        quantities[int(day)] = quantities.get(int(day), 0) + (int(n) if n else 1)
    return quantities


def is_valid(code: str, period: BillingPeriod) -> bool:
    if not DAYS_CODE.match(code):
        return False
    last = period.last_day.day
    return all(1 <= int(part.partition(":")[0]) <= last for part in code.split(",") if part)


def difference(now: Iterable[str], before: Iterable[str]) -> dict[int, int]:
    """Per day, the quantity billed now minus the quantity billed before (non-zero days)."""
    change: dict[int, int] = {}
    for code in now:
        for day, n in decode(code).items():
            change[day] = change.get(day, 0) + n
    for code in before:
        for day, n in decode(code).items():
            change[day] = change.get(day, 0) - n
    return {day: n for day, n in sorted(change.items()) if n}


def day_ranges(days: Iterable[int], month: int) -> str:
    """[3, 4, 6] in October → "3.–4.10., 6.10."."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        f"{run[0]}.–{run[-1]}.{month}." if len(run) > 1 else f"{run[0]}.{month}." for run in runs
    )


def change_text(change: Mapping[int, int], product: str, month: int) -> str:
    """ "+2 Lunch 3.–4.10.; −1 Lunch 5.10." for the days added and removed."""
    parts = []
    for sign, chosen in (("+", {d: n for d, n in change.items() if n > 0}),
                         (MINUS, {d: -n for d, n in change.items() if n < 0})):  # fmt: skip
        if chosen:
            parts.append(f"{sign}{sum(chosen.values())} {product} {day_ranges(chosen, month)}")
    return "; ".join(parts)
