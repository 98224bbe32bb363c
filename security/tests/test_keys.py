"""The keys: start refused for each missing or malformed one, check_keys, generate_keys."""

import io

import environ
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import CommandError, call_command

from security.checks import check_keys
from security.keys import parse_audit_key, parse_master_keys, parse_rsa_private_key
from security.models import AuditEvent
from security.tests.helpers import (
    b64,
    manage,
    new_master_key,
    pem_of,
    subprocess_environment,
    valid_keys,
)

SMALL_RSA = rsa.generate_private_key(public_exponent=65537, key_size=1024)

BAD_KEYS = [
    # (key, bad value, check id, problem named)
    ("PHI_MASTER_KEY", "", "security.E001", "PHI_MASTER_KEY is not set"),
    ("PHI_MASTER_KEY", "not*base64!", "security.E001", "PHI_MASTER_KEY is not valid base64"),
    ("PHI_MASTER_KEY", b64(b"k" * 16), "security.E001", "is 16 bytes; 32 are required"),
    (
        "PHI_MASTER_KEY",
        f"{new_master_key()},{b64(b'k' * 31)}",
        "security.E001",
        "key 2 of 2 is 31 bytes; 32 are required",
    ),
    ("PHI_RSA_PRIVATE_KEY", "", "security.E002", "PHI_RSA_PRIVATE_KEY is not set"),
    ("PHI_RSA_PRIVATE_KEY", "%%%", "security.E002", "PHI_RSA_PRIVATE_KEY is not valid base64"),
    ("PHI_RSA_PRIVATE_KEY", b64(b"just some bytes"), "security.E002", "is not a PEM"),
    (
        "PHI_RSA_PRIVATE_KEY",
        b64(pem_of(SMALL_RSA)),
        "security.E002",
        "is a 1024-bit key; at least 2048 bits are required",
    ),
    (
        "PHI_RSA_PRIVATE_KEY",
        b64(pem_of(ec.generate_private_key(ec.SECP256R1()))),
        "security.E002",
        "is not an RSA key",
    ),
    (
        "PHI_RSA_PRIVATE_KEY",
        b64(pem_of(SMALL_RSA, password=b"secret")),
        "security.E002",
        "is password-protected",
    ),
    ("HIPAA_AUDIT_KEY", "", "security.E003", "HIPAA_AUDIT_KEY is not set"),
    ("HIPAA_AUDIT_KEY", "a-b-c-d-e!", "security.E003", "HIPAA_AUDIT_KEY is not valid base64"),
    ("HIPAA_AUDIT_KEY", b64(b"a" * 16), "security.E003", "is 16 bytes; at least 32 are required"),
]


@pytest.mark.parametrize(("name", "value", "check_id", "problem"), BAD_KEYS)
def test_start_is_refused_naming_each_missing_or_malformed_key(
    settings, name, value, check_id, problem
):
    setattr(settings, name, value)
    errors = check_keys()
    assert [error.id for error in errors] == [check_id]
    assert problem in errors[0].msg
    assert errors[0].msg.startswith(name)
    if len(value) > 3:
        assert value not in errors[0].msg and value not in (errors[0].hint or "")


@pytest.mark.parametrize("debug", [True, False])
def test_the_key_checks_apply_whatever_debug_is(settings, debug):
    settings.DEBUG = debug
    settings.HIPAA_AUDIT_KEY = ""
    assert [error.id for error in check_keys()] == ["security.E003"]


def test_valid_keys_pass_the_checks_including_a_rotation_list(settings):
    settings.PHI_MASTER_KEY = f"{new_master_key()}, {new_master_key()}"
    assert check_keys() == []


def test_url_safe_and_unpadded_base64_are_accepted():
    raw = bytes(range(200, 232))
    url_safe = "".join(b64(raw).replace("+", "-").replace("/", "_").rstrip("="))
    assert parse_master_keys(url_safe).current.key_id == parse_master_keys(b64(raw)).current.key_id


def test_a_pem_pasted_as_is_is_accepted():
    pem = pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048)).decode()
    assert parse_rsa_private_key(pem).key_size == 2048


def test_the_same_key_twice_in_a_rotation_list_is_refused(settings):
    key = new_master_key()
    settings.PHI_MASTER_KEY = f"{key},{key}"
    (error,) = check_keys()
    assert "lists the same key twice" in error.msg


