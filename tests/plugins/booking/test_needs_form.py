"""Needs-mapping paths edited as a form (questions, options, answers; fi/sv/en): saved paths
walk as written, each problem (a loop, an empty target, a missing Finnish text, a mode the type
does not offer, an unreached question, a type citizens cannot book) is named next to its field
with nothing written and the input kept, and a stored text path opens in the form."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.audit.tables import AuditEntry
from plugins.booking import needs
from plugins.booking.tables import NeedsPath
from tests.helpers import post_form
from tests.plugins.booking.setup_data import create_setup
from tests.plugins.booking.test_needs import TWO_STEPS

NEW = "/booking/setup/needs/new"


def blank(q: int, options: int) -> dict[str, str]:
    """The empty rows a form always carries (a spare question, spare options)."""
    rows = {f"q{q}_{lang}": "" for lang in ("fi", "sv", "en")}
    for o in range(1, options + 1):
        rows |= {f"q{q}_o{o}_{lang}": "" for lang in ("fi", "sv", "en")} | {f"q{q}_o{o}_to": ""}
    return rows


def two_steps(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        **blank(3, 2),
        "name": "Perheasiat",
        "active": "yes",
        "q1_fi": "Kenen asia?",
        "q1_sv": "Vems ärende?",
        "q1_o1_fi": "Oma",
        "q1_o1_to": "question:2",
        "q1_o2_fi": "Aukioloajat",
        "q1_o2_to": "answer:1",
        "q1_o3_fi": "",  # a spare row between filled ones is left out
        "q1_o3_to": "",
        "q1_o4_fi": "Lapsen asia",
        "q1_o4_to": "type:ADVICE15",
        "q2_fi": "Mitä asia koskee?",
        "q2_o1_fi": "Arjen tuki",
        "q2_o1_en": "Support in everyday life",
        "q2_o1_to": "type:ADVICE15",
        "q2_o1_modes": ["phone"],
        "q2_o2_fi": "",
        "q2_o2_to": "",
        "a1_fi": "Avoinna arkisin 8–16.",
        "a1_sv": "Öppet vardagar 8–16.",
        "a2_fi": "",
    }
    return {**form, **changes}


async def test_a_path_saved_from_the_form_walks_as_written(admin: httpx.AsyncClient) -> None:
    await create_setup()
    new = await admin.get(NEW)
    assert new.status_code == 200
    assert 'id="f-q1_fi"' in new.text and 'name="q2_fi"' in new.text  # room for one more
    assert 'value="type:ADVICE15" selected' in new.text  # the example to start from

    saved = await post_form(admin, NEW, two_steps())
    assert saved.status_code == 200 and 'role="status"' in saved.text, saved.text
    row = await NeedsPath.select().first()
    path = needs.parse(row["definition"])
    await needs.validate(row["definition"])  # the citizen pages read it as before
    step = needs.walk(path, [0, 0])
    assert (step.type_code, step.modes) == ("ADVICE15", ("phone",))
    assert [g["answer"] for g in step.given] == ["Oma", "Arjen tuki"]
    assert needs.walk(path, [1]).answer == {
        "fi": "Avoinna arkisin 8–16.",
        "sv": "Öppet vardagar 8–16.",
        "en": "",
    }
    assert needs.walk(path, [2]).type_code == "ADVICE15"  # the row after the blank one

    edit = f"/booking/setup/needs/{row['id']}"
    page = await admin.get(edit)
    assert 'value="Kenen asia?"' in page.text and 'value="question:2" selected' in page.text
    renamed = await post_form(admin, edit, two_steps(name="Perhe", version="1"))
    assert renamed.status_code == 200 and 'role="status"' in renamed.text
    stale = await post_form(admin, edit, two_steps(name="Vanha", version="1"))
    assert stale.status_code == 409
    assert (await NeedsPath.select(NeedsPath.name).first())["name"] == "Perhe"
    entries = await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.entity == "booking_needs_path"
    )
    assert sorted(e["action"] for e in entries) == ["create", "update"]


BAD = {
    "loop": ({"q2_o1_to": "question:1", "q2_o1_modes": []}, "q2_o1_to"),
    "no target": ({"q1_o1_to": ""}, "q1_o1_to"),
    "empty question": ({"q1_o1_to": "question:3"}, "q1_o1_to"),
    "empty answer": ({"q1_o2_to": "answer:2"}, "q1_o2_to"),
    "no finnish": ({"q1_o1_fi": "", "q1_o1_sv": "Eget"}, "q1_o1_fi"),
    "mode not offered": ({"q2_o1_modes": ["remote"]}, "q2_o1_modes"),
    "modes without a type": ({"q1_o2_modes": ["phone"]}, "q1_o2_modes"),
    "not public": ({"q2_o1_to": "type:FOLLOW30", "q2_o1_modes": []}, "q2_o1_to"),
    "unreached": ({"q3_fi": "Unohtunut?", "q3_o1_fi": "x", "q3_o1_to": "answer:1"}, "q3_fi"),
    "no options": ({"q3_fi": "Tyhjä?", "q1_o4_to": "question:3"}, "q3_o1_fi"),
    "no name": ({"name": ""}, "name"),
    "too long": ({"q1_fi": "x" * 501}, "q1_fi"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_each_problem_is_named_next_to_its_field_and_nothing_is_written(
    admin: httpx.AsyncClient, case: str
) -> None:
    await create_setup()
    changes, field = BAD[case]
    refused = await post_form(admin, NEW, two_steps(**changes))
    assert refused.status_code == 400, refused.text
    assert f'id="f-{field}-error"' in refused.text
    assert 'value="Arjen tuki"' in refused.text  # what was written is kept
    assert await NeedsPath.count() == 0


async def test_a_text_path_opens_in_the_form_and_saves_back_the_same(
    admin: httpx.AsyncClient,
) -> None:
    await create_setup()
    rows = await NeedsPath.insert(
        NeedsPath(name="Perheasiat", definition=TWO_STEPS, active=True)
    ).returning(NeedsPath.id)
    edit = f"/booking/setup/needs/{rows[0]['id']}"
    page = await admin.get(edit)
    assert 'value="Kenen asia?"' in page.text and 'value="question:2" selected' in page.text
    assert 'value="answer:1" selected' in page.text
    assert "?view=text" in page.text and "start =" in (await admin.get(f"{edit}?view=text")).text
    form = {
        **blank(3, 2),
        "name": "Perheasiat",
        "active": "yes",
        "version": "1",
        "q1_fi": "Kenen asia?",
        "q1_sv": "Vems ärende?",
        "q1_en": "Whose matter?",
        "q1_o1_fi": "Oma",
        "q1_o1_sv": "Eget",
        "q1_o1_en": "My own",
        "q1_o1_to": "question:2",
        "q1_o2_fi": "Aukioloajat",
        "q1_o2_to": "answer:1",
        "q2_fi": "Mitä asia koskee?",
        "q2_en": "What is it about?",
        "q2_o1_fi": "Arjen tuki",
        "q2_o1_en": "Support in everyday life",
        "q2_o1_to": "type:ADVICE15",
        "q2_o1_modes": "phone",
        "a1_fi": "Avoinna arkisin 8-16.",
        "a1_sv": "Öppet vardagar 8-16.",
    }
    saved = await post_form(admin, edit, form)
    assert saved.status_code == 200 and 'role="status"' in saved.text
    before, after = (
        needs.parse(TWO_STEPS),
        needs.parse((await NeedsPath.select().first())["definition"]),
    )
    for choices in ([0], [0, 0], [1]):
        walked, again = needs.walk(before, choices), needs.walk(after, choices)
        assert (walked.type_code, walked.modes, walked.answer, walked.given) == (
            again.type_code,
            again.modes,
            again.answer,
            again.given,
        )
