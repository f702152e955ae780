"""Every core invoice format byte for byte against golden files, so that making the writers faster
never changes a byte of what a region's invoicing system reads.

The month has what makes the formats hard: a payer changing mid-month (the customer listed
under two payers), corrections of a closed month split between those payers, a fee decision
from mid-month, a monthly fee without days, a unit price with four decimals, a fractional
quantity, a negative customer total, text a spreadsheet would run as a formula, leading spaces
and a control character. Customer ids differ between databases and runs, so the golden files
name them as `{aino}` …; everything else is compared as is. The XLSX is compared member by
member, except `docProps/core.xml` (openpyxl writes the time of writing into it).

After a deliberate change of a format, rewrite the files with
`VALVOMO_UPDATE_GOLDEN=1 .venv/bin/pytest tests/core/billing/test_export_golden.py` and review
the diff."""

from __future__ import annotations

import io
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from core.billing import fees, invoices, services
from core.billing.exports import CORE_FORMATS
from core.customers import payers
from core.customers.tables import Customer
from core.db import transaction
from core.plugins import BillingLine, BillingPeriod
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM

GOLDEN = Path(__file__).parent / "golden"
OCT, NOV = BillingPeriod(2025, 10), BillingPeriod(2025, 11)
GUARDIAN = {
    "valid_from": "16.10.2025", "name": "Laine Liisa", "relationship": "edunvalvoja",
    "street_address": "Tie 1", "postal_code": "60100", "post_office": "Seinäjoki",
}  # fmt: skip


def line(
    customer: int, product: str, quantity: str, price: str, days: str = "", **kw: str
) -> BillingLine:
    return BillingLine(customer, "meals", product, kw.pop("description", product.title()),
                       Decimal(quantity), Decimal(price), days=days, detail=kw.pop("detail", days),
                       **kw)  # fmt: skip


def every(first: int, last: int, *, skip: tuple[int, ...] = ()) -> str:
    return ",".join(str(d) for d in range(first, last + 1) if d not in skip)


async def region(fake_service: FakeService, runtime: Runtime) -> dict[str, int]:
    """Four customers; October closed, then changed; November open."""
    ids = {
        "aino": await add_customer("Aino", "Virtanen"),
        "eero": await add_customer("Eero", "Aalto"),
        "kalle": await add_customer("Kalle", "=Hakkeri"),
        "maija": await add_customer("Maija", "Öhman"),
    }
    for n, customer_id in enumerate(ids.values()):
        await Customer.update({
            Customer.identity_code: f"0101{50 + n}-12{n}A", Customer.external_number: f"A-{n}",
            Customer.street_address: f"Katu {n}", Customer.postal_code: "60100",
        }).where(Customer.id == customer_id)  # fmt: skip
    async with transaction():
        await payers.add_payer(SYSTEM, ids["aino"], GUARDIAN, None)
        await fees.add_decision(SYSTEM, ids["eero"], {
            "kind": "reduction", "percent": "30", "valid_from": "10.11.2025", "product": "lunch",
            "basis": "tulot", "decided_by": "Päättäjä Pekka",
        })  # fmt: skip
    aino, eero, kalle, maija = ids.values()
    fake_service.lines[(2025, 10)] = [
        line(aino, "lunch", "31", "6.8", every(1, 31)),
        line(aino, "delivery", "5", "2.9", "1,6,13,20,27", description="Deliveries"),
        line(maija, "lunch", "3", "8.3456", "2,3,4:1"),
    ]
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, OCT, 1, NOV.last_day)
    # After closing: Aino's 3.–4.10. cancelled (hers), 20.10. two lunches and no delivery (the
    # guardian's); Maija's October no longer billed at all.
    fake_service.lines[(2025, 10)] = [
        line(aino, "lunch", "30", "6.8", every(1, 31, skip=(3, 4)).replace(",20,", ",20:2,")),
        line(aino, "delivery", "4", "2.9", "1,6,13,27", description="Deliveries"),
    ]
    fake_service.lines[(2025, 11)] = [
        line(aino, "lunch", "30", "6.8", every(1, 30)),
        line(eero, "lunch", "20", "6.8", every(1, 20)),
        line(eero, "monthly_fee", "0.5", "12.5", description="Monthly fee", detail="half a month"),
        line(kalle, "lunch", "2", "6.8", "1,2", description="=HYPERLINK(\"x\")",
             detail="+1 extra\x01"),
        line(kalle, "refund", "1", "-20", description=" spaced ", detail="-refund"),
        line(maija, "lunch", "1", "8.3456", "5", detail="@5.11."),
    ]  # fmt: skip
    return ids


def tokenised(content: str, ids: dict[str, int]) -> str:
    by_id = {str(i): "{" + name + "}" for name, i in ids.items()}
    return re.sub(r'"customer_id":(\d+)', lambda m: f'"customer_id":{by_id[m[1]]}', content)


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return {n: package.read(n) for n in package.namelist() if n != "docProps/core.xml"}


async def test_every_format_is_byte_for_byte_the_golden_file(
    runtime: Runtime, fake_service: FakeService
) -> None:
    ids = await region(fake_service, runtime)
    update = os.environ.get("VALVOMO_UPDATE_GOLDEN") == "1"
    GOLDEN.mkdir(exist_ok=True)
    for period in (OCT, NOV):
        bill = await services.month_bill(runtime.host, period)
        month = await invoices.invoice_month(bill, with_identity_codes=True)
        for file_format in CORE_FORMATS:
            content = file_format.write(month)
            name = f"{period.year}-{period.month:02d}.{file_format.extension}"
            if file_format.code == "xlsx":
                for member, data in members(content).items():
                    path = GOLDEN / f"{name}.{member.replace('/', '_')}"
                    if update:
                        path.write_bytes(data)
                    assert data == path.read_bytes(), f"{name} {member}"
                listed = "\n".join(members(content)) + "\n"
                if update:
                    (GOLDEN / f"{name}.members").write_text(listed)
                assert listed == (GOLDEN / f"{name}.members").read_text()
                continue
            text = tokenised(content.decode("utf-8"), ids)
            if update:
                (GOLDEN / name).write_bytes(text.encode("utf-8"))
            assert text.encode("utf-8") == (GOLDEN / name).read_bytes(), name
