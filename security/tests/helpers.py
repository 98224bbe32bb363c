"""Keys, subprocess environments and raw column reads shared by the security tests."""

import base64
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KEY_NAMES = ("PHI_MASTER_KEY", "PHI_RSA_PRIVATE_KEY", "HIPAA_AUDIT_KEY")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def new_master_key() -> str:
    return b64(os.urandom(32))


def pem_of(private_key, password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@cache
def other_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def valid_keys() -> dict[str, str]:
    return {
        "PHI_MASTER_KEY": new_master_key(),
        "PHI_RSA_PRIVATE_KEY": b64(pem_of(other_rsa_key())),
        "HIPAA_AUDIT_KEY": b64(os.urandom(32)),
    }


def subprocess_environment(tmp_path, **overrides) -> dict[str, str]:
    """An environment for `manage.py` in a subprocess: DEBUG on (so only the keys can be wrong),
    a scratch SQLite database, no Redis, valid keys unless overridden. An empty value means
    unset (and also hides any .env value: the environment wins)."""
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment |= {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'scratch.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
    }
    return environment | valid_keys() | overrides


def manage(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def raw_column(model, column: str) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} ORDER BY id")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]
