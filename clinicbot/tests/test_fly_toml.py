"""fly.toml parses, and every command it names exists in this project."""

import importlib
import shlex
import tomllib

import pytest
from django.core.management import get_commands

from testing.servers import PROJECT_ROOT

FLY = tomllib.loads((PROJECT_ROOT / "fly.toml").read_text())


def test_it_declares_web_worker_and_beat_processes():
    assert set(FLY["processes"]) == {"web", "worker", "beat"}


def test_the_web_process_runs_gunicorn_with_two_uvicorn_workers_and_a_deep_backlog():
    args = shlex.split(FLY["processes"]["web"])
    assert args[0] == "gunicorn"
    assert args[args.index("-k") + 1] == "uvicorn.workers.UvicornWorker"
    assert args[args.index("-w") + 1] == "2"
    assert args[args.index("--backlog") + 1] == "2048"
    module, attribute = args[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_the_client_address_is_flys_and_no_forwarding_header_is_trusted():
    assert FLY["env"]["CLIENT_IP_HEADER"] == "Fly-Client-IP"
    args = shlex.split(FLY["processes"]["web"])
    assert "--forwarded-allow-ips=" in args


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_celery_processes_name_the_project_app(process):
    args = shlex.split(FLY["processes"][process])
    assert args[:3] == ["celery", "-A", "clinicbot"]
    assert args[3] == process
    assert importlib.import_module("clinicbot").celery_app.main == "clinicbot"


def test_the_release_command_migrates_with_an_existing_command():
    args = shlex.split(FLY["deploy"]["release_command"])
    assert args[:2] == ["python", "manage.py"]
    assert args[2] == "migrate"
    assert args[2] in get_commands()


def test_the_health_check_matches_the_contract():
    (check,) = FLY["http_service"]["checks"]
    assert check["path"] == "/health"
    assert (check["grace_period"], check["interval"], check["timeout"]) == ("20s", "10s", "2s")


def test_the_dockerfile_it_builds_installs_the_lock_without_resolving():
    dockerfile = (PROJECT_ROOT / FLY["build"]["dockerfile"]).read_text()
    assert "--no-deps --require-hashes -r requirements-lock.txt" in dockerfile
