"""Needs-mapping: the region's question paths are checked when saved (loops, dead ends, types
and modes), lead a citizen to a type (only the modes the path allows) or to a ready answer,
and the answers travel with the booking to the professional."""

from __future__ import annotations

import re

import httpx
import pytest

from core.audit.tables import AuditEntry
from core.common.errors import ValidationFailed
from core.i18n import in_language
from plugins.booking import needs
from plugins.booking.tables import AppointmentType, Booking, NeedsPath
from tests.helpers import post_form
from tests.plugins.booking.setup_data import create_setup, tomorrow_at
from tests.plugins.booking.test_public import details

TWO_STEPS = """start = "who"

[questions.who]
fi = "Kenen asia?"
sv = "Vems ärende?"
en = "Whose matter?"

[[questions.who.options]]
fi = "Oma"
sv = "Eget"
en = "My own"
next = "what"

[[questions.who.options]]
fi = "Aukioloajat"
answer = "hours"

[questions.what]
fi = "Mitä asia koskee?"
en = "What is it about?"

[[questions.what.options]]
fi = "Arjen tuki"
en = "Support in everyday life"
type = "ADVICE15"
modes = ["phone"]

[answers.hours]
fi = "Avoinna arkisin 8-16."
sv = "Öppet vardagar 8-16."
"""


def path_form(definition: str, **changes: str) -> dict[str, str]:
    return {"name": "Perheasiat", "definition": definition, "active": "yes", **changes}


async def save(client: httpx.AsyncClient, definition: str) -> httpx.Response:
    response: httpx.Response = await post_form(
        client, "/booking/setup/needs/new", path_form(definition)
    )
    return response


