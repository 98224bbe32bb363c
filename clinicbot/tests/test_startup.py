"""How clinicbot starts: refused without production secrets or keys (web, worker and beat),
clean under `check --deploy`, embedded on SQLite with no database or Redis configured, and /ready
naming what is down."""

import os
import secrets
import shutil
import signal
import subprocess
import sys

import httpx
import pytest

from testing.pytest_env import TEST_KEYS
from testing.servers import PROJECT_ROOT, clean_environment, free_port, running_server

PRODUCTION_LIKE = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "clinicbot.fly.dev",
    "EVOLUTION_WEBHOOK_SECRET": secrets.token_urlsafe(32),
}


def manage(*args: str, environment: dict[str, str], cwd=PROJECT_ROOT):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_reports_nothing_with_production_settings(settings):
    environment = clean_environment(
        **PRODUCTION_LIKE, DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", environment=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "check_id"),
    [
        ("SECRET_KEY", "clinicbot.E001"),
        ("ALLOWED_HOSTS", "clinicbot.E002"),
        ("EVOLUTION_WEBHOOK_SECRET", "clinicbot.E003"),
    ],
)
def test_production_start_is_refused_without_each_secret(missing, check_id):
    environment = clean_environment(**{k: v for k, v in PRODUCTION_LIKE.items() if k != missing})
    result = manage("check", environment=environment)
    assert result.returncode != 0
    assert check_id in result.stderr
    assert missing in result.stderr


def test_a_webhook_secret_that_cannot_go_in_a_path_is_warned_about():
    environment = clean_environment(**PRODUCTION_LIKE | {"EVOLUTION_WEBHOOK_SECRET": "a/b c?d"})
    result = manage("check", "--fail-level", "WARNING", environment=environment)
    assert result.returncode != 0
    assert "clinicbot.W004" in result.stderr
    assert "a/b c?d" not in result.stdout + result.stderr  # the secret itself is never printed


@pytest.mark.parametrize(
    ("key", "value", "check_id", "problem"),
    [
        ("PHI_MASTER_KEY", "", "security.E001", "not set"),
        ("PHI_MASTER_KEY", "bm90LWEta2V5", "security.E001", "32"),
        ("PHI_RSA_PRIVATE_KEY", "", "security.E002", "not set"),
        ("PHI_RSA_PRIVATE_KEY", "bm90IGEgcGVt", "security.E002", "PEM"),
        ("HIPAA_AUDIT_KEY", "", "security.E003", "not set"),
        ("HIPAA_AUDIT_KEY", "c2hvcnQ=", "security.E003", "32"),
    ],
)
def test_start_is_refused_for_each_missing_or_malformed_key(key, value, check_id, problem):
    environment = clean_environment(DEBUG="true", **{key: value})
    result = manage("check", environment=environment)
    assert result.returncode != 0
    assert check_id in result.stderr
    assert key in result.stderr and problem in result.stderr
    if value:
        assert value not in result.stderr + result.stdout  # no key material is printed


def test_the_web_server_refuses_to_start_without_production_secrets():
    command = [sys.executable, "-c", "import clinicbot.asgi"]
    result = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "clinicbot refuses to start" in result.stderr
    assert "SECRET_KEY" in result.stderr


