"""The shared cast of every test: the demo clinic, a second clinic, and a clean Redis.

Imports of Django code stay inside the fixtures so that pure-Python tests (the language layer,
the fake servers) can also run without Django (`-p no:django`).
"""

import json
import logging
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# Real payloads: the gateway bodies beside their channel's tests, clinic files here.
FIXTURES = ROOT / "conversations" / "tests" / "fixtures"
EVOLUTION_FIXTURES = ROOT / "channels" / "evolution" / "tests" / "fixtures"
DEMO_CLINIC_FILE = ROOT / "conversations" / "demo" / "smile-dental.json"


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("asyncio") and "django_db_setup" in item.fixturenames:
            item.fixturenames.append("event_loop_connections_closed")


@pytest.fixture
async def event_loop_connections_closed():
    """An async test's event loop ends with the test: close the connections it opened (the
    gateway's, the database lookups'), as the web process does at shutdown, instead of leaving
    them to the garbage collector (a pooled connection left open to the test database, and
    aiohttp's warnings at exit)."""
    yield
    from clinicbot.runtime.aio import close_loop_connections

    await close_loop_connections()


def load_demo_clinic_data() -> dict:
    return json.loads(DEMO_CLINIC_FILE.read_text(encoding="utf-8"))


def import_clinic_data(data: dict):
    from conversations.clinic_file import parse_clinic_file
    from conversations.services.clinics import clinic_import

    return clinic_import(spec=parse_clinic_file(data)).clinic


def chat_json(
    text: str, monkeypatch, *, clinic_slug: str | None = None, phone: str | None = None
) -> dict:
    """One message through `manage.py chat --json`: its JSON answer."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))
    args = ["--json", *(["--clinic", clinic_slug] if clinic_slug else [])]
    args += ["--phone", phone] if phone else []
    call_command("chat", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def digits(text: str) -> str:
    """ "RUB 4,321.00" -> "432100": prices compared whatever the locale's formatting."""
    return "".join(ch for ch in text if ch.isdigit())


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


STAFF_PASSWORD = "correct horse battery staple"


@pytest.fixture
def clinic_staff(clinic):
    """alice, a staff user of the demo clinic: may view and change every clinic model and add
    services (price imports)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("alice", password=STAFF_PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["conversations", "pricing", "followups"],
            codename__regex=r"^(view|change)_|^add_service$",
        )
    )
    clinic.staff.add(user)
    return user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's database set-up, plus: close Django's connection pool before the test
    database is dropped (threads hand connections back to the pool, which keeps them open)."""
    yield
    from django.db import connection, connections

    for alias in connections:
        close_pool = getattr(connections[alias], "close_pool", None)
        if close_pool is not None:
            close_pool()
    # Threads that ran async ORM calls (asgiref's executor) never hand their connection back;
    # end those sessions so the test database can be dropped.
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with django_db_blocker.unblock():
            connection.close()


@pytest.fixture(autouse=True)
def clean_state():
    """Each test starts with an empty Redis database (the suite's own database number) and
    empty per-process caches (database ids differ from test to test)."""
    from django.conf import settings

    if not settings.configured:
        yield
        return
    from clinicbot.runtime.breaker import database_breaker
    from conversations.directory import clinics
    from pricing.cache import price_lists

    if settings.REDIS_URL:
        from clinicbot.runtime.redis_client import sync_redis

        sync_redis().flushdb()
    clinics.forget()
    price_lists.forget()
    database_breaker.reset()
    yield
    clinics.forget()
    price_lists.forget()
    database_breaker.reset()
    _reset_connection_pools()


def _reset_connection_pools() -> None:
    """Threads a test started may keep pooled connections checked out; a fresh pool for the
    next test keeps one test's leftovers from starving another of connections."""
    from django.db import connections

    for wrapper in connections.all(initialized_only=True):
        if wrapper.vendor == "postgresql" and wrapper.settings_dict["OPTIONS"].get("pool"):
            wrapper.close_pool()


@pytest.fixture(scope="session")
def compiled_catalogs():
    """The console's translations compiled, as `make install` does, for a run started without
    it (a fresh clone, a .po just edited): pages in Russian or Hebrew need the .mo files."""
    from clinicbot.catalogs import catalogs_compile

    catalogs_compile()


@pytest.fixture
def outbox(settings):
    """Replies go to an in-memory outbox instead of a gateway."""
    from channels.senders import LocmemSender

    settings.CHANNEL_SENDER_OVERRIDE = "locmem"
    LocmemSender.outbox.clear()
    yield LocmemSender.outbox
    LocmemSender.outbox.clear()


@pytest.fixture
def eager_tasks():
    """Celery tasks run inline (stage B right after stage A), as in the embedded default."""
    from django.conf import settings

    from clinicbot.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker consuming the real Redis broker, in a thread of this process (so it
    uses the test database). Countdowns and retries behave as in production."""
    from celery.contrib.testing.worker import start_worker

    from clinicbot.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    root_level = logging.getLogger().level  # start_worker sets the root logger's level
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="INFO"
    ):
        yield
    logging.getLogger().setLevel(root_level)


@pytest.fixture
def stored_journals(monkeypatch):
    """Keeps each journal as stage B stores it, for tests that read a journal after its reply
    settled: stage B shrinks it in Redis then (conversations.tests.conftest.journal_seen)."""
    from conversations import tasks
    from conversations.hotstore import message_key
    from conversations.tests.conftest import STORED_JOURNALS

    store = tasks.journals_store

    def keeping(*, journals):
        store(journals=journals)
        STORED_JOURNALS.update({message_key(j.instance, j.message_id): j for j in journals})

    STORED_JOURNALS.clear()
    monkeypatch.setattr(tasks, "journals_store", keeping)
    yield STORED_JOURNALS
    STORED_JOURNALS.clear()


@pytest.fixture
def no_cachalot(settings):
    """django-cachalot off in every thread, so an ORM read shows up as SQL instead of being
    answered from its cache (its own `cachalot_disabled()` covers only the current thread)."""
    from cachalot.settings import cachalot_settings

    settings.CACHALOT_ENABLED = False
    cachalot_settings.reload()
    yield
    settings.CACHALOT_ENABLED = True
    cachalot_settings.reload()


@pytest.fixture
def gateway(settings):
    """Replies go to a fake Evolution gateway: a real HTTP server on loopback."""
    from testing.fake_evolution import FakeEvolution

    with FakeEvolution(api_key="gateway-key") as fake:
        settings.CHANNEL_SENDER_OVERRIDE = ""
        settings.EVOLUTION_API_URL = fake.url
        settings.EVOLUTION_API_KEY = "gateway-key"
        yield fake
