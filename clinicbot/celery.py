"""The Celery app: `celery -A clinicbot worker` and `celery -A clinicbot beat`."""

import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")

app = Celery("clinicbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def refuse_to_start_with_bad_settings(**kwargs):
    from django.core.management.base import SystemCheckError

    from clinicbot.checks import refuse_start_on_errors

    try:
        refuse_start_on_errors()
    except SystemCheckError as error:
        # Celery logs an Exception raised by a signal receiver and starts anyway; SystemExit is
        # not an Exception, so it ends the process, printing the message and exiting with 1.
        raise SystemExit(str(error)) from None


@worker_process_init.connect
def warm_caches_in_each_worker_process(**kwargs):
    from clinicbot.warmup import start_warmup

    start_warmup(llm=True)


@task_prerun.connect
@task_postrun.connect
def hand_database_connections_back_to_the_pool(task=None, **kwargs):
    """Celery's Django fixup closes Django's whole connection pool around every task in a
    prefork worker, so each task opened a new PostgreSQL connection and paid its start-up and
    authentication round trips (and, to Supabase, a TLS handshake) again every time.
    settings.CELERY_DB_REUSE_MAX turns that off; this hands the connections back to the pool
    instead, which drops broken ones."""
    if task is not None and task.request.is_eager:
        return  # inline, inside the caller's transaction
    from django.db import close_old_connections

    close_old_connections()
