"""Go-live import: the bundled samples into an empty database and into a fresh demo, a second
run changing nothing, the combined one-row-per-customer sheet, and bad rows refused with the
row and column named (in Finnish) and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

from core.audit.sealing import verify_chain
from core.audit.tables import AuditEntry
from core.common.spreadsheets import read_rows
from core.config import PROJECT_ROOT
from core.customers import importer
from core.customers.tables import Customer, CustomerPayer
from core.db import transaction
from core.demo import load_demo
from core.imports import numbered
from core.web.runtime import Runtime
from plugins.meals.tables import MealService
from tests.helpers import SYSTEM, run_cli

CUSTOMERS = PROJECT_ROOT / "core/customers/samples/customers_import_sample.csv"
MEALS = PROJECT_ROOT / "plugins/meals/samples/meals_import_sample.csv"
SHEET = PROJECT_ROOT / "plugins/meals/samples/go_live_sheet_sample.csv"
HEADER = CUSTOMERS.read_text(encoding="utf-8").splitlines()[0]
AINO = "010150-123A;Aino;Mäkinen;Koulukatu 12;60100;Seinäjoki;;fi;;;;;;"


async def test_samples_import_into_an_empty_database_and_a_second_run_changes_nothing(
    runtime: Runtime,
) -> None:
    first = run_cli(runtime, "import", "customers", str(CUSTOMERS))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "asiakkaat: 2 uutta, 0 muuttunutta, 0 ennallaan" in first.stdout
    eero = await Customer.select().where(Customer.identity_code == "020245-4567").first()
    assert eero["external_number"] == "LPA-2044"
    payer = await CustomerPayer.select().where(CustomerPayer.customer == eero["id"]).first()
    assert (payer["name"], payer["relationship"]) == ("Lehtonen Kaisa", "edunvalvoja")
    again = run_cli(runtime, "import", "customers", str(CUSTOMERS))
    assert again.returncode == 0 and "Mikään ei muuttunut" in again.stdout, again.stdout
    for kitchen, route in (("Seinäjoki", "Seinäjoki 1"), ("Lapua", "Lapua 1")):
        assert run_cli(runtime, "meals", "add-kitchen", kitchen).returncode == 0
        assert run_cli(runtime, "meals", "add-route", kitchen, route).returncode == 0
    meals = run_cli(runtime, "import", "meals", str(MEALS))
    assert meals.returncode == 0, meals.stdout + meals.stderr
    assert "ateriapalvelut: 2 uutta" in meals.stdout
    audited = await AuditEntry.count()
    meals_again = run_cli(runtime, "import", "meals", str(MEALS))
    assert meals_again.returncode == 0, meals_again.stdout
    assert "Mikään ei muuttunut" in meals_again.stdout
    assert await AuditEntry.count() == audited  # nothing written, not even an audit entry


async def check(tmp_path: Path, *lines: str) -> importer.CustomerImport:
    path = tmp_path / "customers.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return await importer.check_rows(numbered(read_rows(path)))


async def test_an_update_changes_only_what_differs(tmp_path: Path) -> None:
    async with transaction():
        await importer.write(SYSTEM, await check(tmp_path, AINO))
    moved = AINO.replace("Koulukatu 12", "Asemakatu 1")
    report = await check(tmp_path, moved)
    assert [values["street_address"] for _, values in report.changed] == ["Asemakatu 1"]
    async with transaction():
        await importer.write(SYSTEM, report)
    stored = await Customer.select().first()
    assert stored["street_address"] == "Asemakatu 1" and stored["version"] == 2
    imported = (
        await AuditEntry.select().where(AuditEntry.action == "import").order_by(AuditEntry.id)
    )
    after = imported[-1]["after"]
    assert (json.loads(after) if isinstance(after, str) else after) == {
        "street_address": "Asemakatu 1"
    }
    assert not (await verify_chain())[1]  # the bulk-written entries carry valid MACs
    assert (await check(tmp_path, moved)).unchanged == 1


async def test_bad_rows_name_the_row_and_column(tmp_path: Path) -> None:
    async with transaction():
        await importer.write(SYSTEM, await check(tmp_path, AINO))
    report = await check(
        tmp_path,
        "010150-123B;Aino;Mäkinen;;;Seinäjoki;;;;;;;;",  # wrong check character
        "010150-123A;Eero;Mäkinen;;;Seinäjoki;;;;;;;;",  # another person's code
        "020245-4567;Eero;Lehtonen;Kauppakatu 3;62100;Lapua;;;;;;;;",
        "020245-4567;Eero;Lehtonen;Kauppakatu 4;62100;Lapua;;;;;;;;",  # same, different data
        "131052-308T;Liisa;Laine;Tie 1;60100;Seinäjoki;;;;Laine Pekka;poika;;;",  # no address
    )
    texts = [str(e) for e in report.errors]
    assert any(e.startswith("rivi 2, identity_code: Henkilötunnuksen") for e in texts), texts
    assert any(e.startswith("rivi 3, identity_code: kuuluu rekisterissä") for e in texts)
    assert "rivi 5, identity_code: sama asiakas kuin rivillä 4, mutta eri tiedoin" in texts
    assert any(e.startswith("rivi 6, payer_street_address") for e in texts)
    assert not report.new and not report.changed


async def test_bundled_samples_import_into_a_fresh_demo(runtime: Runtime) -> None:
    """`valvomo demo` then the go-live samples: the demo's kitchens and routes take them."""
    await load_demo(runtime, customers=40)
    customers = await Customer.count()
    services = await MealService.count()
    for args in (("customers", CUSTOMERS), ("meals", MEALS), ("sheet", SHEET)):
        done = run_cli(runtime, "import", args[0], str(args[1]))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Mikään ei muuttunut" not in done.stdout
    assert await Customer.count() == customers + 2 + 3
    assert await MealService.count() == services + 2 + 2
    audited = await AuditEntry.count()
    again = run_cli(runtime, "import", str(SHEET))  # `valvomo import FILE` is the sheet
    assert again.returncode == 0 and "Mikään ei muuttunut" in again.stdout, again.stdout
    assert await AuditEntry.count() == audited


