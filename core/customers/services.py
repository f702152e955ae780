"""The customer register: create, correct, search, contact persons and life events."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.query.mixins import OrderByRaw

from core.audit import services as audit
from core.common.clock import now, today
from core.common.errors import NotFound, ValidationFailed
from core.common.pagination import ResultPage
from core.common.versioned import update_versioned
from core.customers import validation as v
from core.customers.forms import STATUSES, ContactForm, CustomerForm
from core.customers.moves import record_move
from core.customers.tables import ContactPerson, Customer
from core.db import is_sqlite
from core.i18n import N_
from core.web.forms import parse_form

if TYPE_CHECKING:
    from core.identity.services import CurrentUser
    from core.plugins.host import PluginHost

PAGE_SIZE = 25
EDITABLE_FIELDS = (
    "identity_code", "first_name", "last_name", "street_address", "postal_code",
    "municipality", "phone", "language", "status", "status_date", "notes",
)  # fmt: skip
CONTACT_FIELDS = ("name", "relationship", "phone", "email", "notes")


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as plugins and templates see it."""

    id: int
    identity_code: str
    first_name: str
    last_name: str
    street_address: str
    postal_code: str
    municipality: str
    phone: str
    language: str
    status: str
    status_date: dt.date | None
    notes: str
    version: int

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CustomerRecord:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


def _clean(form: Mapping[str, Any], municipalities: tuple[str, ...]) -> dict[str, Any]:
    """Validated customer fields from a form or JSON body; raises ValidationFailed with a
    message per wrong field."""
    customer = parse_form(CustomerForm, form, choices={"municipality": municipalities})
    values = msgspec.structs.asdict(customer)
    if values["status"] == "active":
        values["status_date"] = None
    return values


def _search_name(values: dict[str, Any]) -> str:
    return f"{values['last_name']} {values['first_name']}".lower()


