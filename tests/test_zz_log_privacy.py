"""Runs after the other tests: the logs of the whole run hold nothing shaped like an identity
code (the captured file is searched again when the session ends, after any later test)."""

from __future__ import annotations

import logging

import pytest

from core.common.log_privacy import IDENTITY_CODE
from tests.conftest import CAPTURED_LOG


@pytest.mark.nodb
def test_no_identity_code_in_the_logs_of_the_run() -> None:
    assert CAPTURED_LOG, "the session's log capture is not installed"
    logging.getLogger("valvomo.test").warning("end of run marker")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = CAPTURED_LOG[0].read_text(encoding="utf-8")
    assert "end of run marker" in text
    assert IDENTITY_CODE.findall(text) == []
