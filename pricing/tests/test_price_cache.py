"""The in-memory price list: one refresh for many stale readers, the last good list when the
database fails, no query when warm, and every worker answering a staff edit within 5 s."""

import asyncio
import json
import time
from decimal import Decimal

import httpx
import pytest
from django.db import connection

from conversations.tests.conftest import SECRET, queries_in_any_thread, text_message
from pricing.cache import price_lists, read_version
from pricing.models import Service
from testing.fake_evolution import FakeEvolution
from testing.servers import clean_environment, running_server

pytestmark = pytest.mark.django_db(transaction=True)


async def test_fifty_concurrent_stale_reads_cause_one_refresh(clinic, no_cachalot):
    refreshes_before = price_lists.refreshes
    with queries_in_any_thread() as queries:
        results = await asyncio.gather(
            *(price_lists.get(clinic.id, version="7") for _ in range(50))
        )
    assert price_lists.refreshes - refreshes_before == 1
    # One refresh: the price list read once, each companion's (the clinic's FAQ) reads once.
    assert sum('FROM "pricing_service"' in sql for sql in queries) == 1
    assert len(queries) == len(set(queries))
    assert all(index is results[0][0] for index, _ in results)
    assert len(results[0][0]) == 10


async def test_a_warm_lookup_makes_no_query(clinic, no_cachalot):
    await price_lists.get(clinic.id, version="1")
    with queries_in_any_thread() as queries:
        index, from_memory = await price_lists.get(clinic.id, version="1")
    assert from_memory
    assert queries == []
    assert index.get("filling").price == Decimal("3500.00")


async def test_a_new_version_makes_every_reader_refresh(clinic):
    first, _ = await price_lists.get(clinic.id, version="1")
    await Service.objects.filter(code="filling").aupdate(price=Decimal("3900.00"))
    stale, hit = await price_lists.get(clinic.id, version="1")
    fresh, miss = await price_lists.get(clinic.id, version="2")
    assert hit and not miss
    assert stale.get("filling").price == Decimal("3500.00")
    assert fresh.get("filling").price == Decimal("3900.00")


async def test_a_price_change_during_the_warm_up_is_not_missed(clinic, monkeypatch):
    """The warm-up loads the list while staff save a new price: the list it keeps must not pass
    for the new version, or that worker quotes the old price until the TTL."""
    from pricing import cache

    real_load = cache.load_price_index

    def load_then_staff_edit(clinic_id):
        index = real_load(clinic_id)  # the list from before the edit...
        Service.objects.filter(code="filling").update(price=Decimal("3900.00"))
        cache.bump_version(clinic_id)  # ...and the edit, committed, before the load returns
        return index

    monkeypatch.setattr(cache, "load_price_index", load_then_staff_edit)
    await asyncio.to_thread(price_lists.warm, [clinic.id])
    monkeypatch.setattr(cache, "load_price_index", real_load)
    index, _ = await price_lists.get(clinic.id, version=read_version(clinic.id))
    assert index.get("filling").price == Decimal("3900.00")


def _rename_service_table(new_name: str, old_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {old_name} RENAME TO {new_name}")


async def test_a_failed_refresh_keeps_serving_the_last_good_list(clinic, no_cachalot, caplog):
    await price_lists.get(clinic.id, version="1")
    # A real database error: the table the refresh reads is gone for a moment.
    await asyncio.to_thread(_rename_service_table, "pricing_service_away", "pricing_service")
    try:
        index, from_memory = await price_lists.get(clinic.id, version="2")
    finally:
        await asyncio.to_thread(_rename_service_table, "pricing_service", "pricing_service_away")
    assert not from_memory
    assert index.get("filling").price == Decimal("3500.00")
    assert "serving the last good list" in caplog.text


def test_a_saved_price_bumps_the_version_in_redis(clinic):
    before = read_version(clinic.id)
    filling = Service.objects.get(clinic=clinic, code="filling")
    filling.price = Decimal("4100.00")
    filling.save()
    assert int(read_version(clinic.id)) == int(before) + 1


def _ask_price(base_url: str, phone: str) -> None:
    body = json.dumps(text_message("Сколько стоит пломба?", phone=phone)).encode()
    response = httpx.post(
        f"{base_url}/webhooks/evolution",
        content=body,
        timeout=5,
        headers={"X-Webhook-Secret": SECRET, "Content-Type": "application/json"},
    )
    assert response.json() == {"status": "accepted"}, response.text


def test_two_workers_answer_a_staff_price_change_within_five_seconds(clinic, settings):
    """Two real web processes, each with its own in-memory price list, sharing Redis."""
    database = settings.DATABASES["default"]["NAME"]  # the test database, committed rows
    with FakeEvolution(api_key="k") as gateway:
        environment = clean_environment(
            DEBUG="true",
            EVOLUTION_WEBHOOK_SECRET=SECRET,
            DATABASE_URL=settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}",
            REDIS_URL=settings.REDIS_URL,
            EVOLUTION_API_URL=gateway.url,
            EVOLUTION_API_KEY="k",
        )
        with running_server(environment) as first, running_server(environment) as second:
            for n, server in enumerate((first, second)):
                _ask_price(server, f"7911000000{n}")
            gateway.wait_for(2, timeout=10)
            assert all("3\xa0500" in sent["text"] for sent in gateway.sent())

            filling = Service.objects.get(clinic=clinic, code="filling")
            filling.price = Decimal("3900.00")
            filling.save()  # as the admin does
            changed_at = time.monotonic()
            for n, server in enumerate((first, second)):
                _ask_price(server, f"7912000000{n}")
            replies = gateway.wait_for(4, timeout=10)[2:]
    answered_within = replies[-1]["monotonic_ns"] / 1e9 - changed_at
    assert all("3\xa0900" in sent["text"] for sent in replies)
    assert answered_within < 5
