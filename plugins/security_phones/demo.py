"""Demo data: a few hundred phone customers with devices, keys, and a year of alarms and visits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.security_phones.alarms import token_hash
from plugins.security_phones.tables import (
    Alarm,
    AlarmCentre,
    AlarmVisit,
    CallingContact,
    Device,
    DeviceEvent,
    HomeKey,
    Installation,
    KeyHandover,
    PhoneDecision,
    PhoneService,
)
from valvomo.api import HELSINKI, ContactPerson, DemoContext, insert_objects, now

MODELS = {
    "base_unit": "Essence Care@Home",
    "wrist_button": "Essence ES700",
    "fall_detector": "Essence ES800FD",
    "door_sensor": "Essence ES800MCT",
    "smoke_detector": "Essence ES800SD",
    "gps_tracker": "Navigil S5",
}
ALARM_KINDS = (("button", 70), ("fall", 12), ("technical", 12), ("smoke", 3), ("door", 3))


async def load_demo(demo: DemoContext) -> None:
    rng, today = demo.random, demo.today
    count = min(len(demo.customer_ids), max(10, int(300 * demo.scale)))
    customers = rng.sample(demo.customer_ids, count)
    demo.progress(f"security phones: {count} customers, devices and a year of alarms")
    rows = await AlarmCentre.insert(
        AlarmCentre(
            name="Hätäkeskus-palvelu Oy (demo)",
            token_hash=token_hash("demo-centre-token"),
            created_at=now(),
        )
    ).returning(AlarmCentre.id)
    centre_id = rows[0]["id"]
    services: list[PhoneService] = []
    devices: list[Device] = []
    installed: list[tuple[int, dt.date]] = []
    for n, customer_id in enumerate(customers):
        start = today - dt.timedelta(days=rng.randint(20, 900))
        end = today - dt.timedelta(days=rng.randint(0, 15)) if rng.random() < 0.05 else None
        services.append(
            PhoneService(
                customer=customer_id,
                decision_date=start - dt.timedelta(days=rng.randint(3, 20)),
                start_date=start,
                end_date=end,
                installation_date=start + dt.timedelta(days=rng.randint(0, 5)),
                installer=rng.choice(
                    ["Kotihoito Seinäjoki", "Turvapuhelintiimi", "Laitetoimittaja"]
                ),
                centre=centre_id,
                centre_customer_id=f"HK{100000 + n}",
            )
        )
        kinds = ["base_unit", "wrist_button"] + (["fall_detector"] if rng.random() < 0.25 else [])
        for kind in kinds + (["smoke_detector"] if rng.random() < 0.1 else []):
            devices.append(
                Device(
                    serial_number=f"SP{len(devices) + 100000}",
                    model=MODELS[kind],
                    kind=kind,
                    status="installed",
                    customer=customer_id,
                )
            )
            installed.append((customer_id, start + dt.timedelta(days=2)))
    stock = [
        Device(
            serial_number=f"SP{len(devices) + 100000 + i}",
            model=MODELS[kind],
            kind=kind,
            status=rng.choice(["in_stock", "in_stock", "in_maintenance", "returned"]),
        )
        for i, kind in enumerate(rng.choices(list(MODELS), k=max(20, count // 5)))
    ]
    service_ids = await insert_objects(PhoneService, services)
    await _decisions(demo, service_ids, services)
    device_ids = await insert_objects(Device, devices + stock)
    await _history(device_ids, devices + stock, installed)
    await _contacts_and_keys(demo, customers)
    await _alarms(demo, centre_id, customers, device_ids[: len(devices)], devices)


DEMO_MAKERS = ("Sosiaaliohjaaja Laine", "Palveluohjaaja Mäkelä", "Sosiaaliohjaaja Koski")
DEMO_BASES = (
    "Kaatumisriski, asuu yksin.",
    "Muistisairaus; omaiset asuvat kaukana.",
    "Sydämen vajaatoiminta, tarvitsee apua nopeasti.",
)


async def _decisions(demo: DemoContext, service_ids: list[int], services: list[Any]) -> None:
    """Each service's decision to grant it, and the decision to end the ended ones."""
    rng, moment = demo.random, now()
    rows = []
    for service_id, s in zip(service_ids, services, strict=True):
        maker = rng.choice(DEMO_MAKERS)
        made = [("opening", s.decision_date, rng.choice(DEMO_BASES), s.start_date)]
        if s.end_date is not None:
            made.append(("ending", s.end_date, "Asiakas muuttaa palvelutaloon.", s.end_date))
        rows += [
            PhoneDecision(service=service_id, kind=kind, decided_on=decided_on,
                          decision_maker=maker, basis=basis, effective_date=effective,
                          created_at=moment)
            for kind, decided_on, basis, effective in made
        ]  # fmt: skip
    await insert_objects(PhoneDecision, rows)


