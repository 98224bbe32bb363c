"""The Celery app: `celery -A clinicbot worker` and `celery -A clinicbot beat`."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")

app = Celery("clinicbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def refuse_to_start_with_bad_settings(**kwargs):
    from clinicbot.checks import refuse_start_on_errors

    refuse_start_on_errors()


@worker_process_init.connect
def warm_caches_in_each_worker_process(**kwargs):
    from clinicbot.warmup import start_warmup

    start_warmup(llm=True)
