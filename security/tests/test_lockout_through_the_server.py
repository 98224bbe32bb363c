"""Failed sign-ins lock out by username and the client's address, as the production web command
(fly.toml's gunicorn with uvicorn workers) sees the address: never a client-supplied
X-Forwarded-For, and behind Fly's proxy its Fly-Client-IP (CLIENT_IP_HEADER)."""

import httpx
import pytest
from django.conf import settings

from conftest import STAFF_PASSWORD
from conversations.tests.conftest import SECRET
from security.signals import source_ip
from testing.admin_http import sign_in
from testing.servers import clean_environment, running_production_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

GUESSES = 25
STRANGER, ALICE = "203.0.113.7", "198.51.100.20"


def server_environment(**overrides) -> dict[str, str]:
    database = settings.DATABASES["default"]["NAME"]
    return clean_environment(
        DEBUG="true",  # plain-HTTP cookies for this client; the address logic is the same
        SECRET_KEY="test-secret-key-not-for-production",
        DATABASE_URL=settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}",
        REDIS_URL=settings.REDIS_URL,
        EVOLUTION_WEBHOOK_SECRET=SECRET,
        **overrides,
    )


def guesses(base_url: str, headers_of) -> list[int]:
    """GUESSES wrong passwords for alice, the n-th sent with headers_of(n)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        return [
            sign_in(client, "alice", f"guess {n}", headers=headers_of(n)).status_code
            for n in range(GUESSES)
        ]


def spoofed(n: int) -> str:
    return f"10.{n}.{n}.{n}"


def test_spoofed_forwarding_headers_do_not_escape_the_lockout(clinic_staff, tmp_path):
    with running_production_server(server_environment(), tmp_path / "web.log") as base_url:
        answers = guesses(base_url, lambda n: {"X-Forwarded-For": spoofed(n)})
        with httpx.Client(base_url=base_url, timeout=30) as client:
            right_password = sign_in(client, "alice", STAFF_PASSWORD)
    limit = settings.AXES_FAILURE_LIMIT
    assert answers[limit:] == [429] * (GUESSES - limit), answers
    assert right_password.status_code == 429  # refused while locked out


def test_behind_flys_proxy_a_stranger_is_locked_out_and_staff_are_not(clinic_staff, tmp_path):
    environment = server_environment(CLIENT_IP_HEADER="Fly-Client-IP")
    with running_production_server(environment, tmp_path / "web.log") as base_url:
        # What Fly's proxy passes on: the stranger's own X-Forwarded-For, and the address it saw.
        answers = guesses(
            base_url, lambda n: {"X-Forwarded-For": spoofed(n), "Fly-Client-IP": STRANGER}
        )
        with httpx.Client(base_url=base_url, timeout=30) as client:
            stranger = sign_in(client, "alice", STAFF_PASSWORD, {"Fly-Client-IP": STRANGER})
        with httpx.Client(base_url=base_url, timeout=30) as client:
            alice = sign_in(client, "alice", STAFF_PASSWORD, {"Fly-Client-IP": ALICE})
    limit = settings.AXES_FAILURE_LIMIT
    assert answers[limit:] == [429] * (GUESSES - limit), answers
    assert stranger.status_code == 429
    assert alice.status_code == 302 and alice.headers["location"] == "/admin/"


def test_the_client_address_comes_from_the_proxys_header_when_one_is_set(rf, settings):
    request = rf.get("/admin/", REMOTE_ADDR="172.16.0.2", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert source_ip(request) == "172.16.0.2"
    settings.CLIENT_IP_HEADER = "Fly-Client-IP"
    request.META["HTTP_FLY_CLIENT_IP"] = "2001:db8::7"
    assert source_ip(request) == "2001:db8::7"
    request.META["HTTP_FLY_CLIENT_IP"] = "not an address"
    assert source_ip(request) == "172.16.0.2"
