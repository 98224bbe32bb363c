"""Request bodies held to their limits in memory and in size, in process (the real server's
behaviour is in test_webhook_bodies)."""

import asyncio

import httpx
import pytest

from clinicbot.routing import build_application
from clinicbot.runtime.bodies import BodyFile, Refused, whole_body

SCOPE = {"type": "http", "headers": []}


def receiving(*chunks: bytes):
    messages = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0)

    return receive


async def test_bodies_held_at_once_stay_within_the_memory_budget(settings):
    settings.WEBHOOK_BODIES_IN_MEMORY_BYTES = 1000
    async with whole_body(SCOPE, receiving(b"x" * 300, b"x" * 300), limit=800, timeout=5):
        with pytest.raises(Refused) as refused:
            async with whole_body(SCOPE, receiving(b"y" * 500), limit=800, timeout=5):
                pass
    assert refused.value.status == 503
    async with whole_body(SCOPE, receiving(b"y" * 500), limit=800, timeout=5) as body:
        assert body == b"y" * 500  # given back once the first webhook was answered


async def test_the_view_reads_the_whole_body_itself_not_a_copy():
    async with whole_body(SCOPE, receiving(b"ab", b"cd"), limit=100, timeout=5) as body:
        whole = BodyFile(body).read()
        partial = BodyFile(body)
        parts = partial.read(3), partial.read(), partial.read()
    assert whole is body
    assert parts == (b"abc", b"d", b"")


async def test_a_body_past_the_limit_without_a_content_length_is_refused():
    with pytest.raises(Refused) as refused:
        async with whole_body(SCOPE, receiving(b"x" * 600, b"x" * 600), limit=1000, timeout=5):
            pass
    assert refused.value.status == 413


async def test_a_body_that_stops_arriving_is_refused_at_the_deadline():
    async def stalled():
        await asyncio.Event().wait()

    with pytest.raises(Refused) as refused:
        async with whole_body(SCOPE, stalled, limit=1000, timeout=0.05):
            pass
    assert refused.value.status == 408


@pytest.mark.django_db
async def test_the_staff_console_refuses_a_body_over_its_limit(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    transport = httpx.ASGITransport(app=build_application())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        declared = await client.post("/admin/login/", content=b"x" * 1001)

        async def chunked():
            for _ in range(3):
                yield b"x" * 600

        streamed = await client.post("/admin/login/", content=chunked())
    assert declared.status_code == 413
    assert streamed.status_code == 413
