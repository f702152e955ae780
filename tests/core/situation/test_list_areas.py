"""The lists behind a figure of a municipality or a kitchen or unit show that area only, through
core's `ListArea`, and every link the page shows opens for the role that sees it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx

from core.customers.areas import ListArea, customers_living_in, list_area
from core.customers.moves import record_move
from core.customers.tables import Customer
from core.db import transaction
from core.identity.tables import StaffRole, StaffUser, UserRole
from core.plugins import BillingPeriod
from core.situation.services import Selection, declared_metrics, picture
from core.web.runtime import Runtime
from plugins.booking.metrics import month_appointments
from plugins.booking.tables import ServiceUnit
from plugins.meals import reports
from plugins.meals.services import ServiceFilter, list_services
from plugins.meals.settings import current
from plugins.meals.tables import MealService
from plugins.security_phones import reports as phone_reports
from plugins.security_phones import visits
from plugins.security_phones.tables import Alarm, PhoneService, ServiceCentreChange
from tests.core.situation.scenario import (
    MARCH,
    at,
    bookings_march,
    compute,
    meals_march,
    phones_march,
)
from tests.helpers import make_user, sign_in
from tests.plugins.meals.conftest import Region, active_service
from tests.plugins.security_phones.factories import new_centre, new_customer

MARCH_QUERY = "start=3/2026&end=3/2026"


async def lapua_customer() -> int:
    """A Lapua customer with a meal service from 2.3.2026, a security phone of another centre
    and one alarm in March, beside the Seinäjoki customers of the scenarios."""
    first = await MealService.select(MealService.kitchen, MealService.route).first()
    region = Region(first["kitchen"], first["route"], first["kitchen"], first["route"])
    customer = await new_customer("Lapua", last_name="Muualla")
    await active_service(region, dt.date(2026, 3, 2), customer=customer)
    centre, _ = await new_centre("Centre B")
    async with transaction():
        start = dt.date(2026, 1, 1)
        await PhoneService.insert(
            PhoneService(customer=customer, decision_date=start, start_date=start, centre=centre)
        )
        await Alarm.insert(
            Alarm(
                centre=centre,
                centre_alarm_id="L1",
                occurred_at=at(7, 12),
                customer=customer,
                kind="button",
                visit_needed=False,
            )
        )
    return customer


async def test_lists_narrow_to_the_area_as_the_figures_count_it(runtime: Runtime) -> None:
    await meals_march()
    await phones_march()
    await bookings_march()
    lapua = await lapua_customer()
    municipalities = runtime.settings.municipalities
    assert await customers_living_in(list_area(municipalities, "Lapua"), MARCH.last_day) == [lapua]
    assert await customers_living_in(list_area(municipalities, "Atlantis"), MARCH.last_day) == []
    assert await customers_living_in(ListArea(unit="Centre B"), MARCH.last_day) is None

    async def alarms(area: ListArea) -> int:
        return (await visits.list_alarms(month=MARCH, area=area)).total

    assert await alarms(ListArea()) == 4
    assert await alarms(ListArea("Lapua")) == 1
    assert await alarms(ListArea("Seinäjoki")) == 3
    assert await alarms(ListArea(unit="Centre B")) == 1
    assert await alarms(list_area(municipalities, "Atlantis")) == 0

    deviations = await reports.deviations(MARCH, ListArea("Lapua"))
    assert {r["customer_id"] for r in deviations} == {lapua}
    assert len(await reports.deviations(MARCH, ListArea("Seinäjoki"))) == len(
        await reports.deviations(MARCH)
    ) - len(deviations)
    kitchen = (await MealService.select(MealService.kitchen.name).first())["kitchen.name"]
    assert kitchen and len(await reports.deviations(MARCH, ListArea(unit=kitchen))) == len(
        await reports.deviations(MARCH)
    )

    # the meal services of the month behind its customers, by the municipality at its end
    async def meal_services(municipality: str, month: BillingPeriod) -> int:
        found = ServiceFilter(municipality=municipality, month=month.first_day)
        return (await list_services(found, 1, 50))[0]

    assert await meal_services("Lapua", MARCH) == 1
    assert await meal_services("Seinäjoki", MARCH) == 5
    assert await meal_services("Lapua", BillingPeriod(2026, 2)) == 0
    assert await meal_services("Seinäjoki", BillingPeriod(2026, 2)) == 2

    transport = await reports.transport(MARCH, current(), ListArea("Lapua"))
    assert sum(r["customers"] for r in transport) == 1
    assert await reports.transport(MARCH, current(), ListArea(unit="No such kitchen")) == []

    # the security phones' reports of the year, behind phone customers, started and ended
    async def alarm_total(area: ListArea) -> int:
        table = await phone_reports.alarms_by_kind_per_month(2026, area)
        return sum(row[-1] for row in table.rows)

    assert await alarm_total(ListArea()) == 4
    assert await alarm_total(ListArea("Lapua")) == 1
    assert await alarm_total(ListArea("Seinäjoki")) == 3
    assert await alarm_total(ListArea(unit="Centre B")) == 1
    assert await alarm_total(list_area(municipalities, "Atlantis")) == 0

    async def customers(area: ListArea) -> list[tuple[Any, ...]]:
        return (await phone_reports.customers_per_municipality(2026, MARCH.last_day, area)).rows

    lapua_rows = [("2026-01", "Lapua", 1, 1, 0), ("2026-02", "Lapua", 1, 0, 0)]
    lapua_rows.append(("2026-03", "Lapua", 1, 0, 0))
    assert await customers(ListArea("Lapua")) == lapua_rows
    assert await customers(ListArea(unit="Centre B")) == lapua_rows
    assert await customers(ListArea("Seinäjoki")) == [
        ("2026-01", "Seinäjoki", 1, 0, 0),
        ("2026-02", "Seinäjoki", 1, 0, 0),
        ("2026-03", "Seinäjoki", 2, 1, 0),
    ]
    assert await customers(list_area(municipalities, "Atlantis")) == []
    visited = await phone_reports.response_times(2026, ListArea("Seinäjoki"))
    assert [row[:3] for row in visited.rows] == [("2026-03", "Seinäjoki", 2)]
    assert (await phone_reports.response_times(2026, ListArea("Lapua"))).rows == []

    unit = await ServiceUnit.select(ServiceUnit.name, ServiceUnit.municipality).first()
    held = await month_appointments(MARCH, "held")
    assert len(held) == 3
    assert await month_appointments(MARCH, "held", ListArea(unit["municipality"])) == held
    assert await month_appointments(MARCH, "held", ListArea(unit=unit["name"])) == held
    assert await month_appointments(MARCH, "held", ListArea("Lapua")) == []
    assert await month_appointments(MARCH, "held", list_area(municipalities, "Atlantis")) == []


async def test_phone_customers_are_counted_month_by_month_as_the_figures(
    runtime: Runtime,
) -> None:
    """The year's customers per municipality count each month's customers under the
    municipality they lived in at its end and the alarm centre that served them then, not the
    customers of the day the report is made: a customer who moved from Seinäjoki to Lapua and
    from Centre A to Centre B on 10.4.2026 is Seinäjoki's and Centre A's until March; a service
    ended in May still counts in May. Each month's row is the picture's figure for it."""
    centre_a, _ = await new_centre("Centre A")
    centre_b, _ = await new_centre("Centre B")
    moved, ended = await new_customer("Seinäjoki"), await new_customer("Seinäjoki")
    moved_on = dt.date(2026, 4, 10)
    async with transaction():
        service = await PhoneService.insert(
            PhoneService(
                customer=moved,
                decision_date=dt.date(2025, 6, 1),
                start_date=dt.date(2025, 6, 1),
                centre=centre_b,
            )
        ).returning(PhoneService.id)
        await ServiceCentreChange.insert(
            ServiceCentreChange(
                service=service[0]["id"], previous_centre=centre_a, changed_on=moved_on
            )
        )
        await record_move(moved, "Seinäjoki", moved_on)
        await Customer.update({Customer.municipality: "Lapua"}).where(Customer.id == moved)
        start, end = dt.date(2026, 3, 4), dt.date(2026, 5, 20)
        await PhoneService.insert(
            PhoneService(
                customer=ended, decision_date=start, start_date=start, end_date=end, centre=centre_a
            )
        )
    june = dt.date(2026, 6, 15)

    async def rows(area: ListArea, year: int = 2026) -> list[tuple[Any, ...]]:
        return (await phone_reports.customers_per_municipality(year, june, area)).rows

    everyone = await rows(ListArea())
    assert everyone == [
        ("2026-01", "Seinäjoki", 1, 0, 0),
        ("2026-02", "Seinäjoki", 1, 0, 0),
        ("2026-03", "Seinäjoki", 2, 1, 0),
        ("2026-04", "Lapua", 1, 0, 0),
        ("2026-04", "Seinäjoki", 1, 0, 0),
        ("2026-05", "Lapua", 1, 0, 0),
        ("2026-05", "Seinäjoki", 1, 0, 1),
        ("2026-06", "Lapua", 1, 0, 0),
    ]
    assert await rows(ListArea("Lapua")) == [r for r in everyone if r[1] == "Lapua"]
    assert await rows(ListArea(unit="Centre B")) == [r for r in everyone if r[1] == "Lapua"]
    assert await rows(ListArea(unit="Centre A")) == [*everyone[:3], everyone[4], everyone[6]]
    last_year = await rows(ListArea(), 2025)
    assert last_year[0] == ("2025-06", "Seinäjoki", 1, 1, 0) and len(last_year) == 7
    assert await rows(ListArea(), 2027) == []  # months after the day the report is made

    months = [BillingPeriod(2026, m) for m in range(1, 7)]
    names = ("security_phones.customers", "security_phones.openings", "security_phones.endings")
    await compute(runtime, *months, names=names)
    metrics = declared_metrics(runtime.host)
    for month, municipality, *counts in everyone:
        period = BillingPeriod(2026, int(month[5:]))
        found = await picture(
            {n: metrics[n] for n in names},
            Selection(period, period, municipality=municipality),
            lambda permission: True,
        )
        got = {f.metric.name: f.current.value for f in found.figures}
        assert [got[n] for n in names] == counts, (month, municipality)


async def hold_only(username: str, role: str) -> None:
    """The user now holds `role` alone: permissions are read from the roles on every request,
    so one signed-in session stands for each role in turn (no password hashed per role)."""
    user = (await StaffUser.select(StaffUser.id).where(StaffUser.username == username))[0]["id"]
    role_id = (await StaffRole.select(StaffRole.id).where(StaffRole.code == role))[0]["id"]
    async with transaction():
        await UserRole.delete().where(UserRole.user == user)
        await UserRole.insert(UserRole(user=user, role=role_id))


async def test_every_link_of_an_area_opens_for_every_role_that_sees_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """For a municipality, a kitchen and an alarm centre, each role that may open the page
    (by default) follows every distinct link on it once: none leads to a 403 (or anything but
    the list), and the lists the administrator opens show only that area's customers; a
    leader, who may not open the lists, gets no links. The region's links are followed in
    test_pages. One user, signed in once, holds each role in turn (`hold_only`)."""
    await meals_march()
    await phones_march()
    await bookings_march()
    lapua = await lapua_customer()
    # the figures that make the kitchens and the alarm centres known units: every figure is
    # linked whether computed or not, so the rest need not be computed
    await compute(runtime, MARCH, names=("meals.customers", "security_phones.customers"))
    kitchen = (await MealService.select(MealService.kitchen.name).first())["kitchen.name"]
    areas = ["&municipality=Lapua", "&unit=" + kitchen, "&unit=Centre+B"]
    roles = {
        role
        for p in runtime.host.collect("valvomo_permissions")
        if p.code == "situation.view"
        for role in p.default_roles
    }
    assert {"leader", "admin"} <= roles
    username = await make_user("leader")
    await sign_in(client, username)
    followed: dict[str, set[str]] = {}
    lists: dict[str, str] = {}  # what the administrator's links showed
    for role in sorted(roles):
        await hold_only(username, role)
        opened: set[str] = set()
        for area in areas:
            page = await client.get(f"/situation/?{MARCH_QUERY}{area}")
            assert page.status_code == 200, (role, area)
            opened |= set(re.findall(r'<th scope="row"><a href="([^"]+)"', page.text))
        for link in opened:  # each distinct link once per role
            listed = await client.get(link.replace("&amp;", "&"))
            assert listed.status_code == 200, (role, link, listed.status_code)
            if role == "admin":
                lists[link.replace("&amp;", "&")] = listed.text
        followed[role] = opened
    assert followed["leader"] == set()  # no list a leader may not open
    assert (
        followed["admin"] >= followed["meal_coordinator"] | followed["security_phone_coordinator"]
    )
    every = set().union(*followed.values())
    narrowed = {link.split("?")[0] for link in every if "municipality=Lapua" in link}
    assert {
        "/meals/reports/deviations",
        "/security-phones/alarms",
        "/security-phones/reports",
        "/booking/appointments",
        "/billing/2026/3",
    } <= narrowed
    assert not any(link.startswith("/billing/") and "unit=" in link for link in every)

    # the phone reports and the billing behind Lapua's figures hold Lapua's customer only
    for link in (
        "/security-phones/reports?year=2026&municipality=Lapua",
        "/security-phones/reports?year=2026&unit=Centre+B",
    ):
        assert "<td>Lapua</td>" in lists[link] and "<td>Seinäjoki</td>" not in lists[link]
    # the meal services of March behind Lapua's customers: the Lapua customer's service only
    services_of_march = lists["/meals/services?month=2026-03&municipality=Lapua"]
    lapua_service = await MealService.select(MealService.id).where(MealService.customer == lapua)
    shown = set(re.findall(r'href="/meals/services/(\d+)"', services_of_march))
    assert shown == {str(lapua_service[0]["id"])}
    assert "maaliskuu 2026" in services_of_march
    billed = lists["/billing/2026/3?municipality=Lapua"]
    assert set(re.findall(r'href="/customers/(\d+)"', billed)) == {str(lapua)}
    assert len(declared_metrics(runtime.host)) > 0
