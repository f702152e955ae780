"""The inbox's form, declared on core's form layer: the page and the task API complete a task
with the same rules and messages."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_
from core.web.forms import Message


class OutcomeForm(msgspec.Struct):
    """What was decided or done, as the person completing a task writes it (may be empty)."""

    outcome: Annotated[str, Meta(max_length=2000), Message(N_("At most 2,000 characters."))] = ""
