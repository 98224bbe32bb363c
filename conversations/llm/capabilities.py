"""Which model answers, from the capability rows staff edit in the admin (LLMModel).

`model_for(purpose, clinic_id)` picks, in order:
1. the clinic's own setting (Clinic.llm_model), when that row is active and fits the purpose;
2. the best active row that fits: lowest `rank`, then the lowest measured p95 latency, then the
   lowest time to first token, then the cheapest output (a figure nobody measured sorts last);
3. settings.LLM_DEFAULT_MODEL.

A row is a plain `ModelChoice` once read: the measured figures are optional, and a row missing
them (or any other odd row) never stops the others from loading. Reads are cached in the
process for CACHE_TTL_S, so an answer makes no capability query when warm; if the database cannot
answer, the last rows read (or the default) are used.
"""

from __future__ import annotations

import enum
import logging
import math
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection

from conversations.llm.adapters import ADAPTERS, OpenAIAdapter, call_timeout, openai_client
from conversations.llm.rehearsal import rehearse_answer
from conversations.models import Clinic, LLMModel

logger = logging.getLogger(__name__)

CACHE_TTL_S = 60.0
WARM_BUDGET_S = 3.0
DEFAULT_CONTEXT_WINDOW = 128_000


class Purpose(enum.StrEnum):
    REPLY = "reply"  # a plain answer
    TOOLS = "tools"  # an answer that may call tools


@dataclass(frozen=True, slots=True)
class ModelChoice:
    provider: str
    name: str
    context_window: int
    max_output_tokens: int
    supports_tools: bool = True
    supports_streaming: bool = True
    input_price_per_mtok: Decimal | None = None
    output_price_per_mtok: Decimal | None = None
    avg_output_tokens_per_s: float | None = None
    avg_ttft_ms: float | None = None
    p95_latency_ms: float | None = None
    rank: int = 100
    row_id: int | None = None
    source: str = "default"  # "clinic", "best" or "default": why this model was picked

    def fits(self, purpose: Purpose) -> bool:
        if self.provider not in ADAPTERS:
            return False
        return purpose != Purpose.TOOLS or self.supports_tools

    @property
    def max_completion_tokens(self) -> int:
        return max(1, min(settings.LLM_MAX_COMPLETION_TOKENS, self.max_output_tokens))

    @classmethod
    def of(cls, row) -> ModelChoice:
        return cls(
            provider=row.provider,
            name=row.name,
            context_window=row.context_window,
            max_output_tokens=row.max_output_tokens,
            supports_tools=row.supports_tools,
            supports_streaming=row.supports_streaming,
            input_price_per_mtok=row.input_price_per_mtok,
            output_price_per_mtok=row.output_price_per_mtok,
            avg_output_tokens_per_s=row.avg_output_tokens_per_s,
            avg_ttft_ms=row.avg_ttft_ms,
            p95_latency_ms=row.p95_latency_ms,
            rank=row.rank,
            row_id=row.pk,
            source="best",
        )


def default_model() -> ModelChoice:
    return ModelChoice(
        provider="openai",
        name=settings.LLM_DEFAULT_MODEL,
        context_window=DEFAULT_CONTEXT_WINDOW,
        max_output_tokens=settings.LLM_MAX_COMPLETION_TOKENS,
    )


def _unknown_last(value) -> float:
    return math.inf if value is None else float(value)


def best_key(choice: ModelChoice) -> tuple:
    return (
        choice.rank,
        _unknown_last(choice.p95_latency_ms),
        _unknown_last(choice.avg_ttft_ms),
        _unknown_last(choice.output_price_per_mtok),
        choice.name,
    )


