"""`valvomo import customers FILE`: the customer register from the old spreadsheets.

One row per customer, found by identity code: a new code creates the customer, a known one
updates the register data that differs, and a row equal to the register changes nothing, so a
second run of the same file writes nothing. Columns: docs/billing.md, "Go-live import".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.audit import services as audit
from core.audit.services import Actor
from core.common.clock import now, today
from core.customers import payers
from core.customers import validation as v
from core.customers.moves import record_move
from core.customers.tables import Customer
from core.db import in_conditions, insert_rows
from core.i18n import N_, gettext
from core.imports import NumberedRow, RowProblem, StepResult

REQUIRED = ("identity_code", "first_name", "last_name", "municipality")
OPTIONAL = ("street_address", "postal_code", "phone", "language", "external_number",
            "payer_name", "payer_relationship", "payer_street_address", "payer_postal_code",
            "payer_post_office")  # fmt: skip
COLUMNS = (*REQUIRED, *OPTIONAL)
LIMITS = {"first_name": 100, "last_name": 100, "municipality": 100, "street_address": 200,
          "external_number": 40, "payer_name": 200, "payer_relationship": 100,
          "payer_street_address": 200, "payer_post_office": 100}  # fmt: skip
PAYER = {f"payer_{f}": f for f in payers.FIELDS}  # the file's payer columns → a payer's fields
REGISTER = tuple(c for c in COLUMNS if c not in PAYER)  # the customer table's columns
UPDATED = tuple(c for c in COLUMNS if c not in ("identity_code", "first_name", "last_name"))


@dataclass
class CustomerImport:
    rows: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


def _values(number: int, row: dict[str, str]) -> tuple[dict[str, Any], list[RowProblem]]:
    problems: list[RowProblem] = []

    def problem(column: str, message: str, **variables: Any) -> None:
        problems.append(RowProblem(number, column, gettext(message, **variables)))

    values = {c: (row.get(c) or "").strip() for c in COLUMNS}
    for column in REQUIRED:
        if not values[column]:
            problem(column, N_("missing"))
    code = values["identity_code"] = v.normalise_identity_code(values["identity_code"])
    if code and (message := v.identity_code_problem(code)):
        problem("identity_code", message)
    for column, limit in LIMITS.items():
        if len(values[column]) > limit:
            problem(column, N_("longer than %(limit)s characters"), limit=limit)
    for column in ("postal_code", "payer_postal_code"):
        if v.postal_code_problem(values[column]):
            problem(column, N_("a postal code has five digits"))
    if values["phone"]:
        phone = v.normalise_phone(values["phone"])
        if phone is None:
            problem("phone", N_("not a phone number"))
        values["phone"] = phone or ""
    values["language"] = values["language"].lower() or "fi"
    if values["language"] not in ("fi", "sv", "en"):
        problem("language", N_("use fi, sv or en"))
    if values["payer_name"] and not (
        values["payer_street_address"] and values["payer_postal_code"]
    ):
        problem("payer_street_address", N_("a payer other than the customer needs an address"))
    return values, problems


async def check_rows(rows: list[NumberedRow]) -> CustomerImport:
    """Sort each row into new, changed or unchanged; a bad row and every row of a customer whose
    rows disagree is reported and left out."""
    report = CustomerImport(rows=len(rows))
    first_row: dict[str, tuple[int, dict[str, Any]]] = {}
    bad: set[str] = set()
    for number, row in rows:
        values, problems = _values(number, row)
        code = values["identity_code"]
        if code in first_row and not problems and first_row[code][1] != values:
            problems.append(
                RowProblem(
                    number,
                    "identity_code",
                    gettext(
                        "the same customer as row %(row)s with different data",
                        row=first_row[code][0],
                    ),
                )
            )
        report.errors += problems
        if problems:
            bad.add(code)
        first_row.setdefault(code, (number, values))
    reported = {p.row for p in report.errors}
    for code in sorted(bad & set(first_row)):
        if first_row[code][0] not in reported:
            report.errors.append(
                RowProblem(first_row[code][0], "", gettext("not imported, see the rows below"))
            )
    wanted = {code: values for code, (_, values) in first_row.items() if code not in bad}
    existing = await _existing(list(wanted))
    for code, values in wanted.items():
        stored = existing.get(code)
        if stored is None:
            report.new.append(values)
        elif (stored["first_name"], stored["last_name"]) != (
            values["first_name"],
            values["last_name"],
        ):
            report.errors.append(
                RowProblem(
                    first_row[code][0],
                    "identity_code",
                    gettext(
                        "belongs to %(name)s in the register, not to this name",
                        name=f"{stored['last_name']} {stored['first_name']}",
                    ),
                )
            )
        elif any(stored[c] != values[c] for c in UPDATED):
            report.changed.append((stored, values))
        else:
            report.unchanged += 1
    return report


class CustomerStep:
    """Customers of a sheet, by identity code (see `core.imports`)."""

    name = N_("customers")

    def carries(self, row: dict[str, str]) -> bool:
        return True

    async def check(self, rows: list[NumberedRow]) -> StepResult:
        report = await check_rows(rows)

        async def write_checked(actor: Actor) -> None:
            await write(actor, report)

        return StepResult(
            problems=report.errors,
            new=len(report.new),
            changed=len(report.changed),
            unchanged=report.unchanged,
            write=write_checked,
        )


async def _existing(codes: list[str]) -> dict[str, dict[str, Any]]:
    """The register's customers of these codes, with the payer in force today as the file's
    payer columns."""
    found: dict[str, dict[str, Any]] = {}
    for condition in in_conditions(Customer.identity_code, codes):
        rows = await Customer.select(
            Customer.id, Customer.version, *[getattr(Customer, c) for c in REGISTER]
        ).where(condition)
        found.update({r["identity_code"]: r for r in rows})
    paying = await payers.payers_on([r["id"] for r in found.values()], today())
    for row in found.values():
        payer = paying.get(row["id"])
        row["payer"] = payer
        row.update({column: getattr(payer, f) if payer else "" for column, f in PAYER.items()})
    return found


def _redacted(values: dict[str, Any]) -> dict[str, Any]:
    return {k: val for k, val in values.items() if k != "identity_code"}


async def write(actor: Actor, report: CustomerImport) -> None:
    """Create the new customers and update the changed ones, each audited, and set their payers
    (`core.customers.payers`). In a transaction."""
    moment = now()
    columns = [getattr(Customer, c) for c in REGISTER] + [
        Customer.search_name, Customer.phone_digits, Customer.created_at, Customer.updated_at,
    ]  # fmt: skip
    rows = [
        (*(values[c] for c in REGISTER),
         f"{values['last_name']} {values['first_name']}".lower(),
         v.phone_digits(values["phone"]), moment, moment)
        for values in report.new
    ]  # fmt: skip
    created = await insert_rows(
        Customer, columns, rows, returning=[Customer.id, Customer.identity_code]
    )
    ids = {row["identity_code"]: row["id"] for row in created}
    audited: list[audit.AuditItem] = [
        (ids[values["identity_code"]], ids[values["identity_code"]], None, _redacted(values))
        for values in report.new
    ]
    payer_changes = []
    for stored, values in report.changed:
        before, after = audit.changes(
            {c: stored[c] for c in UPDATED}, {c: values[c] for c in UPDATED}
        )
        register = [c for c in after if c not in PAYER]
        if register:
            await Customer.update(
                {
                    **{getattr(Customer, c): values[c] for c in register},
                    Customer.phone_digits: v.phone_digits(values["phone"]),
                    Customer.updated_at: moment,
                    Customer.version: Customer.version + 1,
                }
            ).where(Customer.id == stored["id"])
        if "municipality" in after:
            await record_move(stored["id"], stored["municipality"], today())
        if any(c in PAYER for c in after):
            payer_changes.append(
                payers.PayerChange(stored["id"], _payer_fields(values), stored["payer"])
            )
        audited.append((stored["id"], stored["id"], before, after))
    await audit.record_many(actor, "import", "customer", audited)
    await payers.write_imported(
        actor,
        [(ids[values["identity_code"]], _payer_fields(values)) for values in report.new],
        payer_changes,
    )


def _payer_fields(values: dict[str, Any]) -> dict[str, str]:
    return {field: values[column] for column, field in PAYER.items()}
