"""Core's own figure: the euros billed (closed months) or to be billed (open months)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from core.billing.lines import plugin_lines, snapshot_lines
from core.billing.periods import period_state
from core.customers.moves import municipalities_on
from core.customers.tables import Customer
from core.i18n import N_
from core.plugins.types import BillingPeriod, Metric, MetricCell, MetricContext
from core.situation.cells import stamp_text
from core.situation.services import DECLARED, declared_metrics

BILLED = "billing.euros"
# Prices, fee decisions and where customers live: what billing adds to the services' data.
BILLING_STAMP = (
    "SELECT (SELECT COUNT(*) FROM billing_price) AS prices,"
    " (SELECT SUM(version) FROM billing_price) AS price_versions,"
    " (SELECT SUM(id) FROM billing_price) AS price_ids,"
    " (SELECT COUNT(*) FROM billing_fee_decision) AS fees,"
    " (SELECT SUM(version) FROM billing_fee_decision) AS fee_versions,"
    " (SELECT SUM(id) FROM billing_fee_decision) AS fee_ids,"
    " (SELECT SUM(version) FROM customer) AS customers"
)
PRICES_STAMP = (
    "SELECT (SELECT COUNT(*) FROM billing_price) AS prices,"
    " (SELECT SUM(version) FROM billing_price) AS price_versions,"
    " (SELECT SUM(id) FROM billing_price) AS price_ids"
)
FEES_BY_CUSTOMER = (
    "SELECT customer, COUNT(*) AS fees, SUM(version) AS versions, SUM(id) AS ids"
    " FROM billing_fee_decision GROUP BY customer"
)


async def billed_euros(period: BillingPeriod, context: MetricContext) -> list[MetricCell]:
    """A closed month's frozen lines, or an open month's lines as billing would give them now."""
    state = await period_state(period)
    if state.is_closed:
        lines = await snapshot_lines(state)
        if context.customers is not None:
            lines = [ln for ln in lines if ln.customer_id in context.customers]
    else:
        lines = await plugin_lines(context.host, period, context.customers)
    euros: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        euros[line.customer_id] += line.amount
    homes = await municipalities_on(period.last_day)  # where each lived at the month's end
    return [
        MetricCell(municipality=homes.get(c, ""), value=amount, customers=1, customer=c)
        for c, amount in euros.items()
    ]


async def billed_stamp(period: BillingPeriod, context: MetricContext) -> str | None:
    """A closed month's state (its lines are frozen); an open month's prices, fee decisions,
    customers and the stamps of every service's figures of the month, which cover what the
    services bill. None (recompute every round) if a service's figures have no stamp."""
    state = await period_state(period)
    if state.is_closed:
        return stamp_text(state)
    parts: list[object] = [state, context.settings.plugin_settings]
    parts += [tuple(r.values()) for r in await Customer.raw(BILLING_STAMP)]
    for metric in metrics_of(context).values():
        if metric.name == BILLED:
            continue
        stamp = await metric.stamp(period, context) if metric.stamp else None
        if stamp is None:
            return None
        parts.append(stamp)
    return stamp_text(*parts)


async def billed_customer_stamps(
    period: BillingPeriod, context: MetricContext
) -> dict[int, str] | None:
    """Per customer of an open month: their fee decisions and their stamps in every service
    that stamps its customers, with the prices and the other services' month stamps common to
    all. None for a closed month (its month stamp never moves) or when a service has no stamp."""
    state = await period_state(period)
    if state.is_closed:
        return None
    common: list[object] = [state, context.settings.plugin_settings]
    common += [tuple(r.values()) for r in await Customer.raw(PRICES_STAMP)]
    parts: dict[int, list[object]] = defaultdict(list)
    for service, metric in _one_per_service(context).items():
        stamps = await metric.customer_stamps(period, context) if metric.customer_stamps else None
        if stamps is None:
            stamp = await metric.stamp(period, context) if metric.stamp else None
            if stamp is None:
                return None
            common.append(stamp)
            continue
        for customer, customer_stamp in stamps.items():
            parts[customer].append((service, customer_stamp))
    for r in await Customer.raw(FEES_BY_CUSTOMER):
        parts[r["customer"]].append(tuple(r.values()))
    return {customer: stamp_text(common, *p) for customer, p in parts.items()}


def metrics_of(context: MetricContext) -> dict[str, Metric]:
    """The declared metrics, as the same objects the refresh is computing where it computes
    them: their queries shared within the round are then run once, not again for billing."""
    declared = declared_metrics(context.host)
    declared.update(context.shared.get(DECLARED, {}))
    return declared


def _one_per_service(context: MetricContext) -> dict[str, Metric]:
    """A metric of each service besides billing: a service's figures share their stamps."""
    found: dict[str, Metric] = {}
    for metric in metrics_of(context).values():
        if metric.name != BILLED:
            found.setdefault(metric.service, metric)
    return found


def core_metrics() -> list[Metric]:
    return [
        Metric(
            name=BILLED,
            label=N_("Billed euros"),
            unit="euros",
            service="billing",
            compute=billed_euros,
            list_path="/billing/{year}/{month_number}",
            list_permission="billing.view",
            # the month's lines narrow to the customers of a municipality; billed euros have
            # no kitchen or unit
            list_areas=("municipality",),
            order=900,
            stamp=billed_stamp,
            customer_stamps=billed_customer_stamps,
        )
    ]
