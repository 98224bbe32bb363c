"""The test helpers that prove "no query" and "no Redis command" must be able to see them."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings

from clinicbot.runtime.redis_client import async_redis
from conversations.models import Clinic
from conversations.tests.conftest import queries_in_any_thread, redis_commands

pytestmark = pytest.mark.django_db(transaction=True)


def _count_clinics() -> int:
    return Clinic.objects.count()


@pytest.mark.usefixtures("no_cachalot")  # else the second count comes from cachalot's cache
async def test_the_query_counter_sees_queries_made_in_other_threads():
    with queries_in_any_thread() as queries:
        await sync_to_async(_count_clinics, thread_sensitive=False)()
        await asyncio.to_thread(_count_clinics)
    assert len(queries) == 2


async def test_the_redis_monitor_sees_commands_from_the_async_client():
    assert django_settings.REDIS_URL
    with redis_commands() as commands:
        await async_redis().set("probe", "1")
    assert any("probe" in command for command in commands)
