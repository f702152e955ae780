"""Customer search through the trigram index: same answers as the plain conditions, kept in
step with edits, and the index is what the database uses."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from core.customers import services
from core.customers.services import LIST_COLUMNS, search_condition
from core.customers.tables import Customer
from core.db import get_database, insert_objects, is_sqlite, transaction
from core.demo import customer_rows
from tests.core.test_customers import create, form, valid_code
from tests.helpers import api_headers, make_user, post_form


async def _names(query: str) -> list[str]:
    page = await services.search_customers(query)
    return sorted(f"{r['last_name']} {r['first_name']}" for r in page.rows)


async def test_search_finds_word_prefixes_and_phone_fragments(admin: httpx.AsyncClient) -> None:
    await create(admin, first_name="Aino", last_name="Virtanen", phone="040 123 4567")
    await create(
        admin,
        identity_code=valid_code("020250", "A", "456"),
        first_name="Eino",
        last_name="Mäki-Kovero",
        phone="050 765 4321",
    )
    assert await _names("virt") == ["Virtanen Aino"]
    assert await _names("ain virta") == ["Virtanen Aino"]
    assert await _names("ino") == []  # word prefixes only, as before the index
    assert await _names("mäki") == ["Mäki-Kovero Eino"]
    assert await _names("kovero") == []  # within a word is not a word start
    assert await _names("765 43") == ["Mäki-Kovero Eino"]
    assert await _names("e") == ["Mäki-Kovero Eino"]
    assert len(await _names("")) == 2


async def test_search_follows_corrections_and_removals(admin: httpx.AsyncClient) -> None:
    customer_id = await create(admin, first_name="Aino", last_name="Virtanen")
    response = await post_form(
        admin, f"/customers/{customer_id}/edit", form(last_name="Niemi", version=1)
    )
    assert response.status_code == 200
    assert await _names("virt") == []
    assert await _names("niemi") == ["Niemi Aino"]
    await Customer.delete().where(Customer.id == customer_id)
    assert await _names("niemi") == []


async def test_name_search_is_answered_from_the_trigram_index() -> None:
    await make_user()
    rows = customer_rows(random.Random(3), 300, ("Seinäjoki",))
    async with transaction():
        await insert_objects(Customer, rows)
    select = Customer.select(*LIST_COLUMNS).where(search_condition("virtanen aino"))
    plan = await _plan(str(select))
    expected = (
        "customer_name_words" if is_sqlite(Customer._meta.db) else "customer_search_name_trgm"
    )
    assert expected in plan, plan
    phone_plan = await _plan(str(Customer.select().where(search_condition("0401234"))))
    expected = "customer_search" if is_sqlite(Customer._meta.db) else "customer_phone_digits_trgm"
    assert expected in phone_plan, phone_plan


async def test_a_customer_number_finds_that_customer_and_no_phone_containing_it(
    admin: httpx.AsyncClient,
) -> None:
    """A caller reads out their whole number: Valvomo's customer number (the id) or the
    region's own (on its invoices), matched exactly, never as a fragment of a phone number."""
    wanted = await create(admin, first_name="Aino", last_name="Virtanen", phone="040 123 4567")
    digits = str(wanted)
    await create(
        admin,
        identity_code=valid_code("020250", "A", "456"),
        first_name="Eino",
        last_name="Puhelin",
        phone=f"040 {(digits * 7)[:7]}",  # holds the customer number
    )
    await create(
        admin,
        identity_code=valid_code("030350", "A", "789"),
        first_name="Liisa",
        last_name="Laskutus",
        phone="050 765 4321",
    )
    await Customer.update({Customer.external_number: "LPA-9876543"}).where(
        Customer.last_name == "Laskutus"
    )
    assert await _names(digits) == ["Virtanen Aino"]
    assert await _names(f"#{digits}") == ["Virtanen Aino"]
    assert await _names("LPA-9876543") == ["Laskutus Liisa"]
    assert await _names("lpa-9876543") == ["Laskutus Liisa"]  # as read out, in any case
    assert await _names("9876543") == []  # a part of a number is no number
    assert await _names("123 4567") == ["Virtanen Aino"]  # a phone, in its groups
    assert await _names("0401234567") == ["Virtanen Aino"]
    await Customer.update({Customer.external_number: "004711"}).where(
        Customer.last_name == "Laskutus"
    )
    assert await _names("004711") == ["Laskutus Liisa"]  # a region's number with leading zeros


async def test_a_customer_number_is_answered_from_the_primary_key_and_its_index() -> None:
    await make_user()
    rows = customer_rows(random.Random(3), 300, ("Seinäjoki",))
    async with transaction():
        await insert_objects(Customer, rows)
    await Customer.raw("ANALYZE")  # statistics that say no region number is imported
    for columns in (LIST_COLUMNS, (Customer.id,)):  # the register's page, the meals search
        select = Customer.select(*columns).where(search_condition("123"))
        by_number = await _plan(str(select))
        if is_sqlite(Customer._meta.db):
            assert "INTEGER PRIMARY KEY" in by_number, by_number
            assert "customer_external_number (external_number=?)" in by_number, by_number
            assert "SCAN" not in by_number.replace("SCAN CONSTANT", ""), by_number
        else:
            assert "customer_pkey" in by_number and "customer_external_number" in by_number
            assert "phone_digits" not in by_number, by_number
    by_region = await _plan(str(Customer.select().where(search_condition("LPA-9876543"))))
    assert "customer_external_number" in by_region, by_region


