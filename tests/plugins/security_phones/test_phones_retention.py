"""Retention of alarms: an alarm and its visit go once the region's days have passed, each
deletion audited by alarm id and customer only."""

from __future__ import annotations

import datetime as dt

from core.audit.sealing import verify_chain
from core.audit.tables import AuditEntry
from core.common.clock import now
from core.operations import retention
from core.web.runtime import Runtime
from plugins.security_phones.tables import Alarm, AlarmCentre, AlarmVisit
from tests.plugins.security_phones.factories import new_customer


async def alarm(centre: int, customer: int, age_days: int, notes: str) -> int:
    moment = now() - dt.timedelta(days=age_days)
    rows = await Alarm.insert(
        Alarm(
            centre=centre,
            centre_alarm_id=f"a{age_days}",
            occurred_at=moment,
            customer=customer,
            kind="fall",
            visit_needed=True,
        )
    ).returning(Alarm.id)
    await AlarmVisit.insert(AlarmVisit(alarm=rows[0]["id"], dispatched_at=moment, notes=notes))
    return int(rows[0]["id"])


async def test_alarms_with_their_visits_go_after_the_regions_days(runtime: Runtime) -> None:
    customer = await new_customer()
    centre = (
        await AlarmCentre.insert(
            AlarmCentre(name="C", token_hash="x" * 64, created_at=now())
        ).returning(AlarmCentre.id)
    )[0]["id"]
    old = await alarm(centre, customer, 800, "Kaatui keittiössä")
    recent = await alarm(centre, customer, 30, "Nostettu")
    rules = runtime.host.collect("valvomo_retention_rules")
    assert "security_phones_alarms" in {r.kind for r in rules}

    kept = retention.plans(rules, {})
    dry = {r.kind: r for r in await retention.run(kept, dry_run=True)}
    assert dry["security_phones_alarms"].days is None  # kept until the region sets days

    plans = retention.plans(rules, {"security_phones_alarms": 730})
    dry = {r.kind: r for r in await retention.run(plans, dry_run=True)}
    assert dry["security_phones_alarms"].records == 1
    assert await Alarm.count() == 2

    done = {r.kind: r for r in await retention.run(plans, dry_run=False)}
    assert done["security_phones_alarms"].records == 1
    assert [r["id"] for r in await Alarm.select(Alarm.id)] == [recent]
    assert [r["alarm"] for r in await AlarmVisit.select(AlarmVisit.alarm)] == [recent]
    audit = await AuditEntry.select().where(AuditEntry.action == "retention_delete")
    assert [(a["entity"], a["entity_id"], a["customer_id"]) for a in audit] == [
        ("sp_alarm", str(old), customer)
    ]
    assert "Kaatui" not in str(audit[0]) and "fall" not in str(audit[0])
    report, problems = await verify_chain()
    assert problems == [] and report.checked > 0
