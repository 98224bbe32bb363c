"""The staff console's static files come from the app itself (WhiteNoise), wherever it runs: under
`make run` straight from the apps' folders, without collectstatic; in production the collected
files under their hashed names, compressed. Fly's proxy serving /static/ is only a shortcut."""

import json
import secrets
import shutil
import subprocess
import sys

import httpx
import pytest

from testing.servers import PROJECT_ROOT, clean_environment, running_server

# Behind Fly's proxy every request says it came over HTTPS; without it production settings
# answer plain HTTP with a redirect.
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the project without any collected files, as a fresh clone has it."""
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.sqlite3", ".env", ".*cache", "staticfiles"
    )
    copy = tmp_path / "clinicbot"
    shutil.copytree(PROJECT_ROOT, copy, ignore=ignore)
    return copy


def test_make_run_serves_the_admin_stylesheet_without_collectstatic(project_copy, settings):
    environment = clean_environment(
        DEBUG="true", DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL
    )
    with running_server(environment, cwd=project_copy) as base_url:
        login = httpx.get(f"{base_url}/admin/login/", timeout=5)
        stylesheet = httpx.get(f"{base_url}/static/admin/css/base.css", timeout=5)

    assert login.status_code == 200
    assert '"/static/admin/css/base.css"' in login.text
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert "#header" in stylesheet.text
    assert not (project_copy / "staticfiles").exists()


def test_production_serves_the_collected_stylesheet_hashed_and_compressed(project_copy, settings):
    environment = clean_environment(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        EVOLUTION_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=project_copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr
    static_root = project_copy / "staticfiles"
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    assert (static_root / f"{hashed}.gz").exists()

    with running_server(environment, cwd=project_copy) as base_url:
        login = httpx.get(f"{base_url}/admin/login/", headers=HTTPS, timeout=5)
        url = f"{base_url}/static/{hashed}"
        compressed = httpx.get(url, headers=HTTPS | {"Accept-Encoding": "gzip"}, timeout=5)
        plain = httpx.get(url, headers=HTTPS | {"Accept-Encoding": "identity"}, timeout=5)

    assert login.status_code == 200
    assert f'"/static/{hashed}"' in login.text
    assert compressed.status_code == 200
    assert compressed.headers["content-type"].startswith("text/css")
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.num_bytes_downloaded < len(plain.content)
    assert compressed.content == plain.content == (static_root / hashed).read_bytes()
    assert "immutable" in compressed.headers["cache-control"]  # a hashed name never changes
    assert "content-encoding" not in plain.headers
