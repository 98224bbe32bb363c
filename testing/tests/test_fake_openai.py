import hashlib
import json
import time

import httpx
import openai
import pytest

from testing.fake_openai import FakeOpenAI, Reply, ToolCall

MODEL = "gpt-test"
HELLO = [{"role": "user", "content": "Hello"}]
PRICE_TOOL = {
    "type": "function",
    "function": {
        "name": "get_price",
        "description": "Price of a clinic service",
        "parameters": {
            "type": "object",
            "properties": {"service": {"type": "string"}},
            "required": ["service"],
        },
    },
}


@pytest.fixture
def fake():
    with FakeOpenAI(api_key="test-key") as fake:
        yield fake


@pytest.fixture
def client(fake):
    with openai.OpenAI(
        base_url=f"{fake.url}/v1", api_key="test-key", max_retries=0, timeout=5
    ) as client:
        yield client


def test_the_openai_client_gets_a_plain_answer(fake, client):
    fake.script(["Hi! How can I help?"])

    answer = client.chat.completions.create(model=MODEL, messages=HELLO)

    assert answer.choices[0].message.content == "Hi! How can I help?"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.model == MODEL
    assert answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


def test_it_records_the_body_so_a_test_can_check_the_token_limit_parameter(fake, client):
    client.chat.completions.create(model=MODEL, messages=HELLO, max_completion_tokens=50)

    request = fake.last_request()
    assert request["body"]["max_completion_tokens"] == 50
    assert "max_tokens" not in request["body"]
    assert request["headers"]["authorization"] == "Bearer test-key"
    assert request["monotonic_ns"] > 0 and request["time_ns"] > 0


def test_the_openai_client_streams_an_answer_chunk_by_chunk(fake, client):
    fake.script(["Our clinic opens at nine."])

    stream = client.chat.completions.create(
        model=MODEL, messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)

    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) > 1
    assert "".join(c.choices[0].delta.content for c in content_chunks) == (
        "Our clinic opens at nine."
    )
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_a_tool_call_round_trip_works_with_the_openai_client(fake, client):
    fake.script([ToolCall("get_price", {"service": "filling"}), "A filling costs 3500 RUB."])
    messages = [{"role": "user", "content": "How much is a filling?"}]

    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[PRICE_TOOL])
    call = first.choices[0].message.tool_calls[0]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"price": "3500.00"}'},
    ]
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[PRICE_TOOL])

    assert first.choices[0].finish_reason == "tool_calls"
    assert (call.type, call.function.name) == ("function", "get_price")
    assert json.loads(call.function.arguments) == {"service": "filling"}
    assert second.choices[0].message.content == "A filling costs 3500 RUB."
    sent_back = fake.last_request()["body"]["messages"]
    assert sent_back[-1] == {
        "role": "tool",
        "tool_call_id": call.id,
        "content": '{"price": "3500.00"}',
    }
    assert fake.requests()[0]["body"]["tools"] == [PRICE_TOOL]


def test_a_streamed_tool_call_arrives_in_pieces_the_client_can_join(fake, client):
    fake.script([ToolCall("get_price", {"service": "cleaning"}, id="call_1")])

    stream = client.chat.completions.create(
        model=MODEL, messages=HELLO, tools=[PRICE_TOOL], stream=True
    )
    deltas = [c.choices[0].delta for c in stream if c.choices and c.choices[0].delta.tool_calls]

    pieces = [d.tool_calls[0].function.arguments for d in deltas]
    assert deltas[0].tool_calls[0].id == "call_1"
    assert deltas[0].tool_calls[0].function.name == "get_price"
    assert len([p for p in pieces if p]) == 2
    assert json.loads("".join(pieces)) == {"service": "cleaning"}


def test_a_callable_script_answers_from_the_request(fake, client):
    fake.script(lambda request: f"You said: {request['messages'][-1]['content']}")

    answer = client.chat.completions.create(model=MODEL, messages=HELLO)

    assert answer.choices[0].message.content == "You said: Hello"


def test_a_reply_can_carry_content_tool_calls_and_token_counts_at_once(fake, client):
    fake.script([Reply("Checking.", [ToolCall("get_price")], prompt_tokens=7, completion_tokens=3)])

    answer = client.chat.completions.create(model=MODEL, messages=HELLO)

    assert answer.choices[0].message.content == "Checking."
    assert answer.choices[0].message.tool_calls[0].function.arguments == "{}"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (7, 3)


def test_the_script_falls_back_to_the_default_reply_when_it_runs_out(fake, client):
    fake.script(["first"])

    answers = [client.chat.completions.create(model=MODEL, messages=HELLO) for _ in range(2)]

    assert [a.choices[0].message.content for a in answers] == ["first", "OK"]


def test_latency_delays_the_answer(fake, client):
    fake.set_latency(0.3)

    started = time.monotonic()
    client.chat.completions.create(model=MODEL, messages=HELLO)

    assert 0.3 <= time.monotonic() - started < 2


