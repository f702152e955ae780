"""Booking reports from a hand-built month of appointments: exact counts per unit and month,
Helsinki month boundaries, joint meetings left out, CSV, and the way there from the dashboard."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import httpx

from core.common.clock import HELSINKI
from core.db import transaction
from core.i18n import in_language
from core.identity.tables import StaffUser
from core.plugins import BillingPeriod
from plugins.booking import reports
from plugins.booking.tables import Booking, JointMeeting, Professional, ServiceUnit
from tests.helpers import make_user, sign_in
from tests.plugins.booking.setup_data import BookingSetup, create_setup
from tests.plugins.booking.test_absences import signed_in


def helsinki(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), HELSINKI)
    return local.astimezone(dt.UTC)


async def _second_unit_professional() -> int:
    username = await make_user("professional")
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    unit = await ServiceUnit.insert(
        ServiceUnit(name="Sosiaalitoimisto", municipality="Lapua")
    ).returning(ServiceUnit.id)
    professional = await Professional.insert(
        Professional(user=user["id"], unit=unit[0]["id"])
    ).returning(Professional.id)
    return int(professional[0]["id"])


async def build_scenario(setup: BookingSetup) -> None:
    """Eight appointments in 9–10/2025, one joint meeting and one appointment in 11/2025."""
    own, type_id = setup.professional_id, setup.advice_type_id
    async with transaction():
        other = await _second_unit_professional()
        meeting = await JointMeeting.insert(
            JointMeeting(
                title="Verkostopalaveri",
                organiser=own,
                starts_at=helsinki("2025-10-07"),
                ends_at=helsinki("2025-10-07", 11),
                created_at=helsinki("2025-10-01"),
            )
        ).returning(JointMeeting.id)
        rows = [
            # professional, start, days booked ahead, mode, status, cancelled by
            (own, helsinki("2025-09-10"), 2, "phone", "done", ""),
            (own, helsinki("2025-09-11"), 4, "office", "done", ""),
            (own, helsinki("2025-09-12"), 6, "phone", "no_show", ""),
            (own, helsinki("2025-09-15"), 1, "phone", "cancelled", "customer"),
            (own, helsinki("2025-09-16"), 1, "office", "cancelled", "staff"),
            (own, helsinki("2025-10-01", 0, 30), 1, "phone", "done", ""),  # 30.9. in UTC
            (own, helsinki("2025-10-02"), 9, "phone", "cancelled", "staff"),
            (other, helsinki("2025-09-20"), 3, "phone", "no_show", ""),
            (own, helsinki("2025-11-03"), 5, "phone", "done", ""),  # outside the months
        ]
        await Booking.insert(
            *[
                Booking(
                    professional=professional,
                    appointment_type=type_id,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=15),
                    mode=mode,
                    status=status,
                    cancelled_by=by,
                    created_at=start - dt.timedelta(days=ahead),
                )
                for professional, start, ahead, mode, status, by in rows
            ],
            Booking(
                professional=own,
                appointment_type=type_id,
                starts_at=helsinki("2025-10-07"),
                ends_at=helsinki("2025-10-07", 11),
                mode="office",
                status="done",
                created_at=helsinki("2025-10-01"),
                meeting=meeting[0]["id"],
                reminder_channel="none",
            ),
        )


SCOPE = reports.ReportScope(BillingPeriod(2025, 9), BillingPeriod(2025, 10))


async def test_counts_per_unit_and_month_are_exact(app: object) -> None:
    await build_scenario(await create_setup())
    with in_language("en"):
        tables = await reports.build(SCOPE)
    assert tables["appointments"].rows == [
        ("Perheneuvola", "9/2025", 5, 2, 1, 1, 1, 0, D("4.0"), D("4.0")),
        ("Perheneuvola", "10/2025", 2, 1, 0, 0, 1, 0, D("1.0"), D("1.0")),
        ("Sosiaalitoimisto", "9/2025", 1, 0, 1, 0, 0, 0, D("3.0"), D("3.0")),
    ]
    assert tables["types_and_modes"].rows == [
        ("Perheneuvola", "9/2025", "Advice", "Office visit", 2, 1),
        ("Perheneuvola", "9/2025", "Advice", "Phone call", 3, 1),
        ("Perheneuvola", "10/2025", "Advice", "Phone call", 2, 1),
        ("Sosiaalitoimisto", "9/2025", "Advice", "Phone call", 1, 0),
    ]
    one_unit = await reports.build(
        reports.ReportScope(SCOPE.first, SCOPE.last, await _unit_id("Sosiaalitoimisto"))
    )
    assert [r[:3] for r in one_unit["appointments"].rows] == [("Sosiaalitoimisto", "9/2025", 1)]


async def _unit_id(name: str) -> int:
    row = await ServiceUnit.select(ServiceUnit.id).where(ServiceUnit.name == name).first()
    return int(row["id"])


async def test_professional_reaches_reports_from_dashboard_and_downloads_csv(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    await build_scenario(setup)
    dashboard = await client.get("/")
    assert 'href="/booking/reports/"' in dashboard.text
    index = await client.get("/reports")
    assert "/booking/reports/" in index.text
    page = await client.get("/booking/reports/", params={"first": "9/2025", "last": "10/2025"})
    assert page.status_code == 200
    assert "Perheneuvola" in page.text and "Sosiaalitoimisto" in page.text
    assert "2025-" not in re.sub(r'href="[^"]*"', "", page.text)  # no ISO dates on the page
    csv = await client.get(
        "/booking/reports/",
        params={"first": "9/2025", "last": "10/2025", "format": "csv", "report": "appointments"},
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 4
    assert lines[1] == "Perheneuvola;9/2025;5;2;1;1;1;0;4,0;4,0"
    assert lines[3] == "Sosiaalitoimisto;9/2025;1;0;1;0;0;0;3,0;3,0"


async def test_bad_months_get_a_message_next_to_the_field(client: httpx.AsyncClient) -> None:
    await signed_in(client)
    bad = await client.get("/booking/reports/", params={"first": "13/2025", "last": "x"})
    assert bad.status_code == 400
    assert 'id="f-first-error"' in bad.text and 'id="f-last-error"' in bad.text
    backwards = await client.get("/booking/reports/", params={"first": "10/2025", "last": "9/2025"})
    assert backwards.status_code == 400 and 'id="f-last-error"' in backwards.text
    unknown = await client.get("/booking/reports/", params={"format": "csv", "report": "nothing"})
    assert unknown.status_code == 404


async def test_reports_need_the_permission(client: httpx.AsyncClient) -> None:
    username = await make_user("biller")
    await sign_in(client, username)
    assert (await client.get("/booking/reports/")).status_code in (403, 404)
