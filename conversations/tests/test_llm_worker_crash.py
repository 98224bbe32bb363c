"""A worker process killed (SIGKILL) while it waits for the model: Celery hands the question to the
next process, which answers after the message's deadline through no fault of the model or the
patient. The patient still gets one reply, and the bot keeps the conversation. Real processes:
the web server, a prefork worker, a fake OpenAI-compatible model and a fake gateway."""

import json
import os
import signal
import time
from pathlib import Path

import pytest

from clinicbot.runtime import clock
from conversations.directory import ClinicSnapshot
from conversations.models import ConversationSession, Message
from conversations.tests.conftest import PATIENT, SECRET, text_message
from nlu import Handoff, handoff_reply
from security.blind_index import blind_index
from testing.fake_openai import FakeOpenAI
from testing.servers import clean_environment
from testing.stack import log_tail, running_stack

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

API_KEY = "crash-llm-key"
QUESTION = "Does a filling hurt?"
ANSWER = "A filling is done under local anaesthesia, so it usually does not hurt."
# Longer than what can be left of the 8 s deadline once a new pool process has taken the
# question over (it takes a second or more to start), shorter than a whole deadline.
MODEL_LATENCY_S = 7.5


@pytest.fixture
def model():
    with FakeOpenAI(api_key=API_KEY, default_reply=ANSWER) as fake:
        yield fake


@pytest.fixture
def stack(settings, clinic, model):
    database = settings.DATABASES["default"]["NAME"]
    url = settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}"
    environment = clean_environment(OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=f"{model.url}/v1")
    with running_stack(database_url=url, redis_url=settings.REDIS_URL, secret=SECRET,
                       environment=environment, worker_pool="prefork") as running:  # fmt: skip
        yield running


def pool_process(worker) -> int:
    """The pid of the prefork worker's one pool process (its child)."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    return int(wait_until(lambda: children.read_text().split(), timeout=30)[0])


def wait_until(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


@pytest.mark.timeout(180)
def test_a_worker_killed_mid_question_neither_mutes_the_bot_nor_loses_the_reply(
    stack, model, clinic
):
    child = pool_process(stack.worker)
    model.set_latency(MODEL_LATENCY_S)
    body = json.dumps(text_message(QUESTION, message_id="CRASH-LLM-1")).encode()

    assert stack.post(body).json() == {"status": "accepted"}
    model.wait_for(1, timeout=30)  # the pool process is waiting for the model's answer
    os.kill(child, signal.SIGKILL)

    try:
        (reply,) = stack.gateway.wait_for(1, timeout=60)
    except TimeoutError:
        pytest.fail(f"no reply; the worker's log ends:\n{log_tail(stack.worker)}")
    assert reply["number"] == PATIENT
    # The model's answer, late, or a soft hand-off: both are fine, a second reply is not.
    soft = handoff_reply("en", ClinicSnapshot.of(clinic).info, clock.now(), Handoff.SOFT)
    assert reply["text"] in {ANSWER, soft}
    stored = wait_until(
        lambda: Message.objects.filter(direction="out", delivery_status="sent").first(), 60
    )
    assert stored.text == reply["text"]
    session = ConversationSession.objects.get(patient_phone_index=blind_index(PATIENT))
    assert session.control == ConversationSession.Control.BOT
    assert len(stack.gateway.sent()) == 1
