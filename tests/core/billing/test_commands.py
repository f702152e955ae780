"""`valvomo billing months` and `valvomo billing export` in a real process on the test database."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from core.audit.tables import AuditEntry
from core.billing import services
from core.config import PROJECT_ROOT
from core.db import transaction
from core.plugins import BillingPeriod
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer, column, line_rows
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM


def run_cli(runtime: Runtime, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The command without plugins: a closed month's snapshot is all it needs."""
    config = tmp_path / "valvomo.toml"
    config.write_text("[plugins]\nenabled = []\n", encoding="utf-8")
    env = {
        **os.environ,
        "VALVOMO_CONFIG": str(config),
        "VALVOMO_DATABASE_URL": runtime.database.url,
        "VALVOMO_VAR_DIR": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "billing", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


async def close_march(runtime: Runtime, fake_service: FakeService) -> int:
    customer = await add_customer("Aino", "Virtanen")
    fake_service.bill(2025, 3, customer, "20")
    async with transaction():
        await services.close_period(
            SYSTEM, runtime.host, BillingPeriod(2025, 3), 1, BillingPeriod(2026, 1).first_day
        )
    return customer


async def test_export_of_a_closed_month_to_stdout_and_to_a_file(
    runtime: Runtime, fake_service: FakeService, tmp_path: Path
) -> None:
    customer = await close_march(runtime, fake_service)
    result = run_cli(runtime, tmp_path, "export", "3/2025")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig")), delimiter=";"))
    first = line_rows(rows)[0]
    assert first[column("Customer number")] == str(customer)
    assert first[column("Customer")] == "Virtanen Aino"
    assert first[column("Amount")] == "170,00"
    target = tmp_path / "march.xlsx"
    result = run_cli(runtime, tmp_path, "export", "2025-03", "--format", "xlsx", "-o", str(target))
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(target).worksheets[0]
    assert sheet.cell(row=2, column=column("Customer") + 1).value == "Virtanen Aino"
    exports = await AuditEntry.select(AuditEntry.actor_name).where(
        (AuditEntry.action == "export") & (AuditEntry.customer_id.is_null())
    )
    assert [e["actor_name"] for e in exports] == [
        "valvomo billing export 3/2025",
        "valvomo billing export 2025-03",
    ]


async def test_months_lists_status_and_bad_input_is_refused(
    runtime: Runtime, fake_service: FakeService, tmp_path: Path
) -> None:
    await close_march(runtime, fake_service)
    result = run_cli(runtime, tmp_path, "months", "--count", "30")
    assert result.returncode == 0, result.stderr
    assert "3/2025" in result.stdout.decode() and "closed" in result.stdout.decode()
    refused = run_cli(runtime, tmp_path, "export", "march")
    assert refused.returncode == 2
    assert b"2026-10" in refused.stdout
