"""`GET /health` (liveness: no I/O at all) and `GET /ready` (database and Redis within 1 s)."""

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from ninja import Router

from clinicbot.runtime.redis_client import async_redis

READY_TIMEOUT_S = 1.0

router = Router(tags=["health"])


@router.get("/health", auth=None)
async def health(request):
    # Fly's health check calls this every 10 s: it must answer even when everything else is down.
    return {"status": "ok"}


def _ping_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # This runs in a pool thread that no request_finished signal reaches: hand it back now.
        connection.close()


async def _ping_redis() -> None:
    if settings.REDIS_URL:
        await async_redis().ping()


async def _probe(name: str, check) -> tuple[str, str]:
    try:
        await asyncio.wait_for(check(), timeout=READY_TIMEOUT_S)
    except TimeoutError:
        return name, f"no answer within {READY_TIMEOUT_S:g} s"
    except Exception as exc:  # noqa: BLE001  (any failure means "not ready"; we say which)
        return name, exc.__class__.__name__
    return name, "ok"


@router.get("/ready", auth=None)
async def ready(request):
    results = await asyncio.gather(
        _probe("database", sync_to_async(_ping_database, thread_sensitive=False)),
        _probe("redis", _ping_redis),
    )
    checks = dict(results)
    if not settings.REDIS_URL:
        checks["redis"] = "not configured (embedded mode)"
    failed = [name for name, outcome in results if outcome != "ok"]
    body = {"status": "ready" if not failed else "unavailable", "checks": checks}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
