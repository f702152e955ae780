"""Demo data: three service units, six professionals, three appointment types, a month of
weekly openings around today and bookings in about a third of their times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.booking.availability import opening_applies, opening_slots, slot_key
from plugins.booking.tables import (
    AppointmentType,
    Booking,
    ClientPlanDuty,
    NeedsPath,
    Opening,
    Professional,
    ServiceUnit,
)
from valvomo.api import DEMO_PASSWORD, DemoContext, SystemActor, create_user, insert_objects, now

UNITS = [
    ("Seinäjoen perheneuvola", "Seinäjoki", "Koulukatu 21"),
    ("Lapuan sosiaalitoimisto", "Lapua", "Poselliinkatu 1"),
    ("Kauhajoen palvelupiste", "Kauhajoki", "Topeeka 45"),
]
DEMO_NEEDS_PATH = """start = "asia"

[questions.asia]
fi = "Mitä asiasi koskee?"
sv = "Vad gäller ditt ärende?"
en = "What is your matter about?"

[[questions.asia.options]]
fi = "Lapsen tai perheen arki"
sv = "Barnets eller familjens vardag"
en = "A child's or the family's everyday life"
next = "kiire"

[[questions.asia.options]]
fi = "Oma jaksaminen tai arjen sujuminen"
sv = "Hur jag orkar eller hur vardagen fungerar"
en = "Coping or everyday life"
type = "NEUVONTA15"

[[questions.asia.options]]
fi = "Toimipisteiden aukioloajat"
sv = "Verksamhetsställenas öppettider"
en = "Opening hours of the offices"
answer = "aukiolo"

[questions.kiire]
fi = "Riittääkö lyhyt puhelu?"
sv = "Räcker det med ett kort samtal?"
en = "Is a short phone call enough?"

[[questions.kiire.options]]
fi = "Kyllä, lyhyt puhelu riittää"
sv = "Ja, ett kort samtal räcker"
en = "Yes, a short call is enough"
type = "NEUVONTA15"
modes = ["phone"]

[[questions.kiire.options]]
fi = "Ei, tarvitsemme pidemmän tapaamisen"
sv = "Nej, vi behöver ett längre möte"
en = "No, we need a longer meeting"
type = "PERHE45"

[answers.aukiolo]
fi = "Toimipisteet ovat avoinna arkisin klo 8–16. Ajan voi varata verkossa milloin vain."
sv = "Verksamhetsställena är öppna vardagar kl. 8–16. Du kan boka tid på nätet när som helst."
en = "The offices are open on weekdays 8–16. You can book online at any time."
"""

TYPES = [
    (
        "NEUVONTA15",
        "Neuvonta-aika 15 min",
        15,
        ["phone", "remote", "office"],
        True,
        "Mieti etukäteen, mistä haluat puhua.",
        "",
    ),
    (
        "PERHE45",
        "Perheneuvonta 45 min",
        45,
        ["remote", "office"],
        True,
        "Varaa rauhallinen paikka etätapaamiselle.",
        "Kela-kortti, ajanvarausvahvistus",
    ),
    ("JATKO30", "Jatkokäynti 30 min", 30, ["phone", "office"], False, "", "Edellinen suunnitelma"),
]
PROFESSIONAL_NAMES = ["Sanna Koski", "Mikko Rinne", "Liisa Harju", "Jari Peltola", "Tiina Aho"]


async def _professional_users(demo: DemoContext, actor: SystemActor) -> list[int]:
    ids = list(demo.user_ids_by_role.get("professional", []))
    for number, name in enumerate(PROFESSIONAL_NAMES, start=2):
        ids.append(
            await create_user(
                actor,
                username=f"professional{number}",
                full_name=name,
                password=DEMO_PASSWORD,
                role_codes=["professional"],
            )
        )
    return ids


async def create_demo_data(demo: DemoContext) -> None:
    actor = SystemActor(full_name="valvomo demo")
    units = await ServiceUnit.insert(
        *[ServiceUnit(name=n, municipality=m, street_address=a) for n, m, a in UNITS]
    ).returning(ServiceUnit.id)
    types = await AppointmentType.insert(
        *[
            AppointmentType(
                code=c,
                name=n,
                duration_minutes=d,
                modes=m,
                public=p,
                preparation=prep,
                bring_list=bring,
            )
            for c, n, d, m, p, prep, bring in TYPES
        ]
    ).returning(AppointmentType.id)
    user_ids = await _professional_users(demo, actor)
    professionals = await Professional.insert(
        *[
            Professional(user=uid, unit=units[i % len(units)]["id"], title="Sosiaaliohjaaja")
            for i, uid in enumerate(user_ids)
        ]
    ).returning(Professional.id)
    first, last = demo.today - dt.timedelta(days=14), demo.today + dt.timedelta(days=30)
    openings = _openings(
        demo, [p["id"] for p in professionals], [t["id"] for t in types], first, last
    )
    await Opening.insert(*[Opening(**o) for o in openings])
    specs = {t["id"]: (spec[2], spec[3][0]) for t, spec in zip(types, TYPES, strict=True)}
    rows = _bookings(demo, openings, specs, first, last)
    await insert_objects(Booking, rows)
    plans = [
        ClientPlanDuty(
            customer=cid,
            professional=professionals[i % len(professionals)]["id"],
            last_updated=demo.today - dt.timedelta(days=demo.random.randint(30, 360)),
        )
        for i, cid in enumerate(demo.customer_ids[:60])
    ]
    await ClientPlanDuty.insert(*plans)
    await NeedsPath.insert(NeedsPath(name="Perhe- ja arkiasiat", definition=DEMO_NEEDS_PATH))
    demo.progress(f"booking: {len(professionals)} professionals, {len(rows)} bookings")


def _openings(
    demo: DemoContext,
    professional_ids: list[int],
    type_ids: list[int],
    first: dt.date,
    last: dt.date,
) -> list[dict[str, Any]]:
    openings = []
    for number, professional_id in enumerate(professional_ids):
        for weekday in range(5):
            morning_type = type_ids[(number + weekday) % len(type_ids)]
            for type_id, start, end in ((morning_type, 9, 11), (type_ids[0], 12, 15)):
                openings.append(
                    {
                        "professional": professional_id,
                        "appointment_type": type_id,
                        "weekday": weekday,
                        "on_date": None,
                        "valid_from": first,
                        "valid_until": last,
                        "start_time": dt.time(start),
                        "end_time": dt.time(end),
                    }
                )
    return openings


def _bookings(
    demo: DemoContext,
    openings: list[dict[str, Any]],
    specs: dict[int, tuple[int, str]],
    first: dt.date,
    last: dt.date,
) -> list[Booking]:
    rows = []
    moment = now()
    day = first
    while day <= last:
        for opening in openings:
            if not opening_applies(opening, day):
                continue
            duration, mode = specs[opening["appointment_type"]]
            for start, end in opening_slots(opening, day, duration):
                if demo.random.random() > 0.35:
                    continue
                past = end < moment
                status = demo.random.choice(["done"] * 9 + ["no_show"]) if past else "booked"
                rows.append(
                    Booking(
                        professional=opening["professional"],
                        appointment_type=opening["appointment_type"],
                        starts_at=start,
                        ends_at=end,
                        mode=mode,
                        status=status,
                        slot_key=None if past else slot_key(opening["professional"], start),
                        customer=demo.random.choice(demo.customer_ids),
                        description="",
                        reminder_channel="sms",
                        created_at=moment,
                    )
                )
        day += dt.timedelta(days=1)
    return rows
