"""The admin's pages carry a Content-Security-Policy: scripts, styles, images and forms from this
site only, no plugins, no framing, no <base> redirection (the console's own inline styles carry
the response's nonce; it has no inline script)."""

import pytest

PAGES = [
    "/admin/",
    "/admin/conversations/conversationsession/",
    "/admin/conversations/messagemetric/dashboard/",
    "/admin/appointments/appointment/",
    "/admin/security/auditevent/",
]


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("url", PAGES)
def test_admin_pages_answer_with_a_content_security_policy(admin_client, url):
    assert_strict(admin_client.get(url))


def test_the_sign_in_page_answers_with_the_policy_too(client):
    assert_strict(client.get("/admin/login/"))


def assert_strict(response) -> None:
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_the_console_styles_carry_the_responses_nonce(admin_client):
    response = admin_client.get("/admin/conversations/conversationsession/")
    nonce = next(v for v in directives(response)["style-src"] if v.startswith("'nonce-"))
    assert f'<style nonce="{nonce[7:-1]}">' in response.content.decode()
