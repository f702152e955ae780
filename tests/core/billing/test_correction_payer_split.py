"""A correction to a closed month in which the payer changed mid-month: each corrected day goes
to the payer in force on that day, checked line by line (both databases).

Aino Virtanen has lunches every day of October 2025 at 6,80 € and deliveries on 1., 6., 13., 20.
and 27.10. at 2,90 €; her guardian Laine Liisa pays from 16.10. October is closed, then changed:
her own days lose the lunches of 3.–4.10. and get a second lunch on 5.10., the guardian's days
get a second lunch on 20.10. and lose the one of 28.10., and the delivery of 6.10. (hers) moves
to 16.10. (the guardian's). The delivery line's quantity and amount are unchanged in total, but
one delivery has moved from her invoice to the guardian's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl

from core.billing import exports, invoices, services
from core.customers import payers
from core.db import transaction
from core.i18n import gettext
from core.plugins import BillingLine, BillingPeriod
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer, column
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM

OCT, NOV, DEC = BillingPeriod(2025, 10), BillingPeriod(2025, 11), BillingPeriod(2025, 12)
GUARDIAN = {
    "valid_from": "16.10.2025", "name": "Laine Liisa", "relationship": "edunvalvoja",
    "street_address": "Tie 1", "postal_code": "60100", "post_office": "Seinäjoki",
}  # fmt: skip


def lunches(customer: int, days: str) -> BillingLine:
    quantity = sum(int(d.partition(":")[2] or 1) for d in days.split(","))
    return BillingLine(customer, "meals", "lunch", "Lunch", Decimal(quantity), Decimal("6.8"),
                       days=days)  # fmt: skip


def deliveries(customer: int, days: str) -> BillingLine:
    return BillingLine(customer, "meals", "delivery", "Deliveries", Decimal(len(days.split(","))),
                       Decimal("2.9"), days=days)  # fmt: skip


def days_of(first: int, last: int, *, change: dict[int, int] | None = None) -> str:
    counts = {d: 1 for d in range(first, last + 1)} | (change or {})
    return ",".join(str(d) if n == 1 else f"{d}:{n}" for d, n in sorted(counts.items()) if n)


def lines_of(month: invoices.InvoiceMonth) -> list[tuple[object, ...]]:
    """(payer, product, quantity, unit price, amount, days, detail, corrected month) per line."""
    return [
        (c.payer.name, i.line.product, i.line.quantity, i.line.unit_price, i.line.amount,
         i.line.days, i.line.detail, i.line.corrects)
        for c in month.customers
        for i in c.lines
    ]  # fmt: skip


async def test_a_correction_goes_to_the_payer_of_each_corrected_day(
    runtime: Runtime, fake_service: FakeService
) -> None:
    aino = await add_customer("Aino", "Virtanen")
    async with transaction():
        await payers.add_payer(SYSTEM, aino, GUARDIAN, None)
    fake_service.lines[(2025, 10)] = [lunches(aino, days_of(1, 31)),
                                      deliveries(aino, "1,6,13,20,27")]  # fmt: skip
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, OCT, 1, dt.date(2025, 11, 1))
    october = await invoices.invoice_month(
        await services.month_bill(runtime.host, OCT), with_identity_codes=False
    )
    lunch, delivery = gettext("lunch"), gettext("delivery")
    price, fee = Decimal("6.8"), Decimal("2.9")
    assert lines_of(october) == [
        ("Laine Liisa", "delivery", 2, fee, Decimal("5.80"), "20,27", "20.10., 27.10.", None),
        ("Laine Liisa", "lunch", 16, price, Decimal("108.80"), days_of(16, 31), "16.–31.10.",
         None),
        ("Virtanen Aino", "delivery", 3, fee, Decimal("8.70"), "1,6,13", "1.10., 6.10., 13.10.",
         None),
        ("Virtanen Aino", "lunch", 15, price, Decimal("102.00"), days_of(1, 15), "1.–15.10.",
         None),
    ]  # fmt: skip

    fake_service.lines[(2025, 10)] = [
        lunches(aino, days_of(1, 31, change={3: 0, 4: 0, 5: 2, 20: 2, 28: 0})),
        deliveries(aino, "1,13,16,20,27"),
    ]
    fake_service.lines[(2025, 11)] = [lunches(aino, days_of(1, 30))]
    bill = await services.month_bill(runtime.host, NOV)
    november = await invoices.invoice_month(bill, with_identity_codes=False)
    assert lines_of(november) == [
        ("Laine Liisa", "lunch", 30, price, Decimal("204.00"), days_of(1, 30), "", None),
        ("Laine Liisa", "delivery", 1, fee, Decimal("2.90"), "16", f"+1 {delivery} 16.10.", OCT),
        ("Virtanen Aino", "delivery", -1, fee, Decimal("-2.90"), "6:-1",
         f"\u22121 {delivery} 6.10.", OCT),
        ("Virtanen Aino", "lunch", -1, price, Decimal("-6.80"), "3:-1,4:-1,5",
         f"+1 {lunch} 5.10.; \u22122 {lunch} 3.–4.10.", OCT),
    ]  # fmt: skip
    # The guardian's lunch moved from 28.10. to 20.10.: 0 €, on the page (the whole line, with
    # her own days) but in no invoice file.
    assert [ln.days for ln in bill.lines if ln.corrects and ln.product == "lunch"] == [
        "3:-1,4:-1,5,20,28:-1"
    ]
    guardian, own = november.customers
    assert (guardian.amount, own.amount) == (Decimal("206.90"), Decimal("-9.70"))
    assert november.total == bill.total_amount == Decimal("197.20")

    # The CSV a biller sends on: the same lines, each payer's total, hers flagged as a credit;
    # the delivery's two parts say that only days moved (0 € for Aino's bills in all).
    rows = list(csv.reader(io.StringIO(exports.to_csv(november).decode("utf-8-sig")),
                           delimiter=";"))  # fmt: skip
    picked = [
        (r[column("Payer")], r[column("Quantity")], r[column("Amount")],
         r[column("Correction to month")], r[column("Correction kind")], r[column("Note")] != "")
        for r in rows[1:]
    ]  # fmt: skip
    moved, changed = gettext("Days moved, total unchanged"), gettext("Quantity or amount changed")
    assert picked == [
        ("Laine Liisa", "30", "204,00", "", "", False),
        ("Laine Liisa", "1", "2,90", "10/2025", moved, False),
        ("Laine Liisa", "", "206,90", "", "", False),
        ("Virtanen Aino", "-1", "-2,90", "10/2025", moved, False),
        ("Virtanen Aino", "-1", "-6,80", "10/2025", changed, False),
        ("Virtanen Aino", "", "-9,70", "", "", True),
        ("", "", "197,20", "", "", False),
    ]
    # The same flag for the invoicing integration, in JSON lines and the API's month.
    records = [json.loads(r) for r in exports.to_jsonl(november).decode("utf-8").splitlines()]
    assert [
        (r["payer"]["name"], ln["product"], ln["amount"], ln["correction_kind"])
        for r in records if r["type"] == "customer" for ln in r["lines"]
    ] == [
        ("Laine Liisa", "lunch", "204.00", None),
        ("Laine Liisa", "delivery", "2.90", "moved_days"),
        ("Virtanen Aino", "delivery", "-2.90", "moved_days"),
        ("Virtanen Aino", "lunch", "-6.80", "change"),
    ]  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(november))).active
    kinds = [row[column("Correction kind")] for row in sheet.iter_rows(values_only=True)]
    assert kinds[1:6] == [None, moved, None, moved, changed]

    # Closing November settles the corrections: December has none.
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, NOV, 1, dt.date(2025, 12, 1))
    assert (await services.month_bill(runtime.host, DEC)).lines == []
