"""Queries on the event loop, for the one lookup a webhook waits for (a new conversation's
session), with Django's connection parameters and its exceptions.

    row = await fetch_one("SELECT ... WHERE id = %s", [42])   # a dict, or None

Django's ORM runs a query from async code in a thread. Under a burst of new conversations those
threads compete with the event loop for the CPU and hold the GIL while the loop waits for it, so
the loop answers everything late, /health included (the README has the figures from the fault
tests' burst). psycopg's async connections need no thread.

Each event loop has its own pool (at most DATABASES' pool size, connections opened on demand);
a database other than PostgreSQL (the embedded SQLite) has none, and `available()` says so.
"""

import asyncio
import weakref

import psycopg
from django.db import DatabaseError, OperationalError, connections
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from clinicbot.runtime import aio
from clinicbot.runtime.dbconfig import POOL

_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def available() -> bool:
    return connections["default"].vendor == "postgresql"


async def fetch_one(sql: str, params: list) -> dict | None:
    """The first row as a dict, or None. psycopg's errors become Django's, so the breaker and
    the callers treat them as they treat the ORM's."""
    try:
        pool = await _pool()
        async with pool.connection() as connection:
            cursor = await connection.execute(sql, params)
            return await cursor.fetchone()
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        # Refused, lost or timed out, or no pooled connection within the pool timeout.
        raise OperationalError(type(exc).__name__) from exc
    except psycopg.Error as exc:
        raise DatabaseError(type(exc).__name__) from exc


async def close() -> None:
    """Close the running event loop's pool (at shutdown, and after tests)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


aio.on_loop_close(close)


async def _pool() -> AsyncConnectionPool:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _new_pool()
        await pool.open()  # starts the pool's tasks; min_size=0 opens no connection yet
        stored = _pools.setdefault(loop, pool)
        if stored is not pool:  # another task of this loop got there first
            await pool.close()
        pool = stored
    return pool


def _new_pool() -> AsyncConnectionPool:
    database = connections["default"]
    sizes = database.settings_dict["OPTIONS"].get("pool") or POOL
    params = database.get_connection_params()  # the test database's, in tests
    params.pop("cursor_factory")  # Django's sync cursor; these connections are async
    return AsyncConnectionPool(
        kwargs=params | {"row_factory": dict_row, "autocommit": True},
        min_size=0,  # most webhooks never need one
        max_size=sizes.get("max_size", POOL["max_size"]),
        timeout=sizes.get("timeout", POOL["timeout"]),
        open=False,
    )