async def _history(
    device_ids: list[int], devices: list[Any], installed: list[tuple[int, dt.date]]
) -> None:
    moment = now()
    installations = [
        Installation(device=device_ids[i], customer=customer, installed_on=day)
        for i, (customer, day) in enumerate(installed)
    ]
    events = [
        DeviceEvent(
            device=device_id, status=d.status, customer=d.customer, at=moment, by_name="demo"
        )
        for device_id, d in zip(device_ids, devices, strict=True)
    ]
    await insert_objects(Installation, installations)
    await insert_objects(DeviceEvent, events)


async def _contacts_and_keys(demo: DemoContext, customers: list[int]) -> None:
    rng = demo.random
    contacts = await ContactPerson.select(ContactPerson.id, ContactPerson.customer).where(
        ContactPerson.customer.is_in(customers)
    )
    positions: dict[int, int] = {}
    calling = []
    for c in contacts:
        positions[c["customer"]] = positions.get(c["customer"], 0) + 1
        calling.append(
            CallingContact(
                customer=c["customer"], contact=c["id"], position=positions[c["customer"]]
            )
        )
    await insert_objects(CallingContact, calling)
    keys = [
        HomeKey(
            customer=c,
            label=f"Avainkaappi {rng.randint(1, 40)}, koukku {rng.randint(1, 60)}",
            holder=rng.choice(["Kotihoito, Seinäjoen tiimi 1", "Turvapalvelu Oy"]),
        )
        for c in customers
        if rng.random() < 0.8
    ]
    key_ids = await insert_objects(HomeKey, keys)
    await insert_objects(
        KeyHandover,
        [
            KeyHandover(key=k, to_holder=key.holder, at=now(), by_name="demo")
            for k, key in zip(key_ids, keys, strict=True)
        ],
    )


async def _alarms(
    demo: DemoContext,
    centre_id: int,
    customers: list[int],
    device_ids: list[int],
    devices: list[Any],
) -> None:
    rng = demo.random
    base_units = {d.customer: device_ids[i] for i, d in enumerate(devices) if d.kind == "base_unit"}
    start = dt.datetime.combine(demo.today - dt.timedelta(days=365), dt.time(), HELSINKI)
    kinds = [k for k, _ in ALARM_KINDS]
    weights = [w for _, w in ALARM_KINDS]
    alarms: list[Alarm] = []
    for customer_id in customers:
        for _ in range(rng.randint(2, 40)):
            kind = rng.choices(kinds, weights)[0]
            occurred = start + dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60 - 1))
            alarms.append(
                Alarm(
                    centre=centre_id,
                    centre_alarm_id=f"D{len(alarms) + 1}",
                    occurred_at=occurred.astimezone(dt.UTC),
                    customer=customer_id,
                    device=base_units.get(customer_id),
                    kind=kind,
                    detail=rng.choice(["low_battery", "connection_lost"])
                    if kind == "technical"
                    else "",
                    outcome="Apu lähetetty" if kind in ("fall", "smoke") else "Puhelu, ei tarvetta",
                    visit_needed=kind in ("fall", "smoke")
                    or (kind == "button" and rng.random() < 0.3),
                )
            )
    alarm_ids = await insert_objects(Alarm, alarms)
    home_care = demo.user_ids_by_role.get("home_care", [None])
    visits = []
    for alarm_id, alarm in zip(alarm_ids, alarms, strict=True):
        if alarm.visit_needed and alarm.occurred_at < now() - dt.timedelta(days=2):
            sent = alarm.occurred_at + dt.timedelta(minutes=rng.randint(2, 10))
            arrived = sent + dt.timedelta(minutes=rng.randint(8, 70))
            visits.append(
                AlarmVisit(
                    alarm=alarm_id,
                    visitor=rng.choice(home_care),
                    dispatched_at=sent,
                    arrived_at=arrived,
                    done_at=arrived + dt.timedelta(minutes=rng.randint(10, 45)),
                    notes="Asiakas autettu ylös, ei vammoja.",
                )
            )
    await insert_objects(AlarmVisit, visits)
