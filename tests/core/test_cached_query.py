"""CachedQuery: a Piccolo query's SQL built once, run with new arguments, same answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from core.customers.tables import ContactPerson, Customer
from core.db import CachedQuery, get_database, native_sql, run_raw
from core.engines import count_statements

CONTACTS = CachedQuery(
    lambda customer_id, name: (
        ContactPerson.select(ContactPerson.id, ContactPerson.name, ContactPerson.customer.last_name)
        .where((ContactPerson.customer == customer_id) & (ContactPerson.name != name))
        .order_by(ContactPerson.name)
    )
)
NEWEST = CachedQuery(
    lambda status, limit: (
        Customer.select(Customer.id, Customer.last_name)
        .where(Customer.status == status)
        .order_by(Customer.id, ascending=False)
        .limit(limit)
    )
)


async def add_contacts(customer_id: int, *names: str) -> None:
    for name in names:
        await ContactPerson.insert(ContactPerson(customer=customer_id, name=name, phone=""))


async def test_answers_as_the_query_it_caches_for_each_argument(
    make_customer: Callable[..., Awaitable[int]],
) -> None:
    first = await make_customer(last_name="Nieminen")
    second = await make_customer(last_name="Korhonen")
    await add_contacts(first, "Pekka", "Anna", "Liisa")
    await add_contacts(second, "Ville")

    with count_statements() as statements:
        async with get_database().connection():
            cached = [await CONTACTS(c, "Liisa") for c in (first, second, first)]
    direct = [
        await ContactPerson.select(
            ContactPerson.id, ContactPerson.name, ContactPerson.customer.last_name
        )
        .where((ContactPerson.customer == c) & (ContactPerson.name != "Liisa"))
        .order_by(ContactPerson.name)
        for c in (first, second, first)
    ]
    assert cached == direct
    assert [r["name"] for r in cached[0]] == ["Anna", "Pekka"]
    assert cached[0][0]["customer.last_name"] == "Nieminen"
    assert [r["name"] for r in cached[1]] == ["Ville"]
    assert len(statements) == 3


async def test_keyword_arguments_build_sql_of_their_own(
    make_customer: Callable[..., Awaitable[int]],
) -> None:
    ids = [await make_customer(last_name=name) for name in ("Aho", "Berg", "Cajander")]
    assert [r["id"] for r in await NEWEST("active", limit=2)] == ids[:0:-1]
    assert [r["id"] for r in await NEWEST("active", limit=3)] == ids[::-1]
    assert await NEWEST("ended", limit=3) == []


async def test_arguments_that_do_not_reach_the_sql_as_parameters_are_refused() -> None:
    inlined = CachedQuery(lambda alias: Customer.select(Customer.id.as_alias(alias)))
    with pytest.raises(ValueError, match="bind parameter"):
        await inlined("number")
    with pytest.raises(ValueError, match="must not be None"):
        await NEWEST(None, limit=1)


async def test_on_a_held_connection_and_without_one_the_answers_are_the_same(
    make_customer: Callable[..., Awaitable[int]],
) -> None:
    """Inside a request the SQL runs straight on its connection; elsewhere through Piccolo;
    a query whose rows Piccolo reshapes (nested output) is reshaped either way."""
    customer = await make_customer(last_name="Nieminen")
    await add_contacts(customer, "Anna")
    nested = CachedQuery(
        lambda customer_id: (
            ContactPerson.select(ContactPerson.name, ContactPerson.customer.last_name)
            .where(ContactPerson.customer == customer_id)
            .output(nested=True)
        )
    )
    outside = (await CONTACTS(customer, "x"), await nested(customer))
    async with get_database().connection():
        inside = (await CONTACTS(customer, "x"), await nested(customer))
        async with get_database().transaction():
            in_transaction = (await CONTACTS(customer, "x"), await nested(customer))
    assert outside == inside == in_transaction
    assert inside[1] == [{"name": "Anna", "customer": {"last_name": "Nieminen"}}]


def test_placeholders_become_the_drivers() -> None:
    sql = "SELECT a FROM t WHERE b = {} AND c > {}"
    assert native_sql(sql, "postgres") == "SELECT a FROM t WHERE b = $1 AND c > $2"
    assert native_sql(sql, "sqlite") == "SELECT a FROM t WHERE b = ? AND c > ?"
    assert native_sql("SELECT 1", "postgres") == "SELECT 1"


async def test_run_raw_answers_as_piccolos_raw(
    make_customer: Callable[..., Awaitable[int]],
) -> None:
    customer = await make_customer(last_name="Korhonen")
    sql = "SELECT id, last_name FROM customer WHERE id = {}"
    expected = await Customer.raw(sql, customer)
    async with get_database().connection():
        assert await run_raw(Customer, sql, customer) == expected
    assert (
        await run_raw(Customer, sql, customer)
        == expected
        == [{"id": customer, "last_name": "Korhonen"}]
    )
