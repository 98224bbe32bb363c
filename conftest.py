"""The shared cast of every test: the demo clinic, a second clinic, and a clean Redis.

Imports of Django code stay inside the fixtures so that pure-Python tests (the language layer,
the fake servers) can also run without Django (`-p no:django`).
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# Copies of ../shared/fixtures (the gateway bodies and demo clinic every team works from), kept in
# the repository so a clone anywhere runs the suite; test_shared_fixtures checks they are current.
FIXTURES = ROOT / "conversations" / "tests" / "fixtures"
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
DEMO_CLINIC_FILE = ROOT / "conversations" / "demo" / "smile-dental.json"


def load_demo_clinic_data() -> dict:
    return json.loads(DEMO_CLINIC_FILE.read_text(encoding="utf-8"))


def import_clinic_data(data: dict):
    from conversations.clinic_file import parse_clinic_file
    from conversations.services import clinic_import

    return clinic_import(spec=parse_clinic_file(data)).clinic


@pytest.fixture
def clinic(db):
    return import_clinic_data(load_demo_clinic_data())


@pytest.fixture
def other_clinic(db):
    return import_clinic_data(
        load_demo_clinic_data()
        | {
            "slug": "north-family-dental",
            "name": "North Family Dental",
            "whatsapp_instance": "north-main",
            "default_language": "en",
            "timezone": "Europe/London",
        }
    )


@pytest.fixture(autouse=True)
def clean_redis():
    """Each test starts with an empty Redis database (the suite's own database number)."""
    from django.conf import settings

    if settings.configured and settings.REDIS_URL:
        from clinicbot.redis_client import sync_redis

        sync_redis().flushdb()
    yield
