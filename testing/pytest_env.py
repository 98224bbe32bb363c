"""Loaded by pytest.ini (`-p testing.pytest_env`) before Django reads its settings.

Tests run against real PostgreSQL and Redis. `make test` exports DATABASE_URL and REDIS_URL for
the servers it found or started; run by hand, pytest falls back to the local defaults below.
Values already in the environment always win.

The service refuses to start without its keys (security.E001-E003), so the suite gets fresh
ones, generated here once per run: `TEST_KEYS` is also what tests that start clinicbot in a
subprocess put in its environment.
"""

import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _test_keys() -> dict[str, str]:
    # 2048 bits, the smallest accepted, is enough for tests and generates in ~50 ms.
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "PHI_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "PHI_RSA_PRIVATE_KEY": base64.b64encode(pem).decode(),
        "HIPAA_AUDIT_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


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

for name, value in (TEST_DEFAULTS | _test_keys()).items():
    os.environ.setdefault(name, value)

# The keys this run uses (generated above, or given in the environment).
TEST_KEYS = {
    name: os.environ[name] for name in ("PHI_MASTER_KEY", "PHI_RSA_PRIVATE_KEY", "HIPAA_AUDIT_KEY")
}