async def _plan(sql: str) -> str:
    rows: list[dict[str, Any]]
    if is_sqlite(Customer._meta.db):
        rows = await Customer.raw(f"EXPLAIN QUERY PLAN {sql}")
    else:
        async with get_database().transaction():
            await Customer.raw("SET LOCAL enable_seqscan = off")  # a small table is scanned
            rows = await Customer.raw(f"EXPLAIN {sql}")
    return "\n".join(" ".join(str(v) for v in row.values()) for row in rows)


async def test_trigram_indexes_are_written_at_once_not_through_a_pending_list() -> None:
    """PostgreSQL's GIN `fastupdate` would leave new customers in a pending list that every
    search reads until autovacuum merges it (30-50 ms after an import of 30,000 customers)."""
    if is_sqlite(Customer._meta.db):
        rows = await Customer.raw("SELECT name FROM sqlite_master WHERE name = 'customer_search'")
        assert rows, "the FTS5 table of the search"
        return
    rows = await Customer.raw(
        "SELECT c.relname AS name, c.reloptions AS options FROM pg_class c"
        " WHERE c.relname IN ('customer_search_name_trgm', 'customer_phone_digits_trgm')"
    )
    assert {r["name"]: r["options"] for r in rows} == {
        "customer_search_name_trgm": ["fastupdate=off"],
        "customer_phone_digits_trgm": ["fastupdate=off"],
    }


async def test_name_words_with_hyphens_quotes_and_marks_find_what_the_plain_rule_finds(
    admin: httpx.AsyncClient,
) -> None:
    await create(admin, first_name="Aarne", last_name="Yli-Koski")
    await create(
        admin,
        identity_code=valid_code("020250", "A", "456"),
        first_name="Ilse",
        last_name="O'Brien",
    )
    assert await _names("yli-k") == ["Yli-Koski Aarne"]
    assert await _names("koski") == []  # inside a hyphenated word is not a word start
    assert await _names("o'bri") == ["O'Brien Ilse"]
    assert await _names('"o') == []
    assert await _names("- aarne") == []  # "-" starts no word here, as before
    assert await _names("aarne yli") == ["Yli-Koski Aarne"]
    assert await _names("a") == ["Yli-Koski Aarne"]


def _plain_rule(name: str, query: str) -> bool:
    """The word rule of a search by name, in Python: every word of the query starts a word
    of the name (words split at spaces)."""
    words = name.split(" ")
    return all(any(w.startswith(t) for w in words) for t in query.lower().split())


async def test_a_page_of_a_name_search_is_the_plain_rule_in_name_order_with_a_capped_count(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is read from ordered parts of the name index and counted up to a cap (500;
    here 100, to need fewer customers); what it shows is what filtering every name by the
    word rule and sorting them shows."""
    monkeypatch.setattr(services, "COUNT_CAP", 100)
    rows = customer_rows(random.Random(11), 1000, ("Seinäjoki",))
    names = ["korpi kalevi", "kalevi korpela", "ko kalevi", "mäki-ko aino"]
    for row, name in zip(rows, names, strict=False):
        row.last_name, row.first_name = name.split(" ")  # type: ignore[attr-defined]
        row.search_name = name  # type: ignore[attr-defined]
    async with transaction():
        await insert_objects(Customer, rows)
    everyone = await Customer.select(Customer.id, Customer.search_name, Customer.status)
    queries = ["mäki", "aino", "kalevi ko", "ko kalevi", "ko kor", "a", "ahola eila", "mäki-"]
    for query in [*queries, "mä", "k a a e", "\U0010ffff", "ko\ud7ff"]:
        matching = sorted(
            (r["search_name"].encode(), r["id"])
            for r in everyone
            if _plain_rule(r["search_name"], query)
        )
        expected = [customer_id for _, customer_id in matching]
        for page in (1, 2):
            result = await services.search_customers(query, page)
            assert [r["id"] for r in result.rows] == expected[(page - 1) * 25 : page * 25], query
            assert result.total == min(len(expected), services.COUNT_CAP), query
            assert result.capped == (len(expected) > services.COUNT_CAP), query
    many = await services.search_customers("a")
    assert many.capped  # about 200 of 1,000 have a word starting with "a"
    first = [r["id"] for r in many.rows[:3]]
    await Customer.update({Customer.status: "ended"}).where(Customer.id.is_in(first))
    ended = await services.search_customers("a", status="ended")
    assert [r["id"] for r in ended.rows] == first and not ended.capped and ended.total == 3

    response = await post_form(admin, "/customers/search", {"q": "a"})
    assert "Yli 100 asiakasta löytyi: tarkenna hakua nähdäksesi kaikki." in response.text
    assert "Sivu 1/4" in response.text
    api = await admin.post("/api/customers/search", json={"query": "a"}, headers=api_headers(admin))
    assert api.json()["total"] == 100 and api.json()["capped"] is True


async def test_the_leading_part_of_a_name_search_is_a_range_of_the_name_index() -> None:
    await make_user()
    rows = customer_rows(random.Random(3), 300, ("Seinäjoki",))
    async with transaction():
        await insert_objects(Customer, rows)
    leading = services._name_parts(["mäki"], "")[0]
    plan = await _plan(str(Customer.select(*LIST_COLUMNS).where(leading)))
    if is_sqlite(Customer._meta.db):
        assert "customer_search_name (search_name>? AND search_name<?)" in plan, plan
    else:
        assert "customer_search_name_c" in plan, plan
        later = services._name_parts(["aino"], "")[1]
        plan = await _plan(str(Customer.select(*LIST_COLUMNS).where(later)))
        assert "customer_search_later_words_trgm" in plan, plan
