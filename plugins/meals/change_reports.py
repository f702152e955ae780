"""Changes reported by home care, client guidance and other staff ("Report a change").

A report records what changed, who reported it, when and through which channel, and lands in
the coordinator's inbox. The coordinator opens the matching action pre-filled from it (a pause
with the dates, a route change, an ending); doing the action marks the report handled and
closes its task. Reports stay on the service's history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.meals import forms
from plugins.meals.tables import MealChangeReport, MealPause, MealService
from valvomo.api import (
    CLOSED_BY_ACTION,
    N_,
    Actor,
    NotFound,
    TaskKind,
    ValidationFailed,
    audit,
    close_tasks,
    create_task,
    get_customer,
    now,
    parse_form,
)

COORDINATOR = "meal_coordinator"
CHANGE_TASK = TaskKind(
    "meals.change_report",
    N_("Act on a reported change"),
    COORDINATOR,
    link="/meals/services/{meal_service}/reports/{report}",
    closed_by=CLOSED_BY_ACTION,
)
KINDS = {
    "absence": N_("Hospital stay or other absence"),
    "address": N_("Address or door code change"),
    "death": N_("Death"),
    "wish_to_end": N_("Wish to end the service"),
    "other": N_("Other change"),
}
CHANNELS = {
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "visit": N_("Visit"),
    "customer": N_("The customer themself"),
}
STATUSES = {"open": N_("Waiting"), "handled": N_("Handled")}
# the action each kind of report turns into (the service page's action forms)
ACTION_OF_KIND = {"absence": "pause", "address": "delivery", "death": "end", "wish_to_end": "end"}
REPORTABLE = ("opening_requested", "active", "paused", "ending_requested")


def _overlaps(start: dt.date, end: dt.date | None, pause: dict[str, Any]) -> bool:
    other_end = pause["end_date"]
    return (end is None or pause["start_date"] <= end) and (other_end is None or start <= other_end)


async def report_change(actor: Actor, service_id: int, data: dict[str, Any]) -> int:
    """Record a reported change and put it in the coordinator's inbox."""
    service = await MealService.select().where(MealService.id == service_id).first()
    if service is None:
        raise NotFound(f"meal service {service_id}")
    errors: dict[str, str] = {}
    if service["status"] not in REPORTABLE:
        errors["kind"] = N_("The service has ended; nothing to report.")
    report = parse_form(
        forms.ChangeReportForm, data, choices={"kind": KINDS, "channel": CHANNELS}, errors=errors
    )
    kind, channel, details = report.kind, report.channel, report.details
    start, end = report.start_date, report.end_date
    if start is None and kind in ("absence", "death"):
        errors["start_date"] = N_("Enter a date like 7.12.2026.")
    if kind == "absence" and start is not None:
        pauses = await MealPause.select().where(MealPause.service == service_id)
        if any(_overlaps(start, end, p) for p in pauses):
            errors["start_date"] = N_("The absence overlaps a pause already recorded.")
    if kind in ("address", "other") and not details:
        errors["details"] = N_("Describe the change.")
    if errors:
        raise ValidationFailed(errors)
    values: dict[str, Any] = {
        "kind": kind,
        "channel": channel,
        "details": details,
        "start_date": start,
        "end_date": end,
    }
    rows = await MealChangeReport.insert(
        MealChangeReport(
            service=service_id,
            reported_by=getattr(actor, "id", None),
            reported_at=now(),
            **values,
        )
    ).returning(MealChangeReport.id)
    report_id = int(rows[0]["id"])
    await audit.record(
        actor,
        "create",
        "meal_change_report",
        report_id,
        customer_id=service["customer"],
        after=values,
    )
    customer = await get_customer(service["customer"])
    await create_task(
        actor,
        CHANGE_TASK,
        f"{customer.full_name}: {details[:200]}",
        customer_id=service["customer"],
        payload={"meal_service": service_id, "report": report_id},
    )
    return report_id


async def get_report(service_id: int, report_id: int) -> dict[str, Any]:
    row = (
        await MealChangeReport.select(
            *MealChangeReport.all_columns(), MealChangeReport.reported_by.full_name
        )
        .where((MealChangeReport.id == report_id) & (MealChangeReport.service == service_id))
        .first()
    )
    if row is None:
        raise NotFound(f"meal change report {report_id}")
    return row


async def reports_of(service_id: int) -> list[dict[str, Any]]:
    return (
        await MealChangeReport.select(
            *MealChangeReport.all_columns(), MealChangeReport.reported_by.full_name
        )
        .where(MealChangeReport.service == service_id)
        .order_by(MealChangeReport.reported_at, ascending=False)
    )


def prefill(report: dict[str, Any], action: str) -> dict[str, Any]:
    """Form values for `action` taken from the report (dates, reason)."""
    reason = KINDS[report["kind"]]
    text = report["details"] or reason
    start: dt.date | None = report["start_date"]
    end: dt.date | None = report["end_date"]
    values: dict[str, Any] = {"report": report["id"]}
    if action == "pause":
        values.update(start_date=start, end_date=end, reason=text[:300])
    elif action == "end":
        values.update(end_date=start or end, ending_reason=text)
    elif action == "delivery":
        values.update(door_notes=report["details"])
    return values


async def mark_handled(
    actor: Actor, service_id: int, report_id: int, action: str, outcome: str = ""
) -> None:
    """The report was acted on (`action`, or "note" with the outcome `forms.HandledForm`
    read): it is handled and its inbox task closed, in the transaction of the action."""
    report = await get_report(service_id, report_id)
    if report["status"] != "open":
        raise ValidationFailed({"report": N_("This report has already been handled.")})
    await MealChangeReport.update(
        {
            MealChangeReport.status: "handled",
            MealChangeReport.handled_action: action,
            MealChangeReport.handled_at: now(),
            MealChangeReport.outcome: outcome,
            MealChangeReport.version: MealChangeReport.version + 1,
        }
    ).where(MealChangeReport.id == report_id)
    service = (
        await MealService.select(MealService.customer).where(MealService.id == service_id).first()
    )
    customer_id = int(service["customer"]) if service else 0
    await audit.record(
        actor,
        "update",
        "meal_change_report",
        report_id,
        customer_id=customer_id,
        before={"status": "open"},
        after={"status": "handled", "action": action, "outcome": outcome},
    )
    await close_tasks(
        actor,
        CHANGE_TASK,
        customer_id,
        {"meal_service": service_id, "report": report_id},
        outcome or action,
    )
