"""`valvomo import alarms FILE --centre NAME` in its own process against the test database."""

from __future__ import annotations

import subprocess
from pathlib import Path

from core.web.runtime import Runtime
from plugins.security_phones.tables import Alarm, Device
from tests.helpers import run_cli
from tests.plugins.security_phones.factories import new_centre, new_customer

ROWS = (
    "alarm_id,time,device_serial,centre_customer_id,kind,detail,outcome,visit_needed\n"
    "C1,2026-03-01T10:00:00+02:00,S1,,button,,Puhelu,no\n"
    "C2,2026-03-01T11:00:00+02:00,S1,,fall,,Apu,yes\n"
)


def valvomo(runtime: Runtime, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(runtime, *args, config='[plugins]\nenabled = ["security_phones"]\n')


async def test_import_command_is_idempotent_and_refuses_bad_files(
    runtime: Runtime, tmp_path: Path
) -> None:
    await new_centre("Keskus")
    customer = await new_customer()
    await Device.insert(Device(serial_number="S1", model="M", kind="base_unit", customer=customer))
    good = tmp_path / "alarms.csv"
    good.write_text(ROWS, encoding="utf-8")
    first = valvomo(runtime, tmp_path, "import", "alarms", str(good), "--centre", "Keskus")
    assert first.returncode == 0, first.stderr
    assert "2 new alarms" in first.stdout
    again = valvomo(runtime, tmp_path, "import", "alarms", str(good), "--centre", "Keskus")
    assert "0 new alarms, 2 already imported" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(ROWS + "C3,someday,S1,,button,,,no\n", encoding="utf-8")
    refused = valvomo(runtime, tmp_path, "import", "alarms", str(bad), "--centre", "Keskus")
    assert refused.returncode == 1 and "row 4: time" in refused.stdout
    unknown = valvomo(runtime, tmp_path, "import", "alarms", str(good), "--centre", "Nobody")
    assert unknown.returncode == 1
    assert await Alarm.count() == 2