def test_injected_429s_are_retried_by_the_openai_client(fake):
    fake.configure(retry_after=0.01)
    fake.fail(429, times=2)
    with openai.OpenAI(base_url=f"{fake.url}/v1", api_key="test-key", max_retries=2) as client:
        answer = client.chat.completions.create(model=MODEL, messages=HELLO)

    assert answer.choices[0].message.content == "OK"
    assert len(fake.requests()) == 3


def test_an_injected_500_reaches_a_client_without_retries(fake, client):
    fake.fail(500, times=1)

    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=MODEL, messages=HELLO)
    assert client.chat.completions.create(model=MODEL, messages=HELLO).choices


def test_a_wrong_api_key_gets_401(fake):
    with (
        openai.OpenAI(base_url=f"{fake.url}/v1", api_key="wrong", max_retries=0) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        client.chat.completions.create(model=MODEL, messages=HELLO)


def test_max_tokens_can_be_rejected_like_newer_models_do(fake, client):
    fake.configure(reject_max_tokens=True)

    with pytest.raises(openai.BadRequestError, match="max_completion_tokens"):
        client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=10)


def test_a_broken_script_answers_500_instead_of_hanging(fake, client):
    fake.script(lambda request: 1 / 0)

    with pytest.raises(openai.InternalServerError, match="ZeroDivisionError"):
        client.chat.completions.create(model=MODEL, messages=HELLO)


def test_hang_makes_the_openai_client_time_out(fake, client):
    fake.hang()

    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model=MODEL, messages=HELLO, timeout=0.3)


def test_the_control_surface_scripts_and_reads_the_fake(fake, client):
    with httpx.Client(base_url=fake.url, timeout=5) as control:
        control.post(
            "/_fake/config",
            json={"responses": ["one", {"tool_calls": [{"name": "get_price"}]}]},
        )
        first = client.chat.completions.create(model=MODEL, messages=HELLO)
        second = client.chat.completions.create(model=MODEL, messages=HELLO)
        recorded = control.get("/_fake/requests?since=1").json()
        config = control.get("/_fake/config").json()

    assert first.choices[0].message.content == "one"
    assert second.choices[0].message.tool_calls[0].function.name == "get_price"
    assert [r["index"] for r in recorded] == [1]
    assert config["scripted_left"] == 0


def test_it_runs_as_a_subprocess_with_latency(run_module):
    process, url = run_module(
        "testing.fake_openai", "--port", "0", "--latency", "0.3", "--reply", "Hi"
    )
    with openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=5) as client:
        started = time.monotonic()
        answer = client.chat.completions.create(model=MODEL, messages=HELLO)
        elapsed = time.monotonic() - started

    process.terminate()
    assert process.wait(timeout=5) == 0
    assert answer.choices[0].message.content == "Hi"
    assert elapsed >= 0.3


# --- transcriptions --------------------------------------------------------------------------


def transcribe(client, audio: bytes, **arguments):
    return client.audio.transcriptions.create(
        file=("voice.ogg", audio, "audio/ogg"), model="gpt-transcribe", **arguments
    )


def test_a_transcription_answers_the_text_chosen_for_the_audio(fake, client):
    fake.configure(default_transcript="(silence)")
    fake.transcripts = {b"audio-1": "Сколько стоит пломба?"}
    assert transcribe(client, b"audio-1").text == "Сколько стоит пломба?"
    assert transcribe(client, b"unknown audio").text == "(silence)"
    fake.configure(echo_audio=True)
    assert transcribe(client, "Olá".encode()).text == "Olá"
    assert transcribe(client, b"x", response_format="text").strip() == "x"
    assert transcribe(client, b"padded" + bytes(1000)).text == "padded"


def test_transcriptions_are_logged_apart_from_chat_requests(fake, client):
    transcribe(client, b"abc", language="ru")
    client.chat.completions.create(model=MODEL, messages=HELLO)
    (upload,) = fake.transcriptions()
    assert upload["body"] == {
        "model": "gpt-transcribe",
        "language": "ru",
        "file": {
            "filename": "voice.ogg",
            "content_type": "audio/ogg",
            "size": 3,
            "sha256": hashlib.sha256(b"abc").hexdigest(),
        },
    }
    assert len(fake.requests()) == 1
    with httpx.Client(base_url=fake.url) as control:
        assert len(control.get("/_fake/transcriptions?since=0").json()) == 1


def test_a_transcription_records_when_it_was_answered(fake, client):
    fake.set_latency(0.05)
    transcribe(client, b"abc")
    (upload,) = fake.transcriptions()
    assert upload["answered_monotonic_ns"] - upload["monotonic_ns"] >= 50_000_000


def test_a_transcription_shares_the_faults(fake, client):
    fake.fail(500, times=1)
    with pytest.raises(openai.InternalServerError):
        transcribe(client, b"abc")
    assert transcribe(client, b"abc").text == ""
    with pytest.raises(openai.BadRequestError):
        client.audio.transcriptions.create(file=("voice.ogg", b"", "audio/ogg"), model="m")