class CapabilityCache:
    """The active rows and each clinic's setting, read at most every CACHE_TTL_S."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rows: dict[int, ModelChoice] | None = None
        self._rows_at = 0.0
        self._clinics: dict[int, tuple[int | None, float]] = {}

    def forget(self) -> None:
        with self._lock:
            self._rows, self._rows_at = None, 0.0
            self._clinics.clear()

    def rows(self) -> dict[int, ModelChoice]:
        with self._lock:
            if self._rows is not None and time.monotonic() - self._rows_at < CACHE_TTL_S:
                return self._rows
        try:
            rows = _load_rows()
        except DatabaseError as error:
            logger.warning("LLM models could not be read (%s)", type(error).__name__)
            with self._lock:
                return self._rows or {}
        with self._lock:
            self._rows, self._rows_at = rows, time.monotonic()
        return rows

    def clinic_model_id(self, clinic_id: int) -> int | None:
        with self._lock:
            entry = self._clinics.get(clinic_id)
            if entry and time.monotonic() - entry[1] < CACHE_TTL_S:
                return entry[0]

        try:
            model_id = (
                Clinic.objects.filter(pk=clinic_id).values_list("llm_model_id", flat=True).first()
            )
        except DatabaseError as error:
            logger.warning("clinic LLM setting could not be read (%s)", type(error).__name__)
            return entry[0] if entry else None
        with self._lock:
            self._clinics[clinic_id] = (model_id, time.monotonic())
        return model_id

    def warm_clinics(self) -> None:
        now = time.monotonic()
        settings_by_clinic = dict(Clinic.objects.values_list("id", "llm_model_id"))
        with self._lock:
            for clinic_id, model_id in settings_by_clinic.items():
                self._clinics[clinic_id] = (model_id, now)


def _load_rows() -> dict[int, ModelChoice]:
    rows: dict[int, ModelChoice] = {}
    for row in LLMModel.objects.filter(active=True):
        try:
            choice = ModelChoice.of(row)
            if choice.max_output_tokens < 1 or choice.context_window < 1:
                raise ValueError("token limits must be positive")
        except (TypeError, ValueError) as error:
            # One bad row must not keep the LLM lane from starting.
            logger.warning("LLM model row %s skipped (%s)", row.pk, error)
            continue
        rows[row.pk] = choice
    return rows


capabilities = CapabilityCache()


def model_for(purpose: Purpose = Purpose.REPLY, clinic_id: int | None = None) -> ModelChoice:
    """The model for this purpose: the clinic's setting, else the best active row, else the
    default from settings."""
    rows = capabilities.rows()
    if clinic_id is not None:
        chosen = rows.get(capabilities.clinic_model_id(clinic_id))
        if chosen is not None and chosen.fits(purpose):
            return replace(chosen, source="clinic")
    fitting = [choice for choice in rows.values() if choice.fits(purpose)]
    if fitting:
        return min(fitting, key=best_key)
    return default_model()


def adapter_for(choice: ModelChoice):
    """An adapter for the chosen model, on the process's shared client."""
    adapter_class = ADAPTERS.get(choice.provider, OpenAIAdapter)
    return adapter_class(choice.name, max_completion_tokens=choice.max_completion_tokens)


# --- warm-up ------------------------------------------------------------------------------------


def _warm(budget_s: float, started: float, succeeded: threading.Event) -> None:
    try:
        capabilities.rows()
        capabilities.warm_clinics()
        rehearse_answer()
        if not settings.OPENAI_API_KEY:
            succeeded.set()
            return
        client = openai_client()
        left = budget_s - (time.monotonic() - started)
        if left > 0.2:
            # Opens the connection (TCP, TLS) the first answer will reuse.
            client.models.list(timeout=call_timeout(left))
        succeeded.set()
    except Exception as error:  # noqa: BLE001  (a cold start is slower, never wrong)
        logger.info("LLM warm-up incomplete (%s)", type(error).__name__)
    finally:
        connection.close()


def warm_llm(budget_s: float = WARM_BUDGET_S) -> bool:
    """Load the capability rows and clinic settings, build the client and open its connection,
    for at most `budget_s` (3 s): the work runs in a daemon thread and this returns when it is
    done or the budget is spent, whichever comes first. True when all of it succeeded in time;
    a connection that timed out inside the budget is kept to the budget but is not a success."""
    started = time.monotonic()
    succeeded = threading.Event()
    worker = threading.Thread(
        target=_warm, args=(budget_s, started, succeeded), name="clinicbot-llm-warmup", daemon=True
    )
    worker.start()
    worker.join(budget_s)
    finished = succeeded.is_set()
    logger.info(
        "LLM warm-up %s in %.0f ms",
        "done" if finished else "incomplete or cut at its budget",
        (time.monotonic() - started) * 1000,
    )
    return finished