def test_manage_py_check_refuses_to_start_with_a_malformed_key_and_never_prints_it(tmp_path):
    bad = b64(b"sixteen byte key")
    environment = subprocess_environment(tmp_path, PHI_MASTER_KEY=bad, HIPAA_AUDIT_KEY="")
    result = manage("check", environment=environment)
    assert result.returncode != 0
    assert "security.E001" in result.stderr
    assert "PHI_MASTER_KEY is 16 bytes; 32 are required" in result.stderr
    assert "security.E003" in result.stderr and "HIPAA_AUDIT_KEY is not set" in result.stderr
    assert bad not in result.stdout + result.stderr


def test_the_web_server_refuses_to_start_without_a_key(tmp_path):
    import subprocess
    import sys

    from security.tests.helpers import PROJECT_ROOT

    result = subprocess.run(
        [sys.executable, "-c", "import clinicbot.asgi"],
        cwd=PROJECT_ROOT,
        env=subprocess_environment(tmp_path, PHI_RSA_PRIVATE_KEY=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "clinicbot refuses to start" in result.stderr
    assert "security.E002: PHI_RSA_PRIVATE_KEY is not set" in result.stderr


def test_check_keys_exits_1_naming_each_bad_key_without_printing_key_material(tmp_path):
    bad_master = b64(b"m" * 20)
    bad_rsa = b64(pem_of(SMALL_RSA))
    environment = subprocess_environment(
        tmp_path, PHI_MASTER_KEY=bad_master, PHI_RSA_PRIVATE_KEY=bad_rsa
    )
    result = manage("check_keys", environment=environment)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "PHI_MASTER_KEY is 20 bytes; 32 are required" in result.stderr
    assert "PHI_RSA_PRIVATE_KEY is a 1024-bit key" in result.stderr
    assert "HIPAA_AUDIT_KEY" not in result.stderr  # the good one is not named as bad
    for value in (bad_master, bad_rsa, environment["HIPAA_AUDIT_KEY"]):
        assert value not in output
        assert value[:12] not in output


def test_check_keys_exits_0_with_good_keys_and_prints_only_ids_and_sizes(tmp_path):
    environment = subprocess_environment(tmp_path)
    result = manage("check_keys", environment=environment)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "PHI_MASTER_KEY: ok (current key id " in result.stdout
    assert "PHI_RSA_PRIVATE_KEY: ok (2048-bit RSA" in result.stdout
    assert "HIPAA_AUDIT_KEY: ok (32 bytes)" in result.stdout
    for name in ("PHI_MASTER_KEY", "PHI_RSA_PRIVATE_KEY", "HIPAA_AUDIT_KEY"):
        assert environment[name][:12] not in output


def test_generate_keys_prints_env_lines_that_pass_check_keys(tmp_path, monkeypatch):
    out = io.StringIO()
    call_command("generate_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "PHI_MASTER_KEY",
        "PHI_RSA_PRIVATE_KEY",
        "HIPAA_AUDIT_KEY",
    ]
    # Read back the way settings read .env.
    env_file = tmp_path / ".env"
    env_file.write_text(out.getvalue())
    read = {}
    monkeypatch.setattr(environ.Env, "ENVIRON", read)
    environ.Env.read_env(env_file)
    assert len(parse_master_keys(read["PHI_MASTER_KEY"]).keys) == 1
    assert parse_rsa_private_key(read["PHI_RSA_PRIVATE_KEY"]).key_size == 3072
    assert len(parse_audit_key(read["HIPAA_AUDIT_KEY"])) >= 32

    result = manage("check_keys", environment=subprocess_environment(tmp_path, **read))
    assert result.returncode == 0, result.stdout + result.stderr


def test_generate_keys_gives_fresh_keys_each_time():
    first, second = io.StringIO(), io.StringIO()
    call_command("generate_keys", stdout=first)
    call_command("generate_keys", stdout=second)
    assert not set(first.getvalue().splitlines()) & set(second.getvalue().splitlines())


def test_check_keys_records_an_audit_event(db):
    call_command("check_keys", stdout=io.StringIO())
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.outcome) == ("system", "key_check", "success")


def test_check_keys_records_a_failed_check_naming_the_bad_keys(db, settings):
    settings.PHI_MASTER_KEY = ""
    with pytest.raises(CommandError) as raised:
        call_command("check_keys", stdout=io.StringIO())
    assert raised.value.returncode == 1
    event = AuditEvent.objects.get()
    assert event.outcome == "failure"
    assert event.details == {"bad_keys": ["PHI_MASTER_KEY"]}


def test_valid_keys_helper_makes_keys_the_checks_accept(settings):
    for name, value in valid_keys().items():
        setattr(settings, name, value)
    assert check_keys() == []
