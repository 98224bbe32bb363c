"""Redis clients with bounded timeouts, shared by the request path and the workers.

redis.asyncio connections belong to the event loop that opened them, so the async client is
kept per loop (uvicorn runs one loop per worker process; tests may run several).
"""

import asyncio
import weakref

import redis
import redis.asyncio as aioredis
from django.conf import settings

MAX_CONNECTIONS = 100

# event loop -> REDIS_URL -> client
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_sync_client: redis.Redis | None = None


def _client_options() -> dict:
    return {
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
        "health_check_interval": 30,
        "max_connections": MAX_CONNECTIONS,
    }


def async_redis() -> aioredis.Redis:
    """The running loop's client. Only call when settings.REDIS_URL is set."""
    clients = _async_clients.setdefault(asyncio.get_running_loop(), {})
    # Keyed by URL too: a process whose REDIS_URL changes (tests) must not keep the old server.
    client = clients.get(settings.REDIS_URL)
    if client is None:
        client = clients[settings.REDIS_URL] = aioredis.Redis.from_url(
            settings.REDIS_URL, **_client_options()
        )
    return client


def sync_redis() -> redis.Redis:
    """The process's blocking client (workers, commands). Only call when REDIS_URL is set."""
    global _sync_client
    if _sync_client is None:
        _sync_client = redis.Redis.from_url(settings.REDIS_URL, **_client_options())
    return _sync_client
