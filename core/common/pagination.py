"""One page of a longer list, as every list page and API shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def page_count(total: int, page_size: int) -> int:
    """Pages needed for `total` rows; an empty list still has one (empty) page."""
    return max(1, -(-total // page_size))


@dataclass(frozen=True)
class ResultPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    # True when more rows match than were counted: `total` is then the cap, not the whole
    # number (a search that matches a large part of the register asks to be refined).
    capped: bool = False

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)
