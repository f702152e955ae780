"""Core's demo data: staff users for every role and a register of realistic customers."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from core.audit import services as audit
from core.common.clock import now, today
from core.customers.tables import ContactPerson, Customer
from core.customers.validation import CHECK_CHARS, phone_digits
from core.db import insert_objects
from core.identity import services as identity
from core.plugins.types import DemoContext, Role
from core.web.runtime import Runtime

DEMO_PASSWORD = "valvomo-demo-2026"
FIRST_NAMES = [
    "Aino", "Aili", "Anna", "Eila", "Elsa", "Helmi", "Hilkka", "Irja", "Kaarina", "Lahja",
    "Leena", "Maija", "Marjatta", "Martta", "Sirkka", "Terttu", "Tyyne", "Vieno", "Aarne",
    "Antti", "Eino", "Erkki", "Heikki", "Jorma", "Kalevi", "Lauri", "Martti", "Paavo",
    "Pentti", "Reino", "Tauno", "Toivo", "Veikko", "Väinö", "Raili", "Seija", "Ulla", "Kerttu",
]  # fmt: skip
LAST_NAMES = [
    "Ahola", "Alanko", "Hakala", "Harju", "Heikkilä", "Hautala", "Hietala", "Jokela",
    "Kangas", "Kivelä", "Koivisto", "Korpela", "Kujala", "Lahti", "Latvala", "Luoma", "Mäki",
    "Mäkelä", "Niemi", "Nurmi", "Ojala", "Peltola", "Perälä", "Rinta", "Saari", "Salmi",
    "Sillanpää", "Takala", "Tuomela", "Välimäki", "Yli-Koski", "Aho", "Hannula", "Kauppi",
]  # fmt: skip
STREETS = [
    "Koulutie",
    "Kirkkotie",
    "Rantatie",
    "Myllytie",
    "Koivukuja",
    "Pappilantie",
    "Asematie",
    "Kauppakatu",
    "Peltotie",
    "Vanhatie",
    "Jokivarrentie",
    "Mäntytie",
]


def identity_code_for(rng: random.Random, year: int) -> str:
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    individual = rng.randint(2, 899)
    base = f"{day:02d}{month:02d}{year % 100:02d}"
    sign = "-" if year < 2000 else "A"
    return f"{base}{sign}{individual:03d}{CHECK_CHARS[int(base + f'{individual:03d}') % 31]}"


def customer_rows(
    rng: random.Random, count: int, municipalities: tuple[str, ...]
) -> list[Customer]:
    seen: set[str] = set()
    rows: list[Customer] = []
    moment = now()
    while len(rows) < count:
        code = identity_code_for(rng, rng.randint(1925, 1955))
        if code in seen:
            continue
        seen.add(code)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        phone = f"+35840{rng.randint(1000000, 9999999)}"
        rows.append(
            Customer(
                identity_code=code,
                first_name=first,
                last_name=last,
                search_name=f"{last} {first}".lower(),
                street_address=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                postal_code=f"6{rng.randint(0, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}0",
                municipality=rng.choice(municipalities),
                phone=phone,
                phone_digits=phone_digits(phone),
                language="sv" if rng.random() < 0.05 else "fi",
                status="active",
                created_at=moment,
                updated_at=moment,
            )
        )
    return rows


async def load_demo(
    runtime: Runtime,
    customers: int = 1500,
    seed: int = 2026,
    progress: Callable[[str], None] = lambda step: None,
) -> dict[str, Any]:
    """Create demo users and customers, then let every plugin add its own data.

    `progress` is told each step as it starts (the demo command shows it).
    """
    rng = random.Random(seed)
    progress(f"demo users and {customers:,} customers")
    system = audit.SystemActor(full_name="valvomo demo")
    async with runtime.database.transaction():
        for username, role in demo_logins(runtime):
            await identity.create_user(
                system,
                username=username,
                full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                password=DEMO_PASSWORD,
                role_codes=[role.code],
            )
        ids = await insert_objects(
            Customer, customer_rows(rng, customers, runtime.settings.municipalities)
        )
        contacts = [
            ContactPerson(
                customer=cid,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                relationship=rng.choice(["tytär", "poika", "puoliso", "naapuri"]),
                phone=f"+35850{rng.randint(1000000, 9999999)}",
            )
            for cid in ids
            if rng.random() < 0.6
        ]
        await insert_objects(ContactPerson, contacts)
        await audit.record(system, "create", "demo_data", "", after={"customers": len(ids)})
    context = DemoContext(
        random=rng,
        customer_ids=ids,
        user_ids_by_role=await identity.user_ids_by_role(),
        today=today(),
    )
    progress("the services' demo data (" + ", ".join(runtime.settings.enabled_plugins) + ")")
    async with runtime.database.transaction():
        await runtime.host.acollect("valvomo_demo_data", demo=context)
    return {"customers": len(ids)}


def demo_logins(runtime: Runtime) -> list[tuple[str, Role]]:
    """One demo user per role, named after the role: admin, client.guidance, ..."""
    return [(role.code.replace("_", "."), role) for role in runtime.roles]
