"""Importing standing orders from the old spreadsheets: good files, bad rows, XLSX, partial."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

from core.common.clock import now
from core.common.spreadsheets import read_rows
from core.customers.tables import Customer
from core.db import transaction
from core.imports import numbered
from core.web.runtime import Runtime
from plugins.meals import places
from plugins.meals.importer import check_rows, write_services
from plugins.meals.plans import load_plan
from plugins.meals.schedule import planned_delivery
from plugins.meals.settings import current
from plugins.meals.tables import MealOrderLine, MealService
from tests.helpers import SYSTEM, run_cli

SAMPLE = Path(__file__).parents[3] / "plugins" / "meals" / "samples" / "meals_import_sample.csv"


async def register(*codes: str) -> None:
    moment = now()
    await Customer.insert(*[
        Customer(identity_code=code, first_name="Aino", last_name=f"Tuonti{n}",
                 search_name=f"tuonti{n} aino", municipality="Seinäjoki",
                 created_at=moment, updated_at=moment)
        for n, code in enumerate(codes)
    ])  # fmt: skip
    async with transaction():
        for kitchen, route in (("Seinäjoki", "Seinäjoki 1"), ("Lapua", "Lapua 1")):
            kitchen_id = await places.create_kitchen(SYSTEM, kitchen)
            await places.create_route(SYSTEM, kitchen_id, route)


async def test_sample_file_imports_two_services_with_derived_deliveries() -> None:
    await register("010150-123A", "020245-4567")
    report = await check_rows(numbered(read_rows(SAMPLE)), current())
    assert report.errors == []
    async with transaction():
        await write_services(SYSTEM, report.services)
    assert await MealService.count() == 2
    assert await MealOrderLine.count() == 7 + 5 + 3
    first = (await MealService.select(MealService.id).order_by(MealService.id).first())["id"]
    plan = await load_plan(first)
    sunday = dt.date(2026, 1, 11)
    assert planned_delivery(plan, sunday) == dt.date(2026, 1, 8)  # Thursday carries Sunday


async def test_bad_rows_are_reported_by_row_and_column(tmp_path: Path) -> None:
    await register("010150-123A")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "identity_code,kitchen,route,start_date,diet,product,mon,tue,delivery_days\n"
        "010150-123A,Seinäjoki,Seinäjoki 1,2026-01-05,normal,lunch,1,1,mon\n"
        "010150-123A,Nowhere,Seinäjoki 1,2026-01-05,normal,lunch,1,1,mon\n"
        "030355-7890,Lapua,Seinäjoki 1,2026-13-05,normal,lunch,99,1,funday\n",
        encoding="utf-8",
    )
    report = await check_rows(numbered(read_rows(bad)), current())
    texts = [str(e) for e in report.errors]
    assert "rivi 3, kitchen: tuntematon keittiö 'Nowhere'" in texts  # Finnish by default
    found = {(e.row, e.column) for e in report.errors}
    for column in ("identity_code", "route", "start_date", "mon", "delivery_days"):
        assert (4, column) in found
    # Row 2 is valid, but its customer's row 3 is not: --partial writes neither.
    assert "rivi 2: ei tuotu: saman asiakkaan toisella rivillä on virheitä" in texts
    assert report.services == []


async def test_rows_of_one_customer_must_agree(tmp_path: Path) -> None:
    await register("010150-123A", "020245-4567")
    path = tmp_path / "conflicts.csv"
    path.write_text(
        "identity_code,kitchen,route,start_date,diet,product,mon,tue,wed,delivery_days\n"
        "010150-123A,Seinäjoki,Seinäjoki 1,2026-01-05,normal,lunch,1,1,1,mon\n"
        "010150-123A,Seinäjoki,Seinäjoki 1,2026-01-05,lactose_free,evening_meal,1,0,0,mon\n"
        "010150-123A,Seinäjoki,Seinäjoki 1,2026-01-05,normal,lunch,0,0,2,mon\n"
        "010150-123A,Seinäjoki,Seinäjoki 1,2026-01-05,normal,evening_meal,0,0,1,wed\n"
        "020245-4567,Lapua,Lapua 1,2026-01-05,normal,lunch,1,0,0,mon\n",
        encoding="utf-8",
    )
    report = await check_rows(numbered(read_rows(path)), current())
    texts = [str(e) for e in report.errors]
    assert "rivi 3, diet: eri kuin saman asiakkaan rivillä 2" in texts
    assert "rivi 4, product: 'lunch' on jo saman asiakkaan rivillä 2" in texts
    assert "rivi 5, delivery_days: eri kuin saman asiakkaan rivillä 2" in texts
    assert [s.rows for s in report.services] == [[6]]  # the other customer only


async def test_unreadable_files_get_a_message_not_a_traceback(
    tmp_path: Path, runtime: Runtime
) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    one_column = tmp_path / "one.csv"
    one_column.write_text("identity_code\n010150-123A\n", encoding="utf-8")
    for path in (broken, one_column):
        result = run_cli(runtime, "import", "meals", str(path))
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"Tiedostoa {path.name} ei voi lukea" in result.stdout
        assert "Traceback" not in result.stderr


async def test_xlsx_files_are_read_like_csv(tmp_path: Path) -> None:
    await register("010150-123A", "020245-4567")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in SAMPLE.read_text(encoding="utf-8").splitlines():
        sheet.append(row.split(";"))
    path = tmp_path / "orders.xlsx"
    workbook.save(path)
    report = await check_rows(numbered(read_rows(path)), current())
    assert report.errors == [] and len(report.services) == 2


async def test_import_command_writes_nothing_unless_partial(
    tmp_path: Path, runtime: Runtime
) -> None:
    await register("010150-123A", "020245-4567")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "identity_code,kitchen,route,start_date,diet,product,mon,tue,delivery_days\n"
        "010150-123A,Seinäjoki,Seinäjoki 1,2026-01-05,normal,lunch,1,1,mon\n"
        "020245-4567,Nowhere,Seinäjoki 1,2026-01-05,normal,lunch,1,1,mon\n",
        encoding="utf-8",
    )
    dry = run_cli(runtime, "import", "meals", str(bad), "--dry-run")
    assert dry.returncode == 1 and "rivi 3, kitchen" in dry.stdout and "Koeajo" in dry.stdout
    refused = run_cli(runtime, "import", "meals", str(bad))
    assert refused.returncode == 1 and "Mitään ei tuotu" in refused.stdout
    assert await MealService.count() == 0
    partial = run_cli(runtime, "import", "meals", str(bad), "--partial")
    assert "ateriapalvelut: 1 uutta" in partial.stdout, partial.stdout + partial.stderr
    assert "Left out" not in partial.stdout and "rivit 3" in partial.stdout
    assert await MealService.count() == 1
