"""Customers report days away online: meal days cancelled like the coordinator's exceptions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx

from core.audit.tables import AuditEntry
from core.common.clock import HELSINKI, now
from core.db import transaction
from core.i18n import fmt_date, fmt_date_weekday
from core.plugins import BillingPeriod
from plugins.meals import dashboard, services
from plugins.meals.absences import cutoff_for, first_open_day
from plugins.meals.billing import billing_lines
from plugins.meals.lists import route_delivery_list
from plugins.meals.settings import current, parse_settings
from plugins.meals.tables import MealException
from tests.citizens import (
    customer_with_code,
    identify,
    new_identity_code,
    person_at_broker,
    staff_beside,
)
from tests.helpers import SYSTEM, notices, post_form
from tests.oidc_provider import Provider
from tests.plugins.meals.conftest import active_service, new_region, version_of


@dataclass
class MealCustomer:
    customer: int
    service: int
    route: int
    sub: str


async def meal_customer(provider: Provider) -> MealCustomer:
    code = new_identity_code()
    customer = await customer_with_code(code)
    region = await new_region()
    service = await active_service(region, customer=customer)
    return MealCustomer(customer, service, region.route, person_at_broker(provider, code))


async def billed_lunches(days: list[dt.date]) -> int:
    total = 0
    for year, month in sorted({(d.year, d.month) for d in days}):
        lines = await billing_lines(BillingPeriod(year, month), current())
        total += sum(int(line.quantity) for line in lines if line.product == "lunch")
    return total


def test_cut_off_is_noon_two_working_days_before() -> None:
    settings = current()
    wednesday, saturday = dt.date(2026, 12, 2), dt.date(2026, 12, 5)
    assert cutoff_for(wednesday, settings) == dt.datetime(2026, 11, 30, 12, tzinfo=HELSINKI)
    assert cutoff_for(saturday, settings) == dt.datetime(2026, 12, 3, 12, tzinfo=HELSINKI)
    monday_morning = dt.datetime(2026, 11, 30, 11, 59, tzinfo=HELSINKI)
    assert first_open_day(monday_morning, settings) == wednesday
    monday_afternoon = dt.datetime(2026, 11, 30, 12, 0, tzinfo=HELSINKI)
    assert first_open_day(monday_afternoon, settings) == dt.date(2026, 12, 3)
    # Christmas Eve, Christmas Day and Boxing Day 2026 (Thu–Sat) are no working days.
    assert cutoff_for(dt.date(2026, 12, 28), settings) == dt.datetime(
        2026, 12, 22, 12, tzinfo=HELSINKI
    )
    later = parse_settings({"absence_cutoff_working_days": 1, "absence_cutoff_hour": 15})
    assert cutoff_for(wednesday, later) == dt.datetime(2026, 12, 1, 15, tzinfo=HELSINKI)


async def test_absence_cancels_meal_days_on_lists_and_in_billing(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    person = await meal_customer(oidc_provider)
    front = await identify(citizen_client, oidc_provider, person.sub)
    assert "Tulevat toimitukset" in front.text
    first = first_open_day(now(), current()) + dt.timedelta(days=7)
    days = [first + dt.timedelta(days=n) for n in range(3)]
    billed = await billed_lunches(days)
    form = await citizen_client.get("/oma/meals/absence")
    assert form.status_code == 200 and "Ilmoita poissaolo" in form.text
    response = await post_form(
        citizen_client,
        "/oma/meals/absence",
        {"first_day": fmt_date(days[0]), "last_day": fmt_date(days[-1])},
    )
    assert response.status_code == 200 and str(response.url).endswith("/oma")
    assert notices(response.text) == [
        ("success", "Poissaolosi tallennettiin: ateriat peruttiin 3 päivältä.")
    ]
    rows = await MealException.select().where(MealException.service == person.service)
    assert sorted(r["day"] for r in rows) == days
    assert {(r["kind"], r["reported_by"]) for r in rows} == {("cancel", "customer")}
    assert await billed_lunches(days) == billed - 3
    for day in days:
        assert fmt_date(day) in response.text or day.strftime("%-d.%-m.") in response.text
    audit = await AuditEntry.select(AuditEntry.actor_roles).where(
        (AuditEntry.entity == "meal_exception") & (AuditEntry.customer_id == person.customer)
    )
    assert [a["actor_roles"] for a in audit] == ["customer"] * 3
    reported = await dashboard.reported_online(days[0])
    assert [r["day"] for r in reported] == days
    assert all(r["customer"] == person.customer for r in reported)
    async with staff_beside(citizen_client, "meal_coordinator") as coordinator:
        page = await coordinator.get("/")
    assert "Asiakkaiden verkossa ilmoittamat poissaolot" in page.text
    assert f'href="/customers/{person.customer}"' in page.text


async def test_absence_shows_on_the_route_list_of_its_delivery(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    person = await meal_customer(oidc_provider)
    await identify(citizen_client, oidc_provider, person.sub)
    first = first_open_day(now(), current()) + dt.timedelta(days=7)
    while first.weekday() != 4:  # a Friday: carried by Thursday's delivery with Thu–Sun
        first += dt.timedelta(days=1)
    thursday = first - dt.timedelta(days=1)
    before = await route_delivery_list(person.route, thursday, current())
    assert [sum(s.meals.values()) for s in before] == [4]
    await post_form(citizen_client, "/oma/meals/absence", {"first_day": fmt_date(first)})
    after = await route_delivery_list(person.route, thursday, current())
    assert [sum(s.meals.values()) for s in after] == [3]
    assert first not in after[0].meal_days


async def test_after_the_cut_off_the_page_says_whom_to_call(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    person = await meal_customer(oidc_provider)
    await identify(citizen_client, oidc_provider, person.sub)
    first_open = first_open_day(now(), current())
    form = await citizen_client.get("/oma/meals/absence")
    # One full stop after the date, not "on la 28.11..".
    assert f"verkossa, on {fmt_date_weekday(first_open, year=True)}.\n" in form.text
    too_soon = first_open - dt.timedelta(days=1)
    response = await post_form(
        citizen_client, "/oma/meals/absence", {"first_day": fmt_date(too_soon)}
    )
    assert response.status_code == 400
    assert 'id="f-first_day-error"' in response.text
    assert "ei voi enää muuttaa verkossa" in response.text
    assert "soita" in response.text.lower()
    assert await MealException.count() == 0


async def test_an_absence_overlapping_a_pause_is_refused_next_to_the_field(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    person = await meal_customer(oidc_provider)
    first = first_open_day(now(), current()) + dt.timedelta(days=7)
    async with transaction():
        await services.pause_service(
            SYSTEM,
            person.service,
            await version_of(person.service),
            {
                "start_date": first.isoformat(),
                "end_date": (first + dt.timedelta(days=3)).isoformat(),
                "reason": "Sairaalassa",
            },
        )
    await identify(citizen_client, oidc_provider, person.sub)
    response = await post_form(
        citizen_client,
        "/oma/meals/absence",
        {"first_day": fmt_date(first - dt.timedelta(days=1)), "last_day": fmt_date(first)},
    )
    assert response.status_code == 400
    assert 'id="f-first_day-error"' in response.text
    assert await MealException.count() == 0
