"""Everything a Valvomo plugin may use from the platform, in one module.

    from valvomo.api import CurrentUser, ValidationFailed, hookimpl, N_, transaction

A plugin imports the platform only from here (`tests/test_public_api.py` holds the built-in
plugins to it). The names are grouped as in docs/plugin-reference.md. Four names are
namespaces, used as `audit.record(...)`, `customers.record_view(...)`, `fees.decisions_in(...)`
and `dates.FIRST_YEAR`.

The names are imported when a plugin first uses one (`__getattr__` below, PEP 562), so that a
command (`valvomo import`, `valvomo billing export`) loads only what its plugins' modules use,
not every page of the platform; type checkers read the imports in the `TYPE_CHECKING` block.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names load when a plugin first uses one (see __getattr__)
    from core.audit import services as audit
    from core.audit.services import Actor, SystemActor
    from core.billing import fees
    from core.billing.commands import month_argument
    from core.billing.days import decode as decode_days
    from core.billing.days import encode as encode_days
    from core.billing.invoices import InvoiceFormat, InvoiceMonth
    from core.billing.periods import next_period, period_containing, period_of, previous_period
    from core.billing.prices import PriceList, PricePeriod, price_list
    from core.billing.services import customer_names
    from core.citizen.services import Citizen, may_use
    from core.citizen.views import CITIZEN, render_citizen, require_citizen
    from core.cli import console, load_runtime, run_with_database
    from core.common import dates
    from core.common.clock import HELSINKI, now, today
    from core.common.dates import date_from_form, parse_date, parse_moment, parse_month, parse_time
    from core.common.errors import NotFound, ValidationFailed, VersionConflict
    from core.common.exports import CONTENT_TYPES, Cell, export, to_csv
    from core.common.pagination import ResultPage, page_count
    from core.common.spreadsheets import read_rows
    from core.common.versioned import update_versioned
    from core.customers import services as customers
    from core.customers.areas import ListArea, customers_living_in, list_area
    from core.customers.moves import municipalities_on
    from core.customers.services import (
        CustomerRecord,
        get_customer,
        record_view,
        record_views,
        search_condition,
    )
    from core.customers.tables import ContactPerson, Customer
    from core.customers.validation import normalise_phone
    from core.db import (
        CachedQuery,
        chunked,
        get_database,
        in_conditions,
        insert_objects,
        insert_rows,
        is_sqlite,
        transaction,
    )
    from core.decisions import (
        DecisionBasis,
        DecisionFields,
        DecisionMaker,
        DecisionNotices,
        citizen_decisions,
        decision_date_problems,
        decision_values,
    )
    from core.demo import DEMO_PASSWORD
    from core.i18n import (
        N_,
        add_region_terms,
        current_language,
        fmt_date,
        fmt_datetime,
        fmt_money,
        fmt_phone,
        gettext,
        in_language,
        ngettext,
    )
    from core.identity.guards import require_user
    from core.identity.services import CurrentUser, create_user, session_data, set_session_data
    from core.identity.tables import StaffRole, StaffUser, UserRole
    from core.imports import (
        ImportStep,
        NumberedRow,
        RowProblem,
        StepResult,
        import_group,
        import_options,
        run_import_command,
    )
    from core.labels import label, labels_of, register_labels, register_tones
    from core.notifications.services import (
        cancel_messages,
        cancel_messages_of,
        queue_message,
        requeue_cancelled,
        sms_recipient_problem,
    )
    from core.operations.retention import expired_records
    from core.plugins import (
        ADMINISTRATION,
        BillingLine,
        BillingPeriod,
        CitizenDecision,
        DemoContext,
        ExpiredRecord,
        Metric,
        MetricCell,
        MetricContext,
        NavItem,
        Panel,
        Permission,
        PluginConfigError,
        PriceSeed,
        Product,
        Report,
        RetentionRule,
        Role,
        TaskKind,
        hookimpl,
    )
    from core.plugins.types import (
        CLOSED_BY_ACTION,
        MetricCompute,
        MetricCustomerStamps,
        MetricStamp,
    )
    from core.situation.cells import (
        MonthRows,
        Rows,
        cells_of,
        column_of,
        counted,
        customer_stamps_of,
        grouped,
        month_query,
        shared,
        stamp_of,
        stamp_text,
    )
    from core.situation.months import add_months, month_bounds, month_text
    from core.situation.months import parse_month as parse_period
    from core.tasks.services import close_tasks, create_task
    from core.tasks.tables import Task
    from core.web.confirm import is_confirmed, render_confirmation
    from core.web.forms import (
        PHONE,
        After,
        Check,
        DateField,
        FieldError,
        Message,
        MomentField,
        OneOf,
        Parse,
        Rule,
        parse_form,
        read_form,
        submit_form,
    )
    from core.web.notices import Undo, add_notice, redirect_with_notice
    from core.web.openapi import Day, Month, OptionalRecordId, RecordId
    from core.web.pages import CSRF_FIELD, as_list, form_data, int_field, render, render_conflict
    from core.web.ratelimit import TooManyRequests, enforce
    from core.web.runtime import runtime_of

__all__ = [
    "ADMINISTRATION",
    "CITIZEN",
    "CLOSED_BY_ACTION",
    "CONTENT_TYPES",
    "CSRF_FIELD",
    "DEMO_PASSWORD",
    "HELSINKI",
    "N_",
    "PHONE",
    "Actor",
    "After",
    "BillingLine",
    "BillingPeriod",
    "CachedQuery",
    "Cell",
    "Check",
    "Citizen",
    "CitizenDecision",
    "ContactPerson",
    "CurrentUser",
    "Customer",
    "CustomerRecord",
    "DateField",
    "Day",
    "DecisionBasis",
    "DecisionFields",
    "DecisionMaker",
    "DecisionNotices",
    "DemoContext",
    "ExpiredRecord",
    "FieldError",
    "ImportStep",
    "InvoiceFormat",
    "InvoiceMonth",
    "ListArea",
    "Message",
    "Metric",
    "MetricCell",
    "MetricCompute",
    "MetricContext",
    "MetricCustomerStamps",
    "MetricStamp",
    "MomentField",
    "Month",
    "MonthRows",
    "NavItem",
    "NotFound",
    "NumberedRow",
    "OneOf",
    "OptionalRecordId",
    "Panel",
    "Parse",
    "Permission",
    "PluginConfigError",
    "PriceList",
    "PricePeriod",
    "PriceSeed",
    "Product",
    "RecordId",
    "Report",
    "ResultPage",
    "RetentionRule",
    "Role",
    "RowProblem",
    "Rows",
    "Rule",
    "StaffRole",
    "StaffUser",
    "StepResult",
    "SystemActor",
    "Task",
    "TaskKind",
    "TooManyRequests",
    "Undo",
    "UserRole",
    "ValidationFailed",
    "VersionConflict",
    "add_months",
    "add_notice",
    "add_region_terms",
    "as_list",
    "audit",
    "cancel_messages",
    "cancel_messages_of",
    "cells_of",
    "chunked",
    "citizen_decisions",
    "close_tasks",
    "column_of",
    "console",
    "counted",
    "create_task",
    "create_user",
    "current_language",
    "customer_names",
    "customer_stamps_of",
    "customers",
    "customers_living_in",
    "date_from_form",
    "dates",
    "decision_date_problems",
    "decision_values",
    "decode_days",
    "encode_days",
    "enforce",
    "expired_records",
    "export",
    "fees",
    "fmt_date",
    "fmt_datetime",
    "fmt_money",
    "fmt_phone",
    "form_data",
    "get_customer",
    "get_database",
    "gettext",
    "grouped",
    "hookimpl",
    "import_group",
    "import_options",
    "in_conditions",
    "in_language",
    "insert_objects",
    "insert_rows",
    "int_field",
    "is_confirmed",
    "is_sqlite",
    "label",
    "labels_of",
    "list_area",
    "load_runtime",
    "may_use",
    "month_argument",
    "month_bounds",
    "month_query",
    "month_text",
    "municipalities_on",
    "next_period",
    "ngettext",
    "normalise_phone",
    "now",
    "page_count",
    "parse_date",
    "parse_form",
    "parse_moment",
    "parse_month",
    "parse_period",
    "parse_time",
    "period_containing",
    "period_of",
    "previous_period",
    "price_list",
    "queue_message",
    "read_form",
    "read_rows",
    "record_view",
    "record_views",
    "redirect_with_notice",
    "register_labels",
    "register_tones",
    "render",
    "render_citizen",
    "render_confirmation",
    "render_conflict",
    "requeue_cancelled",
    "require_citizen",
    "require_user",
    "run_import_command",
    "run_with_database",
    "runtime_of",
    "search_condition",
    "session_data",
    "set_session_data",
    "shared",
    "sms_recipient_problem",
    "stamp_of",
    "stamp_text",
    "submit_form",
    "to_csv",
    "today",
    "transaction",
    "update_versioned",
]


def _sources() -> dict[str, tuple[str, str]]:
    """Each public name's module and name there, read from the imports above (one list)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If))
    found = {}
    for node in block.body:
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        for alias in node.names:
            found[alias.asname or alias.name] = (node.module, alias.name)
    return found


_SOURCES: dict[str, tuple[str, str]] = {}


if not TYPE_CHECKING:  # type checkers see only the imports above, so a misspelt name fails

    def __getattr__(name: str) -> Any:
        """A public name, imported on first use: a command such as `valvomo import` then loads only
        what its plugins' modules use, not every page of the platform (PEP 562)."""
        if not _SOURCES:
            _SOURCES.update(_sources())
        try:
            module, attribute = _SOURCES[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        source = importlib.import_module(module)
        value = (
            getattr(source, attribute)
            if hasattr(source, attribute)
            else importlib.import_module(f"{module}.{attribute}")
        )
        globals()[name] = value
        return value