async def test_the_combined_sheet_leaves_out_whole_customers(
    tmp_path: Path, runtime: Runtime
) -> None:
    """A customer whose meal columns are wrong is not created either: nothing half-written."""
    lines = SHEET.read_text(encoding="utf-8").splitlines()
    for kitchen, route in (("Seinäjoki", "Seinäjoki 1"), ("Lapua", "Lapua 1")):
        assert run_cli(runtime, "meals", "add-kitchen", kitchen).returncode == 0
        assert run_cli(runtime, "meals", "add-route", kitchen, route).returncode == 0
    bad = tmp_path / "sheet.csv"
    bad.write_text(
        "\n".join([lines[0], lines[1].replace(";Seinäjoki 1;", ";Ei ole;"), *lines[2:]]) + "\n",
        encoding="utf-8",
    )
    dry = run_cli(runtime, "import", "--dry-run", str(bad))
    assert dry.returncode == 1 and "rivi 2, route: keittiöllä 'Seinäjoki'" in dry.stdout
    assert "Koeajo" in dry.stdout and await Customer.count() == 0
    refused = run_cli(runtime, "import", str(bad))
    assert "Mitään ei tuotu" in refused.stdout and await Customer.count() == 0
    partial = run_cli(runtime, "import", "--partial", str(bad))
    assert partial.returncode == 1, partial.stdout + partial.stderr
    assert "rivit 2, 3" in partial.stdout  # both rows of the customer with the bad route
    codes = {r["identity_code"] for r in await Customer.select(Customer.identity_code)}
    assert codes == {"080842-123D", "221130-081D"}
    assert await MealService.count() == 1


async def test_a_changed_payer_starts_today_and_the_old_one_ends_yesterday(
    tmp_path: Path,
) -> None:
    guardian = AINO[: -len(";;;;;")] + ";Mäkinen Pekka;edunvalvoja;Tie 2;60100;Seinäjoki"
    async with transaction():
        await importer.write(SYSTEM, await check(tmp_path, guardian))
    other = guardian.replace("Mäkinen Pekka", "Laine Liisa")
    report = await check(tmp_path, other)
    assert len(report.changed) == 1
    async with transaction():
        await importer.write(SYSTEM, report)
    rows = await CustomerPayer.select().order_by(CustomerPayer.valid_from)
    assert [(r["name"], r["valid_to"] is None) for r in rows] == [
        ("Mäkinen Pekka", False),
        ("Laine Liisa", True),
    ]
    assert (await check(tmp_path, other)).unchanged == 1  # idempotent against today's payer