def _audit_view(values: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps: the identity code is redacted, never stored in the log."""
    shown = {k: values[k] for k in EDITABLE_FIELDS if k in values}
    if "identity_code" in shown:
        shown["identity_code"] = audit.REDACTED
    return shown


DUPLICATE_IDENTITY_CODE = N_("A customer with this identity code exists.")


async def create_customer(
    actor: CurrentUser, form: dict[str, Any], municipalities: tuple[str, ...]
) -> int:
    values = _clean(form, municipalities)
    if await Customer.exists().where(Customer.identity_code == values["identity_code"]):
        raise ValidationFailed({"identity_code": DUPLICATE_IDENTITY_CODE})
    moment = now()
    # Two people adding the same customer at once: the second insert does nothing (no unique
    # violation, so neither the app's nor the database server's log quotes the code).
    rows = (
        await Customer.insert(
            Customer(
                **values,
                search_name=_search_name(values),
                phone_digits=v.phone_digits(values["phone"]),
                created_at=moment,
                updated_at=moment,
            )
        )
        .on_conflict(target=Customer.identity_code, action="DO NOTHING")
        .returning(Customer.id)
    )
    if not rows:
        raise ValidationFailed({"identity_code": DUPLICATE_IDENTITY_CODE})
    customer_id = int(rows[0]["id"])
    await audit.record(
        actor, "create", "customer", customer_id, customer_id=customer_id, after=_audit_view(values)
    )
    return customer_id


async def update_customer(
    actor: CurrentUser,
    customer_id: int,
    version: int,
    form: dict[str, Any],
    municipalities: tuple[str, ...],
    host: PluginHost | None = None,
) -> CustomerRecord:
    """Save corrections; a stale `version` raises VersionConflict and nothing is written."""
    before = await get_customer(customer_id)
    values = _clean(form, municipalities)
    if values["identity_code"] != before.identity_code and await Customer.exists().where(
        (Customer.identity_code == values["identity_code"]) & (Customer.id != customer_id)
    ):
        raise ValidationFailed({"identity_code": DUPLICATE_IDENTITY_CODE})
    columns = {Customer._meta.get_column_by_name(k): val for k, val in values.items()}
    columns[Customer.search_name] = _search_name(values)
    columns[Customer.phone_digits] = v.phone_digits(values["phone"])
    columns[Customer.updated_at] = now()
    try:
        row = await update_versioned(Customer, customer_id, version, columns, values)
    except (asyncpg.UniqueViolationError, sqlite3.IntegrityError) as exc:
        raise ValidationFailed({"identity_code": DUPLICATE_IDENTITY_CODE}) from exc
    after = CustomerRecord.from_row(row)
    old, new = audit.changes(_audit_view(asdict(before)), _audit_view(values))
    if not new:
        return after
    if after.municipality != before.municipality:
        await record_move(customer_id, before.municipality, today())
    await audit.record(
        actor, "update", "customer", customer_id, customer_id=customer_id, before=old, after=new
    )
    if host is not None:
        await _announce_changes(host, before, after, list(new), actor)
    return after


async def _announce_changes(
    host: PluginHost,
    before: CustomerRecord,
    after: CustomerRecord,
    changed: list[str],
    actor: CurrentUser,
) -> None:
    if after.status == "deceased" and before.status != "deceased":
        await host.acollect("valvomo_customer_died", customer=after, actor=actor)
    if after.municipality != before.municipality:
        await host.acollect(
            "valvomo_customer_moved",
            customer=after,
            previous_municipality=before.municipality,
            actor=actor,
        )
    corrected = [f for f in changed if f not in ("status", "status_date", "municipality")]
    if corrected:
        await host.acollect(
            "valvomo_customer_corrected", customer=after, changed_fields=corrected, actor=actor
        )


async def get_customer(customer_id: int) -> CustomerRecord:
    row = await Customer.select().where(Customer.id == customer_id).first()
    if row is None:
        raise NotFound(f"customer {customer_id}")
    return CustomerRecord.from_row(row)


_CONTACT_COLUMNS = ("id", "customer", *CONTACT_FIELDS, "version")
CUSTOMER_WITH_CONTACTS_SQL = (
    "SELECT "  # noqa: S608 - only column names of the tables enter the text
    + ", ".join(f"c.{f.name} AS {f.name}" for f in fields(CustomerRecord))
    + ", "
    + ", ".join(f"p.{name} AS contact_{name}" for name in _CONTACT_COLUMNS)
    + " FROM customer c LEFT JOIN contact_person p ON p.customer = c.id"
    " WHERE c.id = {} ORDER BY p.id"
)


# The same read writing the viewer's access-log entry, if the customer exists (PostgreSQL: a
# data-modifying WITH runs to completion whatever the main query reads of it).
VIEW_CUSTOMER_WITH_CONTACTS_SQL = (
    "WITH logged AS ("  # noqa: S608 - constant SQL text; every value is a parameter
    + audit.INSERT_ONE_SELECT
    + " WHERE EXISTS (SELECT 1 FROM customer WHERE id = {})) "
    + CUSTOMER_WITH_CONTACTS_SQL
)


async def get_customer_with_contacts(
    customer_id: int, viewer: CurrentUser | None = None
) -> tuple[CustomerRecord, list[dict[str, Any]]]:
    """The customer and their contact persons in one statement, for the customer page; with
    `viewer`, `record_view` of the customer too, in the same statement on PostgreSQL (a
    customer who does not exist is NotFound, and nothing is recorded)."""
    sqlite = is_sqlite(Customer._meta.db)
    if viewer is not None and not sqlite:
        entry = audit.entry_values(viewer, "view", "customer", customer_id, customer_id=customer_id)
        rows = await Customer.raw(VIEW_CUSTOMER_WITH_CONTACTS_SQL, *entry, customer_id, customer_id)
    else:
        rows = await Customer.raw(CUSTOMER_WITH_CONTACTS_SQL, customer_id)
    if not rows:
        raise NotFound(f"customer {customer_id}")
    if viewer is not None and sqlite:
        await record_view(viewer, customer_id)
    contacts = [
        {name: row[f"contact_{name}"] for name in _CONTACT_COLUMNS}
        for row in rows
        if row["contact_id"] is not None
    ]
    return CustomerRecord.from_row(rows[0]), contacts


async def record_view(actor: CurrentUser, customer_id: int, what: str = "customer") -> None:
    """Write to the access log that `actor` looked at the customer's data."""
    await audit.record(actor, "view", what, customer_id, customer_id=customer_id)


async def record_views(actor: CurrentUser, customer_ids: Iterable[int], what: str) -> None:
    """`record_view` once per customer, for a list that shows each one's personal details
    (written together, a few statements for any number of customers)."""
    await audit.record_each(actor, "view", what, [(c, c) for c in dict.fromkeys(customer_ids)])


LIST_COLUMNS = (
    Customer.id, Customer.identity_code, Customer.first_name, Customer.last_name,
    Customer.municipality, Customer.phone, Customer.status, Customer.street_address,
)  # fmt: skip


CUSTOMER_NUMBER = re.compile(r"#?[1-9]\d{0,6}")
# The region's own customer number as printed on its invoices ("LPA-2044", "A-1001", "004711"):
# one word of letters, digits and - / . with at least one digit.
REGION_NUMBER = re.compile(r"(?=[^\s]*\d)[0-9A-Za-z][0-9A-Za-z./-]{0,39}")


def search_condition(query: str, status: str = "") -> Any:
    """The WHERE clause of a search by name, phone, identity code or customer number.

    A caller reads out their whole customer number, so a number is matched exactly, never as
    a fragment: 1-7 digits without a leading zero (`#` allowed before them) find the customer
    with that customer number (the register's id) or with that region's customer number
    (`external_number`, the number on the region's invoices); any other word with a digit
    (`LPA-2044`) finds the customer with that region's customer number (as stored or in
    capitals). Both through their index (the primary key and `external_number`'s B-tree), so
    a number search reads a row or two whatever the register's size. Phone numbers are typed
    as they are read out, from their leading 0 or + (or in groups, `123 4567`), and match
    anywhere in the number. Names and phone numbers are found through an index: pg_trgm on
    PostgreSQL; on SQLite an FTS5 word index for names and an FTS5 trigram table for phone
    numbers (the core migrations of 2026-11-25 and 2026-11-26). An identity code is looked up
    by its unique index.
    """
    query = query.strip()
    condition: Any = None
    if CUSTOMER_NUMBER.fullmatch(query):
        digits = query.lstrip("#")
        condition = (Customer.id == int(digits)) | _region_number(digits)
    elif v.looks_like_identity_code(query):
        condition = Customer.identity_code == v.normalise_identity_code(query)
    elif re.fullmatch(r"[+\d\s-]{4,}", query):
        digits = re.sub(r"\D", "", query)
        condition = _with_candidates(
            Customer.phone_digits.like(f"%{digits}%"), "phone_digits", [digits]
        )
        if REGION_NUMBER.fullmatch(query):  # "004711" may be a region's number too
            condition = condition | _region_number(query)
    elif REGION_NUMBER.fullmatch(query):
        condition = _region_number(query, query.upper())
    else:
        tokens = [t.replace("%", "").replace("_", "") for t in query.lower().split()[:4]]
        for token in tokens:
            term: Any = Customer.search_name.like(f"{token}%") | Customer.search_name.like(
                f"% {token}%"
            )
            condition = term if condition is None else condition & term
        if condition is not None:
            condition = _with_name_candidates(condition, tokens)
    if status in STATUSES:
        by_status = Customer.status == status
        condition = by_status if condition is None else condition & by_status
    return condition


def _region_number(*numbers: str) -> Any:
    """The customers with one of `numbers` as their region's customer number, by its index.

    On SQLite as the ids of a sub-select: after ANALYZE of a register whose region numbers are
    all "" (none imported), SQLite judges that index useless and scans the whole table (or
    index) for `id = ? OR external_number = ?`; `id = ? OR id IN (…)` is two index look-ups.
    """
    condition = Customer.external_number.is_in(sorted(set(numbers)))
    if not is_sqlite(Customer._meta.db):
        return condition
    return Customer.id.is_in(Customer.select(Customer.id).where(condition))


def _with_candidates(condition: Any, column: str, fragments: list[str]) -> Any:
    """On SQLite, `condition` checked only on the rows whose `column` contains every fragment,
    found in the FTS5 trigram table.

    Fragments under three characters have no trigram and are left to `condition`. On
    PostgreSQL the planner answers the LIKE conditions from the pg_trgm index itself.
    """
    usable = [f for f in fragments if len(f) >= 3]
    if not is_sqlite(Customer._meta.db) or not usable:
        return condition
    likes = " AND ".join(f"{column} LIKE {{}}" for _ in usable)
    return condition & WhereRaw(
        f'"customer"."id" IN (SELECT rowid FROM customer_search WHERE {likes})',  # noqa: S608
        *[f"%{f}%" for f in usable],
    )


def _with_name_candidates(condition: Any, tokens: list[str]) -> Any:
    """On SQLite, `condition` checked only on the rows whose name has a word starting with each
    token, found in the FTS5 word index `customer_name_words` from the index alone.

    The word index splits as `condition` does (spaces; hyphens stay inside words), so every
    row `condition` accepts is a candidate. A token without letters or digits has no word to
    look up and is left to `condition`. On PostgreSQL the pg_trgm index answers the LIKEs.
    """
    words = [t for t in tokens if any(ch.isalnum() for ch in t)]
    if not is_sqlite(Customer._meta.db) or not words:
        return condition
    match = " AND ".join('"{}"*'.format(word.replace('"', '""')) for word in words)
    return condition & WhereRaw(
        '"customer"."id" IN (SELECT rowid FROM customer_name_words'
        " WHERE customer_name_words MATCH {})",
        match,
    )


# A search counts its matches up to this many; beyond, the list says "over 500, refine the
# search" and pages through the first 500. Counting every match of a short fragment ("nie")
# grew with the register (4,400 rows of 150,000) while the page shows 25.
COUNT_CAP = 500


async def search_customers(query: str, page: int = 1, status: str = "") -> ResultPage:
    """One page of the customers a search matches, in name order (code-point order of the
    lowercased "last first", then the customer number), with their count up to COUNT_CAP.

    The whole register (no query, no status) is counted exactly, for its pager."""
    page = max(1, page)
    offset = (page - 1) * PAGE_SIZE
    tokens = name_tokens(query)
    if tokens:
        conditions = _name_parts(tokens, status)
        rows = await _name_page(conditions, offset)
    else:
        condition = search_condition(query, status)
        conditions = [] if condition is None else [condition]
        select = Customer.select(*LIST_COLUMNS).where(*conditions)
        rows = (
            await select.order_by(Customer.search_name, Customer.id).limit(PAGE_SIZE).offset(offset)
        )
    for row in rows:
        row["identity_code"] = v.mask_identity_code(row["identity_code"])
    if (rows and len(rows) < PAGE_SIZE) or (not rows and page == 1):  # the last page: no count
        return ResultPage(rows=rows, total=offset + len(rows), page=page, page_size=PAGE_SIZE)
    if not conditions:
        return ResultPage(rows=rows, total=await Customer.count(), page=page, page_size=PAGE_SIZE)
    total = await _count_up_to(COUNT_CAP + 1, conditions)
    return ResultPage(
        rows=rows,
        total=min(total, COUNT_CAP),
        page=page,
        page_size=PAGE_SIZE,
        capped=total > COUNT_CAP,
    )


async def _count_up_to(cap: int, conditions: list[Any]) -> int:
    """The customers matching any of `conditions` (which no customer matches two of), counted
    up to `cap` each: the count stops reading there."""
    parts = [
        Customer.select(Customer.id).where(condition).limit(cap).querystrings[0]
        for condition in conditions
    ]
    union = " UNION ALL ".join(
        f'SELECT * FROM ({{}}) AS "part{i}"'  # noqa: S608 - no values
        for i in range(len(parts))
    )
    counted = await Customer.raw(
        f'SELECT COUNT(*) AS "n" FROM ({union}) AS "matches"',  # noqa: S608 - no values
        *parts,
    )
    return int(counted[0]["n"])


def name_tokens(query: str) -> list[str]:
    """The words of a search by name (at most four, lowercased, without LIKE's wildcards), or
    [] when `query` is a number, phone number or identity code, or has no word: the words
    `search_condition` matches names by."""
    query = query.strip()
    if (
        CUSTOMER_NUMBER.fullmatch(query)
        or v.looks_like_identity_code(query)
        or re.fullmatch(r"[+\d\s-]{4,}", query)
        or REGION_NUMBER.fullmatch(query)
    ):
        return []
    tokens = [t.replace("%", "").replace("_", "") for t in query.lower().split()[:4]]
    return [t for t in tokens if t]


def _name_order() -> str:
    """Name order as code points on both databases: SQLite compares text so; PostgreSQL with
    the C collation, whatever the database's own (its index: the core migration of
    2026-11-26T10:00)."""
    return '"search_name"' if is_sqlite(Customer._meta.db) else '"search_name" COLLATE "C"'


def _starts_with(token: str, negated: bool = False) -> Any:
    """The name's first word starts with `token` (or, `negated`, does not): a range of the
    name index, since the name starts with it (in code-point order every text from `token` up
    to the one after it, and no other, does)."""
    order = _name_order()
    following = ord(token[-1]) + 1
    if following == 0xD800:  # no text holds a surrogate: the next character is U+E000
        following = 0xE000
    if following > 0x10FFFF:  # the last character there is: no text after, only the prefix
        if negated:
            return WhereRaw(f"{order} < {{}}", token) | Customer.search_name.not_like(f"{token}%")
        return WhereRaw(f"{order} >= {{}}", token) & Customer.search_name.like(f"{token}%")
    after = token[:-1] + chr(following)
    if negated:
        return WhereRaw(f"({order} < {{}} OR {order} >= {{}})", token, after)
    return WhereRaw(f"{order} >= {{}} AND {order} < {{}}", token, after)


def _later_word_starts_with(token: str) -> Any:
    """A word after the first starts with `token`. On PostgreSQL through the trigram index
    of the name without its first word (the core migration of 2026-11-26T10:00): the index
    of the whole name finds every "Mäki" to check when "mäki" is searched for as a first name.
    """
    if is_sqlite(Customer._meta.db):
        return Customer.search_name.like(f"% {token}%")
    return WhereRaw(LATER_WORDS + " LIKE {}", f"% {token}%")


# The name from its first space on (" aino" of "mäki aino"); the expression of its index.
LATER_WORDS = "regexp_replace(\"customer\".\"search_name\", '^[^ ]*', '')"


def _name_parts(tokens: list[str], status: str) -> list[Any]:
    """A search by name as conditions that no customer meets two of, one per way a name is
    found: for each token, the name (the last name) starts with it (and not with an earlier
    token); and last, no token starts the name, every one starts a later word. Each part's
    other tokens start a word of the name; a status given is the customer's. The parts that
    start the name are ranges of the name index."""
    by_status = [Customer.status == status] if status in STATUSES else []
    parts = []
    for i, token in enumerate(tokens):
        condition = _starts_with(token)
        for other in tokens[:i]:  # an earlier token starts a later word
            condition &= _starts_with(other, negated=True) & _later_word_starts_with(other)
        for other in tokens[i + 1 :]:
            condition &= _starts_with(other) | _later_word_starts_with(other)
        for extra in by_status:
            condition &= extra
        parts.append(condition)
    later = _later_word_starts_with(tokens[0])
    for token in tokens[1:]:
        later &= _later_word_starts_with(token)
    for token in tokens:
        later &= _starts_with(token, negated=True)
    for extra in by_status:
        later &= extra
    return [*parts, _with_name_candidates(later, tokens)]


async def _name_page(parts: list[Any], offset: int) -> list[dict[str, Any]]:
    """A page of a search by name: its parts (`_name_parts`) read in name order and merged.
    Each part stops at the page's last row, so a fragment that thousands of names share costs
    about what one that few do: a part where a token starts the name is a range of the name
    index read in order; the planner reads the last part from that index in order when its
    matches are many, or from the trigram (SQLite: word) index and sorts them when few."""
    order = f'{_name_order()}, "id"'
    selects = [
        Customer.select(*LIST_COLUMNS, Customer.search_name)
        .where(condition)
        .order_by(OrderByRaw(order))
        .limit(offset + PAGE_SIZE)
        .querystrings[0]
        for condition in parts
    ]
    union = " UNION ALL ".join(
        f'SELECT * FROM ({{}}) AS "part{i}"'  # noqa: S608 - no values
        for i in range(len(selects))
    )
    rows = await Customer.raw(
        f'SELECT * FROM ({union}) AS "page"'  # noqa: S608 - no values
        f" ORDER BY {order} LIMIT {{}} OFFSET {{}}",
        *selects,
        PAGE_SIZE,
        offset,
    )
    for row in rows:
        del row["search_name"]
    return rows


# -- contact persons ---------------------------------------------------------------------


def _clean_contact(form: Mapping[str, Any]) -> dict[str, Any]:
    return msgspec.structs.asdict(parse_form(ContactForm, form))


async def list_contacts(customer_id: int) -> list[dict[str, Any]]:
    return (
        await ContactPerson.select()
        .where(ContactPerson.customer == customer_id)
        .order_by(ContactPerson.id)
    )


async def get_contact(customer_id: int, contact_id: int) -> dict[str, Any]:
    contact = (
        await ContactPerson.select()
        .where((ContactPerson.id == contact_id) & (ContactPerson.customer == customer_id))
        .first()
    )
    if contact is None:
        raise NotFound(f"contact {contact_id}")
    return contact


async def add_contact(actor: CurrentUser, customer_id: int, form: dict[str, Any]) -> int:
    await get_customer(customer_id)
    values = _clean_contact(form)
    rows = await ContactPerson.insert(ContactPerson(customer=customer_id, **values)).returning(
        ContactPerson.id
    )
    contact_id = int(rows[0]["id"])
    await audit.record(
        actor, "create", "contact_person", contact_id, customer_id=customer_id, after=values
    )
    return contact_id


async def update_contact(
    actor: CurrentUser, customer_id: int, contact_id: int, version: int, form: dict[str, Any]
) -> None:
    before = await get_contact(customer_id, contact_id)
    values = _clean_contact(form)
    columns = {ContactPerson._meta.get_column_by_name(k): val for k, val in values.items()}
    await update_versioned(ContactPerson, contact_id, version, columns, values)
    old, new = audit.changes({k: before[k] for k in CONTACT_FIELDS}, values)
    if new:
        await audit.record(
            actor,
            "update",
            "contact_person",
            contact_id,
            customer_id=customer_id,
            before=old,
            after=new,
        )


async def remove_contact(actor: CurrentUser, customer_id: int, contact_id: int) -> None:
    before = await get_contact(customer_id, contact_id)
    await ContactPerson.delete().where(ContactPerson.id == contact_id)
    await audit.record(
        actor,
        "delete",
        "contact_person",
        contact_id,
        customer_id=customer_id,
        before={k: before[k] for k in CONTACT_FIELDS},
    )
