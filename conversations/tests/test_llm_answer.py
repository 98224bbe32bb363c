"""The LLM lane end to end: a patient message through the webhook, the answer from a real
OpenAI-compatible HTTP server on loopback (FakeOpenAI), sent once through the ordered outbox,
stored with its metrics; and what happens when the model is slow, failing or racing itself."""

import asyncio
import json
import threading
import time

import pytest
from django.db import connections

from appointments.tests.conftest import clinic_clock  # noqa: F401  (a fixture)
from conversations.decide import QUESTION_FOR_STAFF, URGENT
from conversations.hotstore import hot_store, message_key
from conversations.llm.adapters import forget_clients
from conversations.llm.answer import LATE_ANSWER_WITHIN_S
from conversations.llm.capabilities import capabilities
from conversations.models import ConversationSession, Message, MessageMetric
from conversations.tasks import llm_answer, outbox_deliver
from conversations.tests.conftest import (
    PATIENT,
    journal_seen,
    post_webhook,
    text_message,
    wait_until,
)
from nlu import Handoff, handoff_reply, too_many_questions_reply
from security.blind_index import blind_index
from testing.fake_openai import FakeOpenAI, ToolCall

# The clinic's clock on a Monday morning, inside its opening hours: a colleague replies
# "shortly" (test_handoff_replies has the hours after closing).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stored_journals", "clinic_clock"),
]
# What a soft hand-off (staff asked, the bot answering on) tells the patient inside opening hours.
SOFT_HANDOFF = handoff_reply("en", kind=Handoff.SOFT)

API_KEY = "test-llm-key"
QUESTION = "Does a filling hurt?"
ANSWER = "A filling is done under local anaesthesia, so it usually does not hurt."


@pytest.fixture
def llm(settings):
    """The LLM lane pointed at a fake OpenAI that, like newer models, refuses `max_tokens`."""
    capabilities.forget()
    with FakeOpenAI(api_key=API_KEY, reject_max_tokens=True, default_reply=ANSWER) as fake:
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_BASE_URL = f"{fake.url}/v1"
        yield fake
    forget_clients()
    capabilities.forget()


async def journal_of(message_id: str):
    return await journal_seen(message_key("smile-main", message_id))


async def ask(async_client, text: str, message_id: str, **options) -> None:
    response = await post_webhook(
        async_client, text_message(text, message_id=message_id, **options)
    )
    assert response.json() == {"status": "accepted"}


def run_task(task, key: str) -> None:
    """Run a task here, as a worker would, and hand its database connection back after."""
    try:
        task.apply(args=[key])
    finally:
        connections.close_all()


def all_request_bodies(fake) -> str:
    return json.dumps([request["body"] for request in fake.requests()], ensure_ascii=False)


@pytest.mark.usefixtures("eager_tasks")
async def test_a_question_the_fast_lane_cannot_answer_gets_the_models_answer_once(
    async_client, clinic, outbox, llm
):
    await ask(async_client, QUESTION, "LLM-1")

    assert [sent["text"] for sent in outbox] == [ANSWER]
    assert outbox[0]["number"] == PATIENT
    (request,) = llm.requests()
    assert request["body"]["max_completion_tokens"] > 0
    assert "max_tokens" not in request["body"]
    journal = await journal_of("LLM-1")
    assert journal.lane == "llm" and journal.reply_state == "sent"
    assert journal.llm_model == "gpt-4o-mini" and not journal.llm_handoff
    inbound = await Message.objects.aget(wa_message_id="LLM-1")
    reply = await Message.objects.aget(reply_to=inbound)
    assert reply.text == ANSWER and reply.delivery_status == Message.Delivery.SENT


@pytest.mark.usefixtures("eager_tasks")
async def test_the_model_is_told_the_rules_the_clinic_and_the_patients_language(
    async_client, clinic, outbox, llm
):
    await ask(async_client, QUESTION, "LLM-RULES")

    messages = llm.last_request()["body"]["messages"]
    system = messages[0]["content"]
    assert messages[0]["role"] == "system" and messages[-1] == {
        "role": "user",
        "content": QUESTION,
    }
    assert "Give no diagnosis" in system
    assert "Urgent symptoms" in system and "hand_to_staff" in system
    assert "reply in English" in system
    assert "Tverskaya 1, Moscow" in system and "Smile Dental" in system
    assert "Filling: RUB\xa03,500" in system


