"""The gateway's and Fly's routes skip Django's middleware; the staff console keeps all of it."""

import json

import httpx
import pytest

from clinicbot.routing import build_application
from conversations.tests.conftest import SECRET, fixture_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client():
    transport = httpx.ASGITransport(app=build_application())
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


async def test_health_is_served_without_the_middleware_stack(client):
    response = await client.get("/health")
    assert response.json() == {"status": "ok"}
    assert "x-frame-options" not in response.headers  # no XFrameOptionsMiddleware ran


@pytest.mark.usefixtures("eager_tasks")
async def test_the_webhook_is_served_without_the_middleware_stack(client, clinic, outbox):
    response = await client.post(
        "/webhooks/evolution",
        content=json.dumps(fixture_body("v2_text_greeting_ru")),
        headers={"X-Webhook-Secret": SECRET, "Content-Type": "application/json"},
    )
    assert response.json() == {"status": "accepted"}
    assert "x-frame-options" not in response.headers
    assert len(outbox) == 1


async def test_the_admin_keeps_its_middleware(client):
    response = await client.get("/admin/login/")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "csrftoken" in response.cookies


async def test_webhooks_are_admitted_a_few_at_a_time_in_arrival_order(monkeypatch):
    """Past WEBHOOKS_AT_ONCE, webhooks wait their turn before any work is done for them, and
    /health does not wait behind them."""
    import asyncio

    from clinicbot import routing
    from clinicbot.runtime import admission

    monkeypatch.setattr(admission, "WEBHOOKS_AT_ONCE", 3)
    working, most, entered = set(), [0], []

    async def slow_respond(self, scope, body_file, send):
        entered.append(scope["path"])
        working.add(scope["path"])
        most[0] = max(most[0], len(working))
        await asyncio.sleep(0.05)
        working.discard(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    monkeypatch.setattr(routing.LeanASGIHandler, "respond", slow_respond)
    transport = httpx.ASGITransport(app=routing.build_application())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        posts = []
        for n in range(9):
            posts.append(asyncio.ensure_future(client.post(f"/webhooks/{n}", content=b"{}")))
            await asyncio.sleep(0.002)  # arrive in order
        health = await client.get("/health")
        at_work_meanwhile = len(working)
        answers = await asyncio.gather(*posts)
    assert health.status_code == 200 and at_work_meanwhile == 3
    assert [a.status_code for a in answers] == [200] * 9
    assert most[0] == 3
    assert entered == [f"/webhooks/{n}" for n in range(9)]


async def test_stopping_closes_the_gateway_connections_of_the_event_loop(gateway):
    """Uvicorn's lifespan shutdown: the keep-alive connections to the gateway are closed, not
    left for the garbage collector to complain about."""
    import asyncio

    from channels.registry import sender_for

    backend = sender_for("evolution")
    result = await backend.asend(instance="smile-main", number="5511987654321", text="hi")
    session = backend._session()
    inbox, outbox = asyncio.Queue(), []

    async def send(message):
        outbox.append(message["type"])

    for message in ("lifespan.startup", "lifespan.shutdown"):
        inbox.put_nowait({"type": message})
    await build_application()({"type": "lifespan"}, inbox.get, send)
    assert result.outcome == "sent"
    assert outbox == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert session.closed
