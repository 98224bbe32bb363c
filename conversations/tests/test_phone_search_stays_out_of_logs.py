"""The admin's phone search is a GET (?q=...), so the number is in the request line: the access
log of the production web command (fly.toml's, with its access log on) records paths without
their query strings, and nothing else in the log repeats the number."""

import httpx
import pytest

from security.tests.test_lockout_through_the_server import server_environment
from testing.admin_http import sign_in
from testing.servers import running_production_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

INBOX = "/admin/conversations/conversationsession/"
SEARCHED = "+7 912 345-67-89"
PHONE_DIGITS = "9123456789"


def test_an_admin_phone_search_leaves_no_phone_in_the_access_log(admin_user, clinic, tmp_path):
    log = tmp_path / "web.log"
    with (
        running_production_server(
            server_environment(), log, extra=("--access-logfile", "-")
        ) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        assert sign_in(client, "admin", "password").status_code == 302
        search = client.get(INBOX, params={"q": SEARCHED})
        assert search.status_code == 200
        assert client.get(INBOX, params={"q": PHONE_DIGITS, "p": "1"}).status_code == 200
    written = log.read_text(errors="replace")
    assert PHONE_DIGITS not in written
    access = [line for line in written.splitlines() if ' - "' in line]
    assert f'"GET {INBOX} HTTP/1.1" 200' in access[-1]  # the access log is on, with the search
    assert not [line for line in access if "?" in line]
