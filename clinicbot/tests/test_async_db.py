"""Queries on the event loop (clinicbot.runtime.async_db) against the test database: rows as
dicts, one pool per event loop, and psycopg's failures raised as Django's, so the breaker counts
them."""

import pytest
from django.db import DatabaseError, OperationalError, connections

from clinicbot.runtime import async_db
from clinicbot.runtime.breaker import CircuitBreaker

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_row_comes_back_as_a_dict_and_no_row_as_none():
    try:
        row = await async_db.fetch_one("SELECT %s::int AS answer, %s AS word", [42, "ok"])
        nothing = await async_db.fetch_one("SELECT 1 WHERE false", [])
    finally:
        await async_db.close()
    assert row == {"answer": 42, "word": "ok"}
    assert nothing is None


async def test_it_reads_the_same_database_as_the_orm(clinic):
    try:
        row = await async_db.fetch_one(
            "SELECT name FROM conversations_clinic WHERE id = %s", [clinic.id]
        )
    finally:
        await async_db.close()
    assert row == {"name": clinic.name}


async def test_each_event_loop_keeps_one_pool_until_closed():
    first = await async_db._pool()
    again = await async_db._pool()
    await async_db.close()
    assert first is again
    assert first.closed
    assert (await async_db._pool()) is not first
    await async_db.close()


async def test_a_bad_query_is_a_database_error_the_breaker_counts_as_an_answer():
    breaker = CircuitBreaker("test", failure_threshold=1)
    with pytest.raises(DatabaseError) as caught:
        async with breaker.aguard():
            await async_db.fetch_one("SELECT * FROM no_such_table", [])
    await async_db.close()
    assert not isinstance(caught.value, OperationalError)
    assert breaker.state == "closed"  # the database answered


async def test_an_unreachable_database_is_an_operational_error_the_breaker_counts(monkeypatch):
    from testing.servers import free_port

    database = connections["default"]
    monkeypatch.setitem(database.settings_dict, "PORT", free_port())  # nothing listens there
    monkeypatch.setitem(database.settings_dict["OPTIONS"], "pool", {"max_size": 2, "timeout": 0.5})
    breaker = CircuitBreaker("test", failure_threshold=1)
    with pytest.raises(OperationalError):
        async with breaker.aguard():
            await async_db.fetch_one("SELECT 1", [])
    await async_db.close()
    assert breaker.state == "open"


def test_its_connections_have_the_orm_connect_and_statement_timeouts():
    params = connections["default"].get_connection_params()
    pool = async_db._new_pool()
    assert pool.kwargs["connect_timeout"] == params["connect_timeout"] == 5
    assert "statement_timeout=5000" in pool.kwargs["options"]
    assert pool.timeout == 5  # waiting for a pooled connection
