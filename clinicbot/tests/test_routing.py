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
