"""Retention of security phone alarms: an alarm with its visit some days after it occurred."""

from __future__ import annotations

import datetime as dt

from plugins.security_phones.tables import Alarm
from valvomo.api import ExpiredRecord, RetentionRule, expired_records


async def expired_alarms(cutoff: dt.datetime, limit: int) -> list[ExpiredRecord]:
    return await expired_records("sp_alarm", Alarm.customer, Alarm.occurred_at < cutoff, limit)


async def delete_alarms(ids: list[int]) -> None:
    await Alarm.delete().where(Alarm.id.is_in(ids))  # its visit cascades with it


ALARMS = RetentionRule(
    kind="security_phones_alarms",
    label="Security phone alarms with their visits and visit notes",
    find_expired=expired_alarms,
    delete=delete_alarms,
)
