"""A gateway that cannot send headers puts the webhook secret in the URL
(`/webhooks/evolution/t/<secret>[/<event>]`): through the production web command (fly.toml's,
with its access log on) such a message is accepted and answered, and neither the secret nor a
wrong one sent in its place is in anything the server writes: not the access log's request
lines, not Django's line for the refusal."""

import httpx
import pytest

from channels.evolution.tests.helpers import SECRET, text_message
from security.tests.test_lockout_through_the_server import server_environment
from testing.fake_evolution import FakeEvolution
from testing.servers import running_production_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WEBHOOK = "/webhooks/evolution"
NEAR_MISS = SECRET[:-1] + "X"  # an old or mistyped secret is a secret all the same
HIDDEN = f"{WEBHOOK}/t/[redacted]"


def test_a_path_secret_is_accepted_and_never_written_to_the_log(clinic, tmp_path):
    log = tmp_path / "web.log"
    environment = server_environment(EVOLUTION_API_URL="", EVOLUTION_API_KEY="logs-key")
    with FakeEvolution(api_key="logs-key") as gateway:
        environment["EVOLUTION_API_URL"] = gateway.url
        with (
            running_production_server(
                environment, log, extra=("--access-logfile", "-")
            ) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            by_event = client.post(
                f"{WEBHOOK}/t/{SECRET}/messages-upsert", json=text_message("Здравствуйте")
            )
            plain = client.post(f"{WEBHOOK}/t/{SECRET}", json=text_message("Привет"))
            refused = client.post(
                f"{WEBHOOK}/t/{NEAR_MISS}/messages-upsert", json=text_message("Привет")
            )
            answered = gateway.wait_for(2, timeout=30)
    assert (by_event.status_code, by_event.json()) == (200, {"status": "accepted"})
    assert (plain.status_code, plain.json()) == (200, {"status": "accepted"})
    assert refused.status_code == 401
    assert len(answered) == 2
    written = log.read_text(errors="replace")
    assert SECRET not in written
    assert NEAR_MISS not in written
    access = [line for line in written.splitlines() if ' - "' in line]
    assert any(f'"POST {HIDDEN}/messages-upsert HTTP/1.1" 200' in line for line in access)
    assert any(f'"POST {HIDDEN} HTTP/1.1" 200' in line for line in access)
    assert any(f'"POST {HIDDEN}/messages-upsert HTTP/1.1" 401' in line for line in access)
    assert f"Unauthorized: {HIDDEN}/messages-upsert" in written  # django.request's line
