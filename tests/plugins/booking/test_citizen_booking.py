"""Customers and relatives book, see and cancel appointments on Oma Valvomo, signed in through
the broker (a real OIDC provider process), without the signed SMS link."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from core.audit.tables import AuditEntry
from plugins.booking.tables import Booking
from tests.citizens import (
    choices,
    customer_with_code,
    hidden_inputs,
    href,
    identify,
    new_identity_code,
    person_at_broker,
    record_right,
)
from tests.helpers import (
    assert_asks_first,
    assert_no_code_on_screen,
    csrf,
    make_user,
    notices,
    post_confirmed,
    post_form,
    sign_in,
)
from tests.oidc_provider import Provider
from tests.plugins.booking.setup_data import BookingSetup, create_setup


def browser(app: Litestar) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
        base_url="http://testserver.local",
        follow_redirects=True,
    )


@pytest.fixture
async def staff(citizen_site: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(citizen_site) as client:
        await sign_in(client, await make_user("client_guidance"))
        yield client


async def book_by_links(client: httpx.AsyncClient, front: httpx.Response) -> httpx.Response:
    """From Oma Valvomo's front page to a booked appointment, clicking what the pages offer."""
    form = await details_form(client, front)
    return await post_form(client, "/oma/booking/confirm", {**form, "description": "Kysyttävää"})


async def details_form(client: httpx.AsyncClient, front: httpx.Response) -> dict[str, str]:
    """The fields of the last step's form, reached by the links from the front page."""
    start = await client.get(href(front.text, "/oma/booking/new"))
    assert start.status_code == 200
    type_id = choices(start.text, "type_id")[0]
    modes = await client.get("/oma/booking/new", params={"type_id": type_id})
    mode = choices(modes.text, "mode")[0]
    times = await client.get("/oma/booking/times", params={"type_id": type_id, "mode": mode})
    assert times.status_code == 200
    slot = choices(times.text, "slot")[0]
    fields = {**hidden_inputs(times.text, "/oma/booking/details"), "slot": slot}
    details = await client.get("/oma/booking/details", params=fields)
    assert details.status_code == 200
    return hidden_inputs(details.text, "/oma/booking/confirm")


async def test_customer_books_sees_and_cancels_their_appointment(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    await create_setup()
    code = new_identity_code()
    customer = await customer_with_code(code)
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    assert "Sinulla ei ole tulevia aikoja." in front.text
    booked = await book_by_links(citizen_client, front)
    assert booked.status_code == 200, booked.text
    assert notices(booked.text) == [("success", "Aikasi on varattu.")]
    row = await Booking.select().first()
    assert row["customer"] == customer and row["status"] == "booked" and row["contact"] is None
    assert row["description"] == "Kysyttävää"
    front = await citizen_client.get("/oma")
    assert f'href="/oma/booking/{row["id"]}"' in front.text
    assert 'href="/oma/booking"' in front.text
    listing = await citizen_client.get("/oma/booking")
    assert_no_code_on_screen(listing.text, "own appointments")
    assert f'href="/oma/booking/{row["id"]}"' in listing.text
    page = await citizen_client.get(href(listing.text, f"/oma/booking/{row['id']}"))
    mine = await citizen_client.get(href(front.text, "/oma/my-data"))
    assert "Varattu" in mine.text and "Advice" in mine.text and "Kysyttävää" in mine.text
    assert_no_code_on_screen(mine.text, "own data")
    download = await citizen_client.get(href(mine.text, "/oma/my-data.json"))
    assert download.json()["services"]["Ajanvaraukset"][0]["description"] == "Kysyttävää"
    await assert_asks_first(citizen_client, f"/oma/booking/{row['id']}/cancel", {})
    assert (await Booking.select(Booking.status).first())["status"] == "booked"
    assert f'action="/oma/booking/{row["id"]}/cancel"' in page.text
    cancelled = await post_confirmed(citizen_client, f"/oma/booking/{row['id']}/cancel", {})
    assert notices(cancelled.text) == [("success", "Aikasi peruttiin.")]
    assert (await Booking.select(Booking.status).first())["status"] == "cancelled"
    roles = await AuditEntry.select(AuditEntry.action, AuditEntry.actor_roles).where(
        (AuditEntry.entity == "booking") & (AuditEntry.customer_id == customer)
    )
    assert {"action": "create", "actor_roles": "customer"} in roles
    assert {"action": "update", "actor_roles": "customer"} in roles
    assert {"action": "view", "actor_roles": "customer"} in roles


async def test_customer_moves_their_appointment_to_a_later_time(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    await create_setup()
    code = new_identity_code()
    await customer_with_code(code)
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    booked = await book_by_links(citizen_client, front)
    before = await Booking.select().first()
    form = await citizen_client.get(href(booked.text, f"/oma/booking/{before['id']}/move"))
    assert form.status_code == 200
    offered = choices(form.text, "starts_at")
    assert offered and before["starts_at"].isoformat() not in offered
    refused = await post_form(citizen_client, f"/oma/booking/{before['id']}/move", {})
    assert refused.status_code == 400
    moved = await post_form(
        citizen_client, f"/oma/booking/{before['id']}/move", {"starts_at": offered[-1]}
    )
    assert notices(moved.text) == [("success", "Aikasi siirrettiin uuteen aikaan.")]
    after = await Booking.select().first()
    assert after["id"] == before["id"] and after["starts_at"].isoformat() == offered[-1]
    assert after["status"] == "booked" and after["version"] == before["version"] + 1
    entry = (
        await AuditEntry.select(AuditEntry.actor_roles)
        .where((AuditEntry.entity == "booking") & (AuditEntry.action == "update"))
        .first()
    )
    assert entry == {"actor_roles": "customer"}


async def test_another_customers_booking_is_not_found(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider, citizen_site: Litestar
) -> None:
    await create_setup()
    first, second = new_identity_code(), new_identity_code()
    await customer_with_code(first)
    await customer_with_code(second, first="Eino", last="Leino")
    async with browser(citizen_site) as other:
        front = await identify(other, oidc_provider, person_at_broker(oidc_provider, second))
        await book_by_links(other, front)
    booking = (await Booking.select(Booking.id).first())["id"]
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, first))
    assert (await citizen_client.get(f"/oma/booking/{booking}")).status_code == 404
    assert (await citizen_client.get(f"/oma/booking/{booking}/move")).status_code == 404
    response = await post_confirmed(citizen_client, f"/oma/booking/{booking}/cancel", {})
    assert response.status_code == 404
    assert (await Booking.select(Booking.status).first())["status"] == "booked"


