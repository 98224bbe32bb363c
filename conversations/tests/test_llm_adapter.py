"""The OpenAI adapter against a real OpenAI-compatible HTTP server on loopback (FakeOpenAI):
the token-limit parameter, tool calls, streaming, the deadline and bounded retries."""

import json
import time

import openai
import pytest

from conversations.llm.adapters import (
    MAX_ATTEMPTS,
    Deadline,
    DeadlineExceeded,
    LLMAdapter,
    OpenAIAdapter,
    openai_client,
)
from conversations.llm.tools import TOOL_SCHEMAS
from testing.fake_openai import FakeOpenAI, ToolCall

QUESTION = [{"role": "user", "content": "Does a filling hurt?"}]


@pytest.fixture
def fake():
    # Like newer OpenAI models: a request carrying `max_tokens` gets a 400.
    with FakeOpenAI(api_key="adapter-key", reject_max_tokens=True) as fake:
        yield fake


@pytest.fixture
def adapter(fake):
    client = openai_client(api_key="adapter-key", base_url=f"{fake.url}/v1")
    yield OpenAIAdapter("gpt-test", max_completion_tokens=123, client=client)
    client.close()


def test_the_adapter_implements_the_interface(adapter):
    assert isinstance(adapter, LLMAdapter)


def test_every_call_sends_max_completion_tokens_and_never_max_tokens(fake, adapter):
    fake.script(["plain", ToolCall("clinic_info"), "streamed answer"])

    adapter.generate(QUESTION, deadline=Deadline(5))
    adapter.generate_with_tools(QUESTION, TOOL_SCHEMAS, deadline=Deadline(5))
    adapter.stream(QUESTION, deadline=Deadline(5)).text()

    bodies = [request["body"] for request in fake.requests()]
    assert len(bodies) == 3
    assert all(body["max_completion_tokens"] == 123 for body in bodies)
    assert all("max_tokens" not in body for body in bodies)
    assert all("temperature" not in body for body in bodies)


def test_the_client_has_explicit_timeouts_and_leaves_retries_to_the_adapter(fake):
    client = openai_client(api_key="adapter-key", base_url=f"{fake.url}/v1")
    assert client.max_retries == 0
    timeout = client._client.timeout
    assert timeout.connect == 2.0 and timeout.read and timeout.write and timeout.pool
    assert str(client.base_url).startswith(fake.url)
    client.close()


def test_a_plain_answer_comes_back_with_its_token_counts(fake, adapter):
    fake.script(["It is done under local anaesthesia, so it should not hurt."])

    completion = adapter.generate(QUESTION, deadline=Deadline(5))

    assert completion.text.startswith("It is done under local anaesthesia")
    assert completion.model == "gpt-test"
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0
    assert completion.tool_calls == () and completion.attempts == 1


def test_tool_calls_come_back_with_their_arguments_and_the_tools_were_offered(fake, adapter):
    fake.script([ToolCall("lookup_price", {"service": "filling"}, id="call_1")])

    completion = adapter.generate_with_tools(QUESTION, TOOL_SCHEMAS, deadline=Deadline(5))

    (call,) = completion.tool_calls
    assert (call.id, call.name, json.loads(call.arguments)) == (
        "call_1",
        "lookup_price",
        {"service": "filling"},
    )
    assert completion.assistant_message()["tool_calls"][0]["function"]["name"] == "lookup_price"
    body = fake.last_request()["body"]
    assert [tool["function"]["name"] for tool in body["tools"]] == [
        "lookup_price",
        "clinic_info",
        "hand_to_staff",
        "faq_lookup",
    ]
    assert body["tool_choice"] == "auto"


def test_the_stream_yields_the_answer_piece_by_piece_with_its_token_counts(fake, adapter):
    fake.script(["A filling is done under local anaesthesia."])

    stream = adapter.stream(QUESTION, deadline=Deadline(5))
    pieces = list(stream)

    assert len(pieces) > 1
    assert "".join(pieces) == "A filling is done under local anaesthesia."
    assert stream.completion_tokens > 0 and stream.finish_reason == "stop"
    assert fake.last_request()["body"]["stream"] is True


def test_a_slow_stream_stops_at_the_deadline(fake, adapter):
    fake.configure(chunk_delay=0.3)
    fake.script(["one two three four five six seven eight"])

    started = time.monotonic()
    with pytest.raises((DeadlineExceeded, openai.APITimeoutError)):
        adapter.stream(QUESTION, deadline=Deadline(0.8)).text()

    assert time.monotonic() - started < 1.5


def test_a_429_is_retried_and_answered_within_the_deadline(fake, adapter):
    fake.configure(retry_after=0.05)
    fake.fail(429, times=1)
    fake.script(["Answered after a retry."])

    started = time.monotonic()
    completion = adapter.generate(QUESTION, deadline=Deadline(2))

    assert completion.text == "Answered after a retry."
    assert completion.attempts == 2
    assert len(fake.requests()) == 2
    assert time.monotonic() - started < 2


def test_server_errors_are_retried_a_bounded_number_of_times(fake, adapter):
    fake.fail(500, times=100)

    started = time.monotonic()
    with pytest.raises(openai.InternalServerError):
        adapter.generate(QUESTION, deadline=Deadline(5))

    assert len(fake.requests()) == MAX_ATTEMPTS
    assert time.monotonic() - started < 5


def test_a_server_hint_longer_than_the_time_left_is_not_waited_for(fake, adapter):
    fake.configure(retry_after=10)
    fake.fail(429, times=1)

    started = time.monotonic()
    with pytest.raises(openai.RateLimitError):
        adapter.generate(QUESTION, deadline=Deadline(1))

    assert time.monotonic() - started < 0.5
    assert len(fake.requests()) == 1


def test_a_request_that_is_refused_is_not_retried(fake):
    client = openai_client(api_key="adapter-key", base_url=f"{fake.url}/v1")
    nameless = OpenAIAdapter("", max_completion_tokens=10, client=client)

    with pytest.raises(openai.BadRequestError):
        nameless.generate(QUESTION, deadline=Deadline(5))

    assert len(fake.requests()) == 1
    client.close()


def test_a_silent_server_is_given_up_on_at_the_deadline(fake, adapter):
    fake.set_latency(5)

    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        adapter.generate(QUESTION, deadline=Deadline(0.6))

    assert time.monotonic() - started < 1.0
    assert len(fake.requests()) == 1


def test_no_call_starts_once_the_deadline_has_passed(fake, adapter):
    deadline = Deadline(0.05)
    time.sleep(0.06)

    with pytest.raises(DeadlineExceeded):
        adapter.generate(QUESTION, deadline=deadline)

    assert fake.requests() == []
