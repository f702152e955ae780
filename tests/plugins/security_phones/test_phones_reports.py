"""Reports (pages and CSV), the read API, and ending the service when the customer dies."""

from __future__ import annotations

import datetime as dt

import httpx

from core.common.clock import HELSINKI
from core.customers.moves import record_move
from core.customers.services import get_customer
from core.customers.tables import Customer
from core.db import transaction
from core.tasks.tables import Task
from plugins.security_phones import reports
from plugins.security_phones.customer_service import end_on_death
from plugins.security_phones.tables import Alarm, AlarmCentre, AlarmVisit, Device, PhoneService
from tests.helpers import SYSTEM, make_user, sign_in
from tests.plugins.security_phones.factories import new_customer


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert reports.percentile(values, 0.9) == 9.0
    assert reports.percentile([5.0], 0.9) == 5.0
    assert reports.percentile(values, 0.5) == 5.0


async def add_visits(customer: int, minutes: list[int], month: int) -> None:
    centre = await AlarmCentre.select(AlarmCentre.id).first()
    if centre is None:
        centre = (
            await AlarmCentre.insert(
                AlarmCentre(name="C", token_hash="y" * 64, created_at=dt.datetime.now(dt.UTC))
            ).returning(AlarmCentre.id)
        )[0]
    for n, wait in enumerate(minutes):
        occurred = dt.datetime(2026, month, 10 + n, 12, 0, tzinfo=HELSINKI)
        alarm = (
            await Alarm.insert(
                Alarm(
                    centre=centre["id"],
                    centre_alarm_id=f"{customer}-{month}-{n}",
                    occurred_at=occurred,
                    customer=customer,
                    kind="fall",
                    visit_needed=True,
                )
            ).returning(Alarm.id)
        )[0]
        await AlarmVisit.insert(
            AlarmVisit(
                alarm=alarm["id"],
                dispatched_at=occurred,
                arrived_at=occurred + dt.timedelta(minutes=wait),
            )
        )


async def test_response_times_per_month_and_area() -> None:
    """Per month and the municipality the customer lived in at its end: a customer who moved
    from Seinäjoki to Lapua on 10.4.2026 is Seinäjoki's in March and Lapua's in April."""
    seinajoki, lapua = await new_customer("Seinäjoki"), await new_customer("Lapua")
    await add_visits(seinajoki, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], month=3)
    await add_visits(lapua, [15], month=3)
    await add_visits(seinajoki, [5], month=4)
    async with transaction():
        await record_move(seinajoki, "Seinäjoki", dt.date(2026, 4, 10))
        await Customer.update({Customer.municipality: "Lapua"}).where(Customer.id == seinajoki)
    table = await reports.response_times(2026)
    assert table.rows == [
        ("2026-03", "Lapua", 1, 15.0, 15.0),
        ("2026-03", "Seinäjoki", 10, 55.0, 90.0),
        ("2026-04", "Lapua", 1, 5.0, 5.0),
    ]
    alarms_table = await reports.alarms_by_kind_per_month(2026)
    assert alarms_table.rows[0][0] == "2026-03" and alarms_table.rows[0][-1] == 11


async def test_report_pages_and_csv(client: httpx.AsyncClient) -> None:
    customer = await new_customer("Kurikka")
    await PhoneService.insert(
        PhoneService(
            customer=customer, decision_date=dt.date(2026, 1, 1), start_date=dt.date(2026, 1, 1)
        )
    )
    await Device.insert(Device(serial_number="A", model="Essence", kind="base_unit"))
    await sign_in(client, await make_user("biller"))
    page = await client.get("/security-phones/reports?year=2026")
    assert page.status_code == 200 and "Kurikka" in page.text
    assert "<td>tammikuu 2026</td>" in page.text and "2026-01" not in page.text  # months in words
    # month by month of the year (its first month is past whatever the day of the run)
    csv_answer = await client.get("/security-phones/reports/csv/municipalities?year=2026")
    assert csv_answer.status_code == 200
    assert csv_answer.text.splitlines()[1] == "2026-01;Kurikka;1;1;0"
    devices = await client.get("/security-phones/reports/csv/devices")
    assert devices.text.splitlines()[1] == "Essence;in_stock;1"
    assert (await client.get("/security-phones/reports/csv/nothing")).status_code == 404
    assert (await client.get("/security-phones/devices/")).status_code == 403


async def test_read_api_logs_the_view(client: httpx.AsyncClient) -> None:
    customer = await new_customer()
    await PhoneService.insert(
        PhoneService(
            customer=customer, decision_date=dt.date(2026, 1, 1), start_date=dt.date(2026, 1, 1)
        )
    )
    await sign_in(client, await make_user("security_phone_coordinator"))
    answer = await client.get(f"/api/security-phones/customers/{customer}")
    assert answer.status_code == 200 and answer.json()["service"]["start_date"] == "2026-01-01"
    devices = await client.get("/api/security-phones/devices?status=in_stock")
    assert devices.status_code == 200 and devices.json()["total"] == 0
    assert (await client.get("/api/security-phones/customers/999999")).status_code == 404


async def test_death_ends_the_service_and_asks_to_collect_devices() -> None:
    customer = await new_customer()
    await PhoneService.insert(
        PhoneService(
            customer=customer, decision_date=dt.date(2026, 1, 1), start_date=dt.date(2026, 1, 1)
        )
    )
    async with transaction():
        await end_on_death(SYSTEM, customer, dt.date(2026, 5, 3))
    service = await PhoneService.select().where(PhoneService.customer == customer).first()
    assert service["end_date"] == dt.date(2026, 5, 3)
    assert await Task.count().where(Task.customer == customer) == 1
    assert (await get_customer(customer)).id == customer
