"""Domain errors that views turn into messages next to fields, conflict pages or 4xx bodies."""

from __future__ import annotations

from typing import Any


class ValidationFailed(Exception):
    """Input was refused; `errors` maps each field name to a message a coordinator understands."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class VersionConflict(Exception):
    """A save was based on an older version of the record than the one stored now."""

    def __init__(self, entity: str, current: dict[str, Any], submitted: dict[str, Any]) -> None:
        super().__init__(f"{entity} was changed by someone else")
        self.entity = entity
        self.current = current
        self.submitted = submitted


class NotFound(Exception):
    """The record does not exist (or the user may not know that it does)."""