@pytest.mark.usefixtures("eager_tasks")
async def test_a_price_question_is_answered_through_a_tool_call_with_the_right_price(
    async_client, clinic, outbox, llm
):
    def model(request):
        last = request["messages"][-1]
        if last["role"] != "tool":
            return ToolCall("lookup_price", {"service": "filling"})
        return f"A filling costs {json.loads(last['content'])['services'][0]['price']}."

    llm.script(model)

    await ask(async_client, "Does a filling hurt, and what would mine cost?", "LLM-TOOL")

    assert [sent["text"] for sent in outbox] == ["A filling costs RUB\xa03,500."]
    first, second = llm.requests()
    # The clinic's own tools first; other apps' registered tools (booking) follow.
    assert [t["function"]["name"] for t in first["body"]["tools"]][:3] == [
        "lookup_price",
        "clinic_info",
        "hand_to_staff",
    ]
    tool_message = second["body"]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert json.loads(tool_message["content"])["services"][0] == {
        "service": "Filling",
        "price": "RUB\xa03,500",  # Babel's English grouping, a no-break space after RUB
        "duration_minutes": 60,
    }
    assert second["body"]["messages"][-2]["tool_calls"][0]["function"]["name"] == "lookup_price"
    journal = await journal_of("LLM-TOOL")
    assert journal.llm_rounds == 2 and journal.llm_tools == "lookup_price"


@pytest.mark.usefixtures("eager_tasks")
async def test_a_slow_model_hits_the_deadline_and_a_soft_handoff_reply_goes_out_once(
    async_client, clinic, outbox, llm, settings
):
    settings.LLM_DEADLINE_S = 0.5
    model_latency_s = 3.0
    llm.set_latency(model_latency_s)

    started = time.monotonic()
    await ask(async_client, QUESTION, "LLM-SLOW")
    elapsed = time.monotonic() - started

    # The hand-off left at the deadline, before the model answered (the margin between the two
    # is for a busy machine; how close to the deadline it leaves is make bench's to measure).
    assert elapsed < model_latency_s
    assert [sent["text"] for sent in outbox] == [SOFT_HANDOFF]
    await asyncio.sleep(model_latency_s)  # the model's late answer arrives, and changes nothing
    assert len(outbox) == 1
    journal = await journal_of("LLM-SLOW")
    assert journal.llm_error == "DeadlineExceeded" and not journal.llm_handoff
    assert journal.llm_ms < model_latency_s * 1000
    # Staff are asked; the bot keeps the conversation (a soft hand-off).
    session = await ConversationSession.objects.aget(patient_phone_index=blind_index(PATIENT))
    assert session.control == ConversationSession.Control.BOT
    assert session.attention == QUESTION_FOR_STAFF


@pytest.mark.usefixtures("eager_tasks")
async def test_a_429_then_success_answers_within_the_deadline(async_client, clinic, outbox, llm):
    llm.configure(retry_after=0.05)
    llm.fail(429, times=1)

    await ask(async_client, QUESTION, "LLM-429")

    assert [sent["text"] for sent in outbox] == [ANSWER]
    assert len(llm.requests()) == 2


@pytest.mark.usefixtures("eager_tasks")
async def test_a_failing_model_gets_the_patient_a_soft_handoff_reply_and_flags_staff(
    async_client, clinic, outbox, llm
):
    llm.fail(500, times=100)

    await ask(async_client, "Pregunta: ¿duele un empaste?", "LLM-500")

    journal = await journal_of("LLM-500")
    assert [sent["text"] for sent in outbox] == [handoff_reply(journal.language, kind=Handoff.SOFT)]
    assert journal.llm_error == "InternalServerError:500"
    session = await ConversationSession.objects.aget(patient_phone_index=blind_index(PATIENT))
    assert session.control == ConversationSession.Control.BOT
    assert session.attention == QUESTION_FOR_STAFF


@pytest.mark.usefixtures("eager_tasks")
async def test_a_retried_task_does_not_send_twice(async_client, clinic, outbox, llm):
    await ask(async_client, QUESTION, "LLM-RETRY")
    key = message_key("smile-main", "LLM-RETRY")

    await asyncio.to_thread(run_task, llm_answer, key)
    await asyncio.to_thread(run_task, llm_answer, key)

    assert [sent["text"] for sent in outbox] == [ANSWER]
    assert len(llm.requests()) == 1


async def test_two_copies_of_the_task_racing_write_one_answer_and_send_it_once(
    async_client, clinic, outbox, llm
):
    # Tasks go to the broker and wait there: the answer is written only by the copies below.
    await ask(async_client, QUESTION, "LLM-RACE")
    key = message_key("smile-main", "LLM-RACE")
    llm.set_latency(0.3)
    llm.script(["first copy's answer", "second copy's answer"])
    barrier = threading.Barrier(2)

    def run_copy():
        barrier.wait()
        run_task(llm_answer, key)

    copies = [threading.Thread(target=run_copy) for _ in range(2)]
    for copy in copies:
        copy.start()
    await asyncio.to_thread(lambda: [copy.join(10) for copy in copies])
    for _ in range(2):
        await asyncio.to_thread(run_task, outbox_deliver, key)

    assert len(outbox) == 1
    journal = await journal_of("LLM-RACE")
    assert journal.reply_state == "sent"
    assert outbox[0]["text"] == journal.reply_text
    assert journal.reply_text in {"first copy's answer", "second copy's answer"}


