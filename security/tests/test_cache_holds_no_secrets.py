"""django-cachalot caches ORM reads in Redis: never the rows of the sign-in tables, whose
password hashes (and session keys) must stay in the database only."""

import pytest
from django.conf import settings

from clinicbot.runtime.redis_client import sync_redis
from conftest import STAFF_PASSWORD

# Committed transactions: cachalot keeps what a transaction read to itself until it commits.
pytestmark = pytest.mark.django_db(transaction=True)

HASH_MARKERS = (b"pbkdf2_", b"argon2", b"bcrypt", b"scrypt")
ADMIN_PAGES = [
    "/admin/",
    "/admin/conversations/conversationsession/",
    "/admin/auth/user/",
    "/admin/security/auditevent/",
]


def redis_values_holding_a_password_hash() -> list[bytes]:
    redis = sync_redis()
    found = []
    for key in redis.scan_iter(count=500):
        if redis.type(key) != b"string":
            continue
        value = redis.get(key) or b""
        if any(marker in value for marker in HASH_MARKERS):
            found.append(key)
    return found


def test_no_password_hash_reaches_the_cache_after_sign_ins_and_admin_pages(
    client, admin_user, clinic_staff
):
    assert settings.CACHALOT_ENABLED and settings.REDIS_URL
    for username, password in (("admin", "password"), ("alice", STAFF_PASSWORD)):
        credentials = {"username": username, "password": password}
        response = client.post("/admin/login/?next=/admin/", credentials)
        assert response.status_code == 302
        for url in ADMIN_PAGES * 2:  # twice: the second read is the one a cache would answer
            client.get(url)
        client.post("/admin/logout/")
    assert redis_values_holding_a_password_hash() == []