def celery(*args: str, environment: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Runs `celery -A clinicbot ARGS`: its exit status (None if it was still running after
    `timeout` seconds, then killed with everything it started) and its whole output."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "clinicbot", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output


@pytest.mark.parametrize("program", ["worker", "beat"])
@pytest.mark.parametrize(
    ("master_key", "problem"), [(None, "not set"), ("bm90LWEta2V5", "32")], ids=["unset", "short"]
)
def test_it_refuses_to_start_the_worker_or_beat_without_a_good_master_key(
    program, master_key, problem, settings, tmp_path
):
    environment = clean_environment(
        DEBUG="true", DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL
    )
    del environment["PHI_MASTER_KEY"]
    if master_key is not None:
        environment["PHI_MASTER_KEY"] = master_key
    # The pool runs in the worker's own process and beat's schedule file in a scratch folder:
    # nothing is left behind if it wrongly starts.
    options = ["--pool", "solo"] if program == "worker" else ["--schedule", str(tmp_path / "s")]
    status, output = celery(program, *options, environment=environment, timeout=20)
    assert status is not None, f"celery {program} still running after 20 s:\n{output}"
    assert status != 0, output
    assert "security.E001" in output and "PHI_MASTER_KEY" in output and problem in output
    for material in [master_key, TEST_KEYS["PHI_RSA_PRIVATE_KEY"], TEST_KEYS["HIPAA_AUDIT_KEY"]]:
        assert material is None or material not in output


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the project, so the embedded SQLite file lands in a scratch folder."""
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.sqlite3", ".env", ".*cache")
    copy = tmp_path / "clinicbot"
    shutil.copytree(PROJECT_ROOT, copy, ignore=ignore)
    return copy


def test_the_embedded_default_boots_with_no_database_or_redis(project_copy):
    environment = clean_environment(DEBUG="true", EVOLUTION_WEBHOOK_SECRET="embedded-secret")
    migrated = manage("migrate", "--noinput", environment=environment, cwd=project_copy)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stderr.count("running embedded") == 1
    demo = "conversations/demo/smile-dental.json"
    imported = manage("import_clinic", demo, environment=environment, cwd=project_copy)
    assert "Created clinic smile-dental" in imported.stdout, imported.stderr
    assert (project_copy / "db.sqlite3").exists()
    # The corpus body byte for byte, WhatsApp timestamp and all (sent long before this test).
    greeting = project_copy / "channels/evolution/tests/fixtures/v2_text_greeting_ru.json"
    with running_server(environment, cwd=project_copy) as base_url:
        assert httpx.get(f"{base_url}/health", timeout=2).json() == {"status": "ok"}
        ready = httpx.get(f"{base_url}/ready", timeout=3)
        webhook = httpx.post(
            f"{base_url}/webhooks/evolution",
            content=greeting.read_bytes(),
            timeout=5,
            headers={"X-Webhook-Secret": "embedded-secret", "Content-Type": "application/json"},
        )
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert webhook.json() == {"status": "accepted"}
    stored = manage(
        "shell",
        "-c",
        "from conversations.models import Message; print(Message.objects.count())",
        environment=environment,
        cwd=project_copy,
    )
    assert stored.stdout.split()[-1] == "2"  # the greeting and its reply, stored inline


def test_ready_answers_503_naming_the_database_when_its_port_is_closed(settings):
    closed = f"postgres://postgres@127.0.0.1:{free_port()}/clinicbot"
    environment = clean_environment(DEBUG="true", DATABASE_URL=closed, REDIS_URL=settings.REDIS_URL)
    with running_server(environment) as base_url:
        response = httpx.get(f"{base_url}/ready", timeout=5)
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["redis"] == "ok"


def test_ready_answers_503_naming_redis_when_its_port_is_closed(settings):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    # The server's own maintenance database exists wherever the test database can be created.
    server_database = settings.DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    environment = clean_environment(DEBUG="true", DATABASE_URL=server_database, REDIS_URL=closed)
    with running_server(environment) as base_url:
        response = httpx.get(f"{base_url}/ready", timeout=5)
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


def test_the_warm_up_imports_the_task_modules_before_the_first_request(settings):
    # Imported on the first enqueue instead, they stall the web worker's event loop for a second.
    script = (
        "import sys, django; django.setup()\n"
        "from clinicbot.warmup import warm_caches\n"
        "before = 'conversations.tasks' in sys.modules\n"
        "warm_caches()\n"
        "print(before, 'conversations.tasks' in sys.modules, 'openai' in sys.modules)\n"
    )
    environment = clean_environment(
        DEBUG="true", DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=environment | {"DJANGO_SETTINGS_MODULE": "clinicbot.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["False", "True", "True"], result.stderr