@pytest.mark.usefixtures("eager_tasks")
async def test_no_phone_number_or_name_reaches_the_model(async_client, clinic, outbox, llm):
    await ask(async_client, "Здравствуйте", "LLM-PHI-0")  # fast lane; stored for the history
    text = "Does a filling hurt? I'm Иван, call me on +7 900 123-45-67 or 79001234567"

    await ask(async_client, text, "LLM-PHI-1")

    assert len(outbox) == 2
    sent = all_request_bodies(llm)
    assert "Здравствуйте" in sent  # the conversation's history went along ...
    assert "[name]" in sent and "[number]" in sent  # ... and the question, redacted:
    for secret in (PATIENT, "900 123-45-67", "Иван"):
        assert secret not in sent
    assert "user" not in llm.last_request()["body"]


@pytest.mark.usefixtures("eager_tasks")
async def test_when_the_model_hands_an_urgent_case_to_staff_the_bot_stays_silent_after_its_reply(
    async_client, clinic, outbox, llm
):
    llm.script(
        [
            ToolCall("hand_to_staff", {"reason": "urgent"}),
            "Please call us now: a colleague will contact you right away.",
        ]
    )

    # Worrying, though no urgent symptom the fast lane knows: the model judges it urgent.
    await ask(
        async_client, "I feel dizzy and my mouth tastes of metal since the treatment", "LLM-URG"
    )
    await ask(async_client, QUESTION, "LLM-URG-2")

    assert [sent["text"] for sent in outbox] == [
        "Please call us now: a colleague will contact you right away."
    ]
    session = await ConversationSession.objects.aget(patient_phone_index=blind_index(PATIENT))
    assert session.control == ConversationSession.Control.STAFF
    assert session.attention == URGENT
    assert (await journal_of("LLM-URG-2")).lane == "none"


@pytest.mark.usefixtures("eager_tasks")
async def test_the_gateways_echo_of_an_llm_reply_does_not_silence_the_bot(
    async_client, clinic, outbox, llm
):
    await ask(async_client, QUESTION, "LLM-ECHO")

    echo = text_message(ANSWER, message_id="LLM-ECHO-OUT", from_me=True)
    response = await post_webhook(async_client, echo)
    assert response.json()["status"] == "ignored"
    assert "own echo" in response.json()["reason"]
    await ask(async_client, "Сколько стоит пломба?", "LLM-ECHO-2")
    assert len(outbox) == 2


async def test_without_an_api_key_the_patient_gets_a_soft_handoff_reply(
    async_client, clinic, outbox, settings, eager_tasks
):
    settings.OPENAI_API_KEY = ""

    await ask(async_client, QUESTION, "LLM-NOKEY")

    assert [sent["text"] for sent in outbox] == [SOFT_HANDOFF]
    journal = await journal_of("LLM-NOKEY")
    assert journal.llm_error == "no_api_key" and not journal.llm_handoff


@pytest.mark.usefixtures("celery_worker_thread")
async def test_the_answer_is_stored_with_its_llm_metrics(async_client, clinic, outbox, llm):
    await ask(async_client, QUESTION, "LLM-METRIC")

    def stored_metric():
        return MessageMetric.objects.filter(lane="llm", llm_model="gpt-4o-mini").first()

    def reply_stored_as_sent():
        return Message.objects.filter(direction="out", delivery_status="sent").exists()

    metric = await asyncio.to_thread(wait_until, stored_metric, 20)
    await asyncio.to_thread(wait_until, reply_stored_as_sent, 20)
    assert metric.llm_ms > 0 and metric.total_ms > 0
    assert metric.llm_prompt_tokens > 0 and metric.llm_completion_tokens > 0
    reply = await Message.objects.aget(pk=metric.message_id)
    assert reply.text == ANSWER and reply.direction == Message.Direction.OUTBOUND
    journal = await journal_of("LLM-METRIC")
    assert journal.received_at <= journal.llm_started_at
    assert journal.llm_started_at <= journal.llm_ready_at
    assert journal.llm_ready_at <= journal.reply_sent_at
    assert [sent["text"] for sent in outbox] == [ANSWER]


async def session_control(journal) -> str:
    """The conversation's control as the request path reads it (the hot store's session)."""
    control = await hot_store().redis.hget(f"cb:s:{journal.conversation}", "control")
    return control.decode() if control else "bot"


