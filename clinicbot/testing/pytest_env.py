"""Loaded by pytest.ini (`-p clinicbot.testing.pytest_env`) before Django reads its settings.

Tests run against real PostgreSQL and Redis. `make test` exports DATABASE_URL and REDIS_URL for
the servers it found or started; run by hand, pytest falls back to the local defaults below.
Values already in the environment always win.
"""

import os

TEST_DEFAULTS = {
    "DEBUG": "true",
    "SECRET_KEY": "test-secret-key-not-for-production",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/clinicbot",
    # A database number of its own: the suite flushes it.
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "EVOLUTION_WEBHOOK_SECRET": "test-webhook-secret",
    "EVOLUTION_API_URL": "",
    "EVOLUTION_API_KEY": "",
    "OPENAI_API_KEY": "",
}

for name, value in TEST_DEFAULTS.items():
    os.environ.setdefault(name, value)