async def test_a_relative_with_a_booking_right_books_for_the_customer(
    staff: httpx.AsyncClient, citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    setup: BookingSetup = await create_setup()
    customer = await customer_with_code(new_identity_code())
    proxy_code = new_identity_code()
    await record_right(staff, customer, proxy_code, services="booking")
    sub = person_at_broker(oidc_provider, proxy_code, "Liisa Virtanen")
    choose = await identify(citizen_client, oidc_provider, sub)
    front = await post_form(citizen_client, "/oma/choose", {"customer": str(customer)})
    assert "Aino Virtanen" in front.text and choose.status_code == 200
    booked = await book_by_links(citizen_client, front)
    assert notices(booked.text) == [("success", "Aikasi on varattu.")]
    row = await Booking.select().first()
    assert row["customer"] == customer and row["professional"] == setup.professional_id
    entry = (
        await AuditEntry.select(AuditEntry.actor_name, AuditEntry.actor_roles)
        .where((AuditEntry.entity == "booking") & (AuditEntry.action == "create"))
        .first()
    )
    assert entry == {"actor_name": "Liisa Virtanen", "actor_roles": "proxy"}


async def test_a_relative_without_a_booking_right_cannot_book(
    staff: httpx.AsyncClient, citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    await create_setup()
    customer = await customer_with_code(new_identity_code())
    proxy_code = new_identity_code()
    await record_right(staff, customer, proxy_code, services="meals")
    await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, proxy_code))
    front = await post_form(citizen_client, "/oma/choose", {"customer": str(customer)})
    assert "/oma/booking/new" not in front.text
    refused = await citizen_client.get("/oma/booking/new", follow_redirects=False)
    assert refused.status_code in (302, 303) and refused.headers["location"] == "/oma/login"
    refused = await citizen_client.post(
        "/oma/booking/confirm",
        data={"_csrf_token": csrf(citizen_client)},
        follow_redirects=False,
    )
    assert refused.status_code in (302, 303, 401, 403)
    assert await Booking.count() == 0


async def test_the_customers_open_bookings_are_capped(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    await create_setup()
    code = new_identity_code()
    await customer_with_code(code)
    front = await identify(citizen_client, oidc_provider, person_at_broker(oidc_provider, code))
    fourth = await details_form(citizen_client, front)  # a page left open in another tab
    for _ in range(3):
        assert (await book_by_links(citizen_client, front)).status_code == 200
    # The booking page says so at once instead of offering four steps that end in a refusal.
    start = await citizen_client.get(href(front.text, "/oma/booking/new"))
    assert "Sinulla on jo 3 tulevaa varausta" in start.text
    assert not choices(start.text, "type_id")
    refused = await post_form(citizen_client, "/oma/booking/confirm", fourth)
    assert refused.status_code == 429
    assert "<title>Liian monta yritystä – " in refused.text  # a citizen page, in Finnish
    assert "ylläpitäjä" not in refused.text and 'href="/oma"' in refused.text
    assert_no_code_on_screen(refused.text, "the citizen's 429 page")
    assert await Booking.count() == 3
