"""CachedQuery: a Piccolo query's SQL built once, run with new arguments, same answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from core.customers.tables import ContactPerson, Customer
from core.db import CachedQuery, get_database
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
