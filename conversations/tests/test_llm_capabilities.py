"""Model capabilities in the database, the factory that picks a model, and the warm-up."""

import socket
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.llm.adapters import forget_clients
from conversations.llm.capabilities import (
    Purpose,
    adapter_for,
    capabilities,
    model_for,
    warm_llm,
)
from conversations.models import LLMModel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_capabilities():
    capabilities.forget()
    yield
    capabilities.forget()
    forget_clients()


def add_model(name: str, **fields) -> LLMModel:
    """A row with only the required fields, unless told otherwise."""
    values = {
        "name": name,
        "context_window": 128_000,
        "max_output_tokens": 4096,
        "input_price_per_mtok": Decimal("0.15"),
        "output_price_per_mtok": Decimal("0.60"),
    }
    return LLMModel.objects.create(**(values | fields))


def test_a_row_without_the_measured_figures_loads_and_is_chosen():
    row = add_model("bare-model")
    row.full_clean()  # validates: the measured figures are optional

    choice = model_for(Purpose.REPLY)

    assert (choice.name, choice.source, choice.row_id) == ("bare-model", "best", row.pk)
    assert choice.avg_output_tokens_per_s is None
    assert choice.avg_ttft_ms is None and choice.p95_latency_ms is None


def test_without_active_rows_the_setting_default_is_used(settings):
    settings.LLM_DEFAULT_MODEL = "default-model"
    add_model("switched-off", active=False)

    choice = model_for(Purpose.TOOLS)

    assert (choice.name, choice.source, choice.provider) == ("default-model", "default", "openai")
    assert choice.max_completion_tokens == settings.LLM_MAX_COMPLETION_TOKENS


def test_the_best_active_row_is_the_lowest_rank_then_the_fastest_measured():
    add_model("unmeasured")
    add_model("slow", p95_latency_ms=4000)
    add_model("fast", p95_latency_ms=900, avg_ttft_ms=300, avg_output_tokens_per_s=80)
    add_model("inactive-fastest", p95_latency_ms=100, active=False)

    assert model_for(Purpose.REPLY).name == "fast"

    add_model("preferred-by-staff", rank=10)
    capabilities.forget()
    assert model_for(Purpose.REPLY).name == "preferred-by-staff"


def test_the_clinic_setting_wins_over_the_best_active_row(clinic):
    add_model("best", rank=1)
    chosen = add_model("the-clinics-own", rank=50)
    clinic.llm_model = chosen
    clinic.save()

    assert model_for(Purpose.TOOLS, clinic.id).name == "the-clinics-own"
    assert model_for(Purpose.TOOLS, clinic.id).source == "clinic"
    assert model_for(Purpose.TOOLS).name == "best"


def test_a_clinic_setting_that_cannot_serve_the_purpose_falls_back_to_the_best_row(clinic):
    add_model("with-tools", rank=20)
    clinic.llm_model = add_model("no-tools", rank=1, supports_tools=False)
    clinic.save()

    assert model_for(Purpose.REPLY, clinic.id).name == "no-tools"
    assert model_for(Purpose.TOOLS, clinic.id).name == "with-tools"

    clinic.llm_model.active = False
    clinic.llm_model.save()
    capabilities.forget()
    assert model_for(Purpose.REPLY, clinic.id).name == "with-tools"


def test_the_output_token_cap_is_the_smaller_of_the_setting_and_the_model(settings):
    settings.LLM_MAX_COMPLETION_TOKENS = 400
    settings.OPENAI_API_KEY = "cap-key"
    add_model("short-answers", max_output_tokens=256)

    choice = model_for(Purpose.REPLY)
    adapter = adapter_for(choice)

    assert (adapter.model, adapter.max_completion_tokens) == ("short-answers", 256)


def test_reads_are_cached_so_a_warm_answer_makes_no_query(clinic, no_cachalot):
    add_model("cached")
    with CaptureQueriesContext(connection) as cold:
        model_for(Purpose.TOOLS, clinic.id)
    with CaptureQueriesContext(connection) as warm:
        model_for(Purpose.TOOLS, clinic.id)

    assert len(cold) == 2  # the active rows, the clinic's setting
    assert len(warm) == 0


def test_staff_add_a_model_in_the_admin_without_the_measured_figures(admin_client):
    response = admin_client.post(
        "/admin/conversations/llmmodel/add/",
        {
            "provider": "openai",
            "name": "gpt-admin",
            "active": "on",
            "rank": "100",
            "context_window": "128000",
            "max_output_tokens": "16384",
            "supports_tools": "on",
            "supports_streaming": "on",
            "input_price_per_mtok": "0.15",
            "output_price_per_mtok": "0.60",
            "avg_output_tokens_per_s": "",
            "avg_ttft_ms": "",
            "p95_latency_ms": "",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    row = LLMModel.objects.get(name="gpt-admin")
    assert row.p95_latency_ms is None
    assert admin_client.get("/admin/conversations/llmmodel/").status_code == 200
    assert model_for(Purpose.TOOLS).name == "gpt-admin"


@pytest.fixture
def silent_server():
    """A loopback port that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_loads_the_models_and_keeps_to_its_budget(settings, no_cachalot, silent_server):
    add_model("warmed")
    settings.OPENAI_API_KEY = "warm-key"
    settings.OPENAI_BASE_URL = f"{silent_server}/v1"  # opening the connection never finishes

    started = time.monotonic()
    finished = warm_llm(budget_s=0.8)
    elapsed = time.monotonic() - started

    assert not finished
    # The silent server never answers: without its budget the warm-up would wait for ever, so
    # returning at all is the point. The margin is for a machine busy with other work.
    assert elapsed < 10
    with CaptureQueriesContext(connection) as queries:
        assert model_for(Purpose.TOOLS).name == "warmed"
    assert len(queries) == 0


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_without_an_api_key_only_loads_the_models(settings):
    settings.OPENAI_API_KEY = ""
    add_model("warmed")

    started = time.monotonic()
    assert warm_llm() is True
    assert time.monotonic() - started < 3


@pytest.mark.django_db(transaction=True)
def test_the_rehearsal_runs_an_answers_code_path_without_asking_the_model_or_sending(
    settings, clinic, outbox
):
    """At worker start, an answer's code path runs once offline (conversations.llm.rehearsal):
    neither the model nor the gateway hears of it."""
    from conversations.directory import clinics
    from conversations.llm.rehearsal import rehearse_answer
    from testing.fake_openai import FakeOpenAI

    clinics.warm()
    with FakeOpenAI(api_key="rehearsal-key") as model:
        settings.OPENAI_API_KEY = "rehearsal-key"
        settings.OPENAI_BASE_URL = f"{model.url}/v1"
        rehearse_answer()
        assert model.requests() == []
    assert outbox == []