BROKEN = {
    "loop": (
        TWO_STEPS.replace('type = "ADVICE15"\nmodes = ["phone"]', 'next = "who"'),
        "The path loops: who → what → who.",
    ),
    "ends nowhere": (
        TWO_STEPS.replace('next = "what"', 'next = "whta"'),
        "leads to the question whta, which does not exist",
    ),
    "no target": (
        TWO_STEPS.replace('answer = "hours"', ""),
        "must lead to exactly one of",
    ),
    "missing answer": (TWO_STEPS.replace('answer = "hours"', 'answer = "hour"'), "hour"),
    "not public": (TWO_STEPS.replace("ADVICE15", "FOLLOW30"), "FOLLOW30"),
    "mode not offered": (TWO_STEPS.replace('["phone"]', '["remote"]'), "remote"),
    "unreached": (
        TWO_STEPS + '\n[questions.lost]\nfi = "?"\n[[questions.lost.options]]\nfi = "x"\n'
        'answer = "hours"\n',
        "lost",
    ),
    "not toml": ("start = ", "TOML"),
    "no finnish": (TWO_STEPS.replace('fi = "Oma"\n', ""), "Finnish"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_a_path_that_loops_or_ends_nowhere_is_refused_with_a_message(
    admin: httpx.AsyncClient, case: str
) -> None:
    await create_setup()
    definition, message = BROKEN[case]
    with in_language("en"), pytest.raises(ValidationFailed) as refused:
        await needs.validate(definition)
    assert message in refused.value.errors["definition"]
    response = await save(admin, definition)
    assert response.status_code == 400
    assert 'id="f-definition-error"' in response.text
    assert "start =" in response.text  # the text is kept for correcting
    assert await NeedsPath.count() == 0


async def test_admin_saves_and_edits_a_path_with_audit_and_version_check(
    admin: httpx.AsyncClient,
) -> None:
    await create_setup()
    setup_page = await admin.get("/booking/setup")
    assert "/booking/setup/needs/" in setup_page.text
    new = await admin.get("/booking/setup/needs/new")
    assert new.status_code == 200 and "ADVICE15" in new.text  # the example to start from
    saved = await save(admin, TWO_STEPS)
    assert saved.status_code == 200 and 'role="status"' in saved.text
    row = await NeedsPath.select().first()
    assert row["version"] == 1
    edited = await post_form(
        admin,
        f"/booking/setup/needs/{row['id']}",
        path_form(TWO_STEPS, name="Perhe", version="1"),
    )
    assert edited.status_code == 200
    stale = await post_form(
        admin,
        f"/booking/setup/needs/{row['id']}",
        path_form(TWO_STEPS, name="Vanha", version="1"),
    )
    assert stale.status_code == 409
    assert (await NeedsPath.select(NeedsPath.name).first())["name"] == "Perhe"
    # A name too long is refused at its field (it used to be cut to 200 characters silently).
    long = await post_form(
        admin,
        f"/booking/setup/needs/{row['id']}",
        path_form(TWO_STEPS, name="P" * 201, version="2"),
    )
    assert long.status_code == 400 and 'id="f-name-error"' in long.text
    entries = await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.entity == "booking_needs_path"
    )
    assert sorted(e["action"] for e in entries) == ["create", "update"]


async def _path() -> int:
    rows = await NeedsPath.insert(
        NeedsPath(name="Perheasiat", definition=TWO_STEPS, active=True)
    ).returning(NeedsPath.id)
    return int(rows[0]["id"])


async def test_citizen_answers_reach_a_type_with_its_allowed_modes_and_the_professional(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await create_setup()
    path_id = await _path()
    start = await client.get("/book/")
    assert f'href="/book/needs/{path_id}"' in start.text
    first = await client.get(f"/book/needs/{path_id}")
    assert "Kenen asia?" in first.text and 'value="0"' in first.text
    answer = await client.get(f"/book/needs/{path_id}", params={"answers": "1"})
    assert "Avoinna arkisin 8-16." in answer.text and "/book/?type_id" not in answer.text
    second = await client.get(f"/book/needs/{path_id}", params={"answers": "0"})
    assert "Mitä asia koskee?" in second.text and 'value="0.0"' in second.text
    end = await client.get(f"/book/needs/{path_id}", params={"answers": "0.0"})
    link = re.search(r'href="(/book/\?type_id=\d+&amp;needs=[^"]+)"', end.text)
    assert link, end.text
    modes = await client.get(link[1].replace("&amp;", "&"))
    assert 'value="phone"' in modes.text and 'value="office"' not in modes.text  # path: phone
    assert "Arjen tuki" in modes.text  # the answers so far are shown
    needs_ref = f"{path_id}:0.0"
    times = await client.get(
        "/book/times",
        params={"type_id": setup.advice_type_id, "mode": "phone", "needs": needs_ref},
    )
    assert f'name="needs" value="{needs_ref}"' in times.text
    booked = await post_form(
        client, "/book/confirm", details(setup, tomorrow_at(9), mode="phone", needs=needs_ref)
    )
    assert booked.status_code == 200, booked.text
    booking = await Booking.select().first().output(load_json=True)
    assert booking["needs_answers"] == [
        {"question": "Kenen asia?", "answer": "Oma"},
        {"question": "Mitä asia koskee?", "answer": "Arjen tuki"},
    ]
    from tests.helpers import sign_in

    await sign_in(other_client, setup.username)
    page = await other_client.get(f"/booking/bookings/{booking['id']}")
    assert "Mitä asia koskee?" in page.text and "Arjen tuki" in page.text


async def test_answers_that_do_not_lead_to_the_booked_type_are_not_kept(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    path_id = await _path()
    for needs_ref in (
        f"{path_id}:1",
        f"{path_id}:0",
        f"{path_id}:9.9",
        "x:0",
        f"{path_id + 1}:0.0",
    ):
        booked = await post_form(
            client,
            "/book/confirm",
            details(setup, tomorrow_at(9), needs=needs_ref, phone="0401111111"),
        )
        assert booked.status_code == 200, booked.text
        row = await Booking.select().first().output(load_json=True)
        assert row["needs_answers"] == []
        await Booking.delete(force=True)
    assert (await client.get(f"/book/needs/{path_id}", params={"answers": "7"})).status_code == 404


def test_texts_fall_back_to_finnish_when_not_translated() -> None:
    path = needs.parse(TWO_STEPS)
    with in_language("sv"):
        assert needs.text_in(path.questions["who"].text) == "Vems ärende?"
        assert needs.text_in(path.questions["what"].text) == "Mitä asia koskee?"


async def test_the_demo_path_passes_the_checks(app: object) -> None:
    from plugins.booking.demo import DEMO_NEEDS_PATH, TYPES

    await AppointmentType.insert(
        *[AppointmentType(code=t[0], name=t[1], modes=t[3], public=t[4]) for t in TYPES]
    )
    path = await needs.validate(DEMO_NEEDS_PATH)
    step = needs.walk(path, [0, 0])
    assert (step.type_code, step.modes) == ("NEUVONTA15", ("phone",))