async def test_a_message_that_waited_out_its_deadline_in_the_queue_gets_the_models_late_answer(
    async_client, clinic, outbox, llm, settings
):
    # Tasks go to the broker and wait there, as behind a busy worker.
    await ask(async_client, QUESTION, "LLM-LATE")
    key = message_key("smile-main", "LLM-LATE")
    await hot_store().journal_update(key, received_at=time.time() - settings.LLM_DEADLINE_S)

    await asyncio.to_thread(run_task, llm_answer, key)
    await asyncio.to_thread(run_task, outbox_deliver, key)

    assert [sent["text"] for sent in outbox] == [ANSWER]
    assert len(llm.requests()) == 1
    journal = await journal_of("LLM-LATE")
    assert not journal.llm_error and not journal.llm_handoff
    assert await session_control(journal) == "bot"


async def test_a_question_redelivered_after_its_worker_died_gets_a_whole_deadline_of_its_own(
    async_client, clinic, outbox, llm, settings
):
    # The first run asked the model and died; the broker hands the task over with 0.1 s of the
    # deadline left, less than the model takes.
    settings.LLM_DEADLINE_S = 3.0
    llm.set_latency(1.0)
    await ask(async_client, QUESTION, "LLM-REDELIVERED")
    key = message_key("smile-main", "LLM-REDELIVERED")
    arrived = time.time() - 2.9
    await hot_store().journal_update(key, received_at=arrived, llm_started_at=arrived + 0.1)

    await asyncio.to_thread(run_task, llm_answer, key)
    await asyncio.to_thread(run_task, outbox_deliver, key)

    # The model's late answer (or, on a machine too busy for it, a soft hand-off) ...
    assert [sent["text"] for sent in outbox] in ([ANSWER], [SOFT_HANDOFF])
    journal = await journal_of("LLM-REDELIVERED")
    assert journal.llm_error in ("", "DeadlineExceeded")
    # ... and the bot keeps the conversation.
    assert not journal.llm_handoff
    assert await session_control(journal) == "bot"


async def test_a_question_too_old_for_a_late_answer_is_handed_off_softly_without_the_model(
    async_client, clinic, outbox, llm
):
    await ask(async_client, QUESTION, "LLM-STALE")
    key = message_key("smile-main", "LLM-STALE")
    await hot_store().journal_update(key, received_at=time.time() - LATE_ANSWER_WITHIN_S - 1)

    await asyncio.to_thread(run_task, llm_answer, key)
    await asyncio.to_thread(run_task, outbox_deliver, key)

    assert [sent["text"] for sent in outbox] == [SOFT_HANDOFF]
    assert llm.requests() == []
    journal = await journal_of("LLM-STALE")
    assert journal.llm_error == "too_late" and journal.llm_handoff_reason == "late"
    assert not journal.llm_handoff
    assert await session_control(journal) == "bot"


@pytest.mark.usefixtures("eager_tasks")
async def test_a_patient_sending_many_questions_gets_at_most_the_minutes_model_calls(
    async_client, clinic, outbox, llm, settings
):
    settings.LLM_CALLS_PER_CONVERSATION_PER_MINUTE = 3

    for n in range(12):
        await ask(async_client, QUESTION, f"LLM-BURST-{n}")

    assert len(llm.requests()) == 3
    assert [sent["text"] for sent in outbox] == [ANSWER] * 3 + [too_many_questions_reply("en")] * 9
    journal = await journal_of("LLM-BURST-11")
    assert journal.llm_error == "limit:conversation" and not journal.llm_handoff
    session = await ConversationSession.objects.aget(patient_phone_index=blind_index(PATIENT))
    assert session.control == ConversationSession.Control.BOT
    # Another patient of the clinic is not held back by this one.
    await ask(async_client, QUESTION, "LLM-BURST-OTHER", phone="79990000001")
    assert len(llm.requests()) == 4 and outbox[-1]["text"] == ANSWER


@pytest.mark.usefixtures("eager_tasks")
async def test_a_clinic_past_its_daily_model_calls_hands_questions_to_staff_politely(
    async_client, clinic, outbox, llm, settings
):
    settings.LLM_CALLS_PER_CLINIC_PER_DAY = 2
    phones = [f"7999000{n:04d}" for n in range(5)]

    for n, phone in enumerate(phones):
        await ask(async_client, QUESTION, f"LLM-DAY-{n}", phone=phone)

    assert len(llm.requests()) == 2
    assert [sent["text"] for sent in outbox] == [ANSWER] * 2 + [SOFT_HANDOFF] * 3
    journal = await journal_of("LLM-DAY-4")
    assert journal.llm_error == "limit:clinic" and not journal.llm_handoff
    # Over the limit, nobody is muted: the bot keeps answering what it can without the model.
    assert not await ConversationSession.objects.filter(control="staff").aexists()
