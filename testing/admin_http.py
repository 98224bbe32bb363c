"""The admin's sign-in form over real HTTP (httpx), for tests against a server process."""

import re

import httpx

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(
    client: httpx.Client, username: str, password: str, headers: dict | None = None
) -> httpx.Response:
    """GET the sign-in page (its CSRF cookie and token), then POST the form; the answer is not
    followed: 302 signed in, 200 the form again (refused), 429 locked out."""
    page = client.get("/admin/login/", headers=headers)
    match = CSRF_FIELD.search(page.text)
    assert match, f"no sign-in form ({page.status_code})"
    form = {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)}
    return client.post("/admin/login/?next=/admin/", data=form, headers=headers)
