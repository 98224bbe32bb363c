"""A soft hand-off: a question the model cannot answer (or a failing model) is left to staff,
who are asked through the conversation's attention flag, while the bot keeps answering prices,
booking and the rest. Only a patient asking for a person, an urgent case or staff writing take
the conversation over."""

import json

import pytest

from appointments.tests.conftest import clinic_clock  # noqa: F401  (a fixture)
from conversations.decide import QUESTION_FOR_STAFF, URGENT
from conversations.llm.adapters import forget_clients
from conversations.llm.capabilities import capabilities
from conversations.models import ConversationSession
from conversations.tests.conftest import PATIENT, post_webhook, text_message
from nlu import Handoff, handoff_reply
from security.blind_index import blind_index
from testing.fake_openai import FakeOpenAI, ToolCall

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks", "clinic_clock"),
]

API_KEY = "test-llm-key"
QUESTION = "Do you accept Allianz insurance?"
STAFF_WILL_LOOK = "I've asked a colleague to check that for you; they will reply here shortly."


@pytest.fixture
def llm(settings):
    capabilities.forget()
    with FakeOpenAI(api_key=API_KEY, default_reply="(unused)") as fake:
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_BASE_URL = f"{fake.url}/v1"
        yield fake
    forget_clients()
    capabilities.forget()


async def stored_session() -> ConversationSession:
    return await ConversationSession.objects.aget(patient_phone_index=blind_index(PATIENT))


def tool_results(fake) -> list[dict]:
    """What the tools answered the model, from the requests it was sent."""
    return [
        json.loads(message["content"])
        for request in fake.requests()
        for message in request["body"]["messages"]
        if message["role"] == "tool"
    ]


async def test_a_question_the_model_hands_to_staff_leaves_the_bot_answering_prices(
    async_client, clinic, outbox, llm
):
    llm.script([ToolCall("hand_to_staff", {"reason": "other"}), STAFF_WILL_LOOK])

    await post_webhook(async_client, text_message(QUESTION))
    await post_webhook(async_client, text_message("How much is a filling?"))

    assert len(outbox) == 2
    assert outbox[0]["text"] == STAFF_WILL_LOOK
    assert "3,500" in outbox[1]["text"]  # the fast lane answers the price at once
    session = await stored_session()
    assert session.control == ConversationSession.Control.BOT
    assert session.attention == QUESTION_FOR_STAFF
    # The model was told what it may promise: a colleague looks too, shortly (in hours).
    (result,) = tool_results(llm)
    assert result["status"] == "staff_asked"
    assert handoff_reply("en", kind=Handoff.SOFT) in result["instruction"]


async def test_a_failing_model_leaves_the_question_to_staff_and_the_bot_answering(
    async_client, clinic, outbox, llm
):
    llm.fail(500, times=100)

    await post_webhook(async_client, text_message(QUESTION))
    await post_webhook(async_client, text_message("How much is a filling?"))

    assert [sent["text"] for sent in outbox][0] == handoff_reply("en", kind=Handoff.SOFT)
    assert "3,500" in outbox[1]["text"]
    session = await stored_session()
    assert session.control == ConversationSession.Control.BOT
    assert session.attention == QUESTION_FOR_STAFF


async def test_a_patient_asking_the_model_for_a_person_is_handed_over(
    async_client, clinic, outbox, llm
):
    llm.script(
        [ToolCall("hand_to_staff", {"reason": "patient_asked"}), "A colleague will reply soon."]
    )

    await post_webhook(async_client, text_message("can Dr Ivanova herself explain my x-ray to me?"))
    await post_webhook(async_client, text_message("How much is a filling?"))

    assert [sent["text"] for sent in outbox] == ["A colleague will reply soon."]
    assert (await stored_session()).control == ConversationSession.Control.STAFF


async def test_asking_for_a_person_still_takes_the_conversation_over(
    async_client, clinic, outbox, llm
):
    await post_webhook(async_client, text_message("I want to talk to a person"))
    await post_webhook(async_client, text_message("How much is a filling?"))

    assert len(outbox) == 1 and llm.requests() == []
    assert (await stored_session()).control == ConversationSession.Control.STAFF


async def test_an_urgent_hand_off_by_the_model_carries_the_clinics_instructions(
    async_client, clinic, outbox, llm
):
    instructions = "Call +7 495 000-00-01 at once."
    clinic.emergency_instructions = {"en": instructions}
    await clinic.asave(update_fields=["emergency_instructions"])
    llm.script([ToolCall("hand_to_staff", {"reason": "urgent"}), "A colleague will call you."])

    await post_webhook(async_client, text_message("I feel dizzy and my lips tingle since today"))

    (reply,) = outbox
    assert reply["text"] == f"{instructions}\n\nA colleague will call you."
    (result,) = tool_results(llm)
    assert instructions in result["instruction"]
    session = await stored_session()
    assert session.control == ConversationSession.Control.STAFF
    assert session.attention == URGENT
