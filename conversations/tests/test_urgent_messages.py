"""An urgent symptom in any of the six languages: staff take the conversation at once, it is
flagged urgent, and the patient is answered from memory with the clinic's emergency
instructions in their language."""

import pytest

from appointments.tests.conftest import clinic_clock  # noqa: F401  (a fixture)
from conversations.decide import URGENT
from conversations.models import ConversationSession, Message
from conversations.tests.conftest import (
    PATIENT,
    post_webhook,
    queries_in_any_thread,
    text_message,
)
from nlu import handoff_reply
from security.blind_index import blind_index

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clinic_clock")]

INSTRUCTIONS = {
    "ru": "При сильном отёке или кровотечении звоните сразу: +7 495 000-00-01.",
    "uk": "При сильному набряку чи кровотечі телефонуйте одразу: +7 495 000-00-01.",
    "en": "For severe swelling or bleeding, call us at once: +7 495 000-00-01.",
    "es": "Si tiene hinchazón o sangrado fuerte, llámenos ya: +7 495 000-00-01.",
    "pt": "Em caso de inchaço ou sangramento forte, ligue já: +7 495 000-00-01.",
    "he": "בנפיחות או דימום חזק התקשרו מיד: +7 495 000-00-01.",
}
URGENT_MESSAGES = {
    "ru": "Здравствуйте, после удаления зуба опухла щека и поднялась температура",
    "uk": "Добрий день, після видалення зуба кров не зупиняється вже три години",
    "en": "Hi, my son fell off his bike and knocked out a front tooth",
    "es": "Hola, tengo la cara muy hinchada desde ayer y no puedo abrir la boca",
    "pt": "Olá, quebrei um dente num acidente agora há pouco",
    "he": "שלום, הלחי שלי נפוחה מאוד אחרי העקירה ויש לי חום",
}
PHONES = dict(zip(URGENT_MESSAGES, (f"7999100000{n}" for n in range(6)), strict=True))


@pytest.fixture
def clinic_with_instructions(clinic):
    clinic.emergency_instructions = INSTRUCTIONS
    clinic.save(update_fields=["emergency_instructions"])
    return clinic


async def session_of(phone: str) -> ConversationSession:
    return await ConversationSession.objects.aget(patient_phone_index=blind_index(phone))


@pytest.mark.usefixtures("eager_tasks")
@pytest.mark.parametrize("language", list(URGENT_MESSAGES))
async def test_an_urgent_message_gets_the_emergency_instructions_and_is_flagged_for_staff(
    async_client, clinic_with_instructions, outbox, language
):
    phone = PHONES[language]
    await post_webhook(async_client, text_message(URGENT_MESSAGES[language], phone=phone))

    (reply,) = outbox
    assert reply["text"].startswith(INSTRUCTIONS[language])
    assert reply["text"].endswith(handoff_reply(language))  # Monday morning: "shortly"
    session = await session_of(phone)
    assert session.attention == URGENT and session.attention_at is not None
    assert session.control == ConversationSession.Control.STAFF
    assert session.language == language
    stored = await Message.objects.aget(session=session, direction="in")
    assert stored.intent == "human" and stored.lane == "fast"


@pytest.mark.usefixtures("eager_tasks")
async def test_after_an_urgent_message_the_bot_leaves_the_conversation_to_staff(
    async_client, clinic_with_instructions, outbox
):
    await post_webhook(async_client, text_message("my face is swollen since the extraction"))
    await post_webhook(async_client, text_message("how much is a filling?"))
    assert len(outbox) == 1


@pytest.mark.usefixtures("eager_tasks")
async def test_without_instructions_in_their_language_the_patient_gets_the_clinics_default(
    async_client, clinic, outbox
):
    clinic.emergency_instructions = {"ru": INSTRUCTIONS["ru"]}  # the demo clinic's default
    await clinic.asave(update_fields=["emergency_instructions"])

    await post_webhook(
        async_client, text_message("Hi, the bleeding won't stop after my extraction")
    )

    assert outbox[0]["text"].startswith(INSTRUCTIONS["ru"])


@pytest.mark.usefixtures("eager_tasks")
async def test_a_clinic_without_instructions_tells_the_patient_to_call_its_phone(
    async_client, clinic, outbox
):
    await post_webhook(
        async_client, text_message("Hi, the bleeding won't stop after my extraction")
    )

    assert clinic.phone and clinic.phone in outbox[0]["text"]
    assert (await session_of(PATIENT)).attention == URGENT


async def test_an_urgent_reply_is_sent_before_any_database_query(
    async_client, clinic_with_instructions, outbox
):
    # Tasks go to the real broker and wait there: only stage A runs in this test.
    await post_webhook(async_client, text_message("Здравствуйте"))  # warms clinic, prices, session
    with queries_in_any_thread() as queries:
        await post_webhook(async_client, text_message("щека опухла после удаления, что делать?"))
    assert outbox[-1]["text"].startswith(INSTRUCTIONS["ru"])
    assert queries == []


@pytest.mark.usefixtures("eager_tasks")
async def test_an_urgent_message_where_staff_write_already_is_flagged_but_not_answered(
    async_client, clinic_with_instructions, outbox
):
    staff = text_message("Здравствуйте, это администратор", from_me=True)
    await post_webhook(async_client, staff)
    await post_webhook(async_client, text_message("щека опухла после удаления"))

    assert outbox == []
    session = await session_of(PATIENT)
    assert session.attention == URGENT
    assert session.control == ConversationSession.Control.STAFF
