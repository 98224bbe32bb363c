"""Filling the in-memory caches when a web or worker process starts, in the background.

Start-up never waits for it: a process serves at once, and a request that arrives before the
warm-up finishes simply loads what it needs itself (one query, single-flight). The warm-up gives
up after WARMUP_BUDGET_S so a slow database cannot keep a thread busy for long.
"""

import gc
import logging
import threading
import time

from celery import current_app
from django.db import connection

from channels.registry import senders
from conversations.directory import clinics
from conversations.llm.capabilities import warm_llm
from pricing.cache import price_lists

logger = logging.getLogger(__name__)

WARMUP_BUDGET_S = 5.0


def warm_caches(*, llm: bool = False) -> None:
    started = time.monotonic()
    try:
        _import_task_modules()
        senders()  # built now, not in the first patient's request
        count = clinics.warm()
        ids = [clinic.id for clinic in clinics.all()]
        for clinic_id in ids:
            if time.monotonic() - started > WARMUP_BUDGET_S:
                logger.warning("cache warm-up stopped at its %.0f s budget", WARMUP_BUDGET_S)
                return
            price_lists.warm([clinic_id])
        if llm:
            # Only workers call the model; the LLM lane gets at most 3 s of the 5 s budget.
            elapsed = time.monotonic() - started
            warm_llm(budget_s=max(0.0, min(3.0, WARMUP_BUDGET_S - elapsed)))
        logger.info(
            "warmed %d clinics and their price lists in %.0f ms",
            count,
            (time.monotonic() - started) * 1000,
        )
        gc_freeze_startup_objects()
    except Exception as exc:  # noqa: BLE001  (a cold cache is slower, never wrong)
        logger.warning("cache warm-up failed (%s); caches fill on demand", type(exc).__name__)
    finally:
        connection.close()


def _import_task_modules() -> None:
    """The web process enqueues Celery tasks by name; the first enqueue would load every app's
    task modules (Celery's autodiscovery), and with them the OpenAI client, a heavy import: in
    the middle of the first patients' requests, its CPU and the GIL would be taken from the
    event loop."""
    current_app.loader.import_default_modules()


def gc_freeze_startup_objects() -> None:
    """Move everything alive now (Django, the language layer's lexicons, the price lists) out of
    the garbage collector's reach. They live as long as the process, yet every full collection
    would walk them all with the event loop stopped, and under load those pauses would be the
    slowest replies and health checks. New objects are collected as usual."""
    gc.collect()
    gc.freeze()


def start_warmup(*, llm: bool = False) -> threading.Thread:
    thread = threading.Thread(
        target=warm_caches, kwargs={"llm": llm}, name="clinicbot-warmup", daemon=True
    )
    thread.start()
    return thread
