"""A clinic's FAQ answered through the webhook from memory, in each of the six languages, with
no database query before the send, and a staff edit live on the next message."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from conversations.hotstore import message_key
from conversations.tests.conftest import (
    journal_seen,
    post_webhook,
    queries_in_any_thread,
    text_message,
)
from knowledge.models import FaqEntry

pytestmark = pytest.mark.django_db(transaction=True)

PARKING = {
    "ru": ("Есть ли парковка?", "Бесплатная парковка во дворе."),
    "en": ("Is there parking?", "Free parking behind the building."),
    "es": ("¿Hay aparcamiento?", "Aparcamiento gratuito detrás del edificio."),
    "pt": ("Tem estacionamento?", "Estacionamento gratuito atrás do prédio."),
    "uk": ("Чи є парковка?", "Безкоштовна парковка у дворі."),
    "he": ("יש חניה?", "חניה חינם מאחורי הבניין."),
}
# How patients in fact ask: not the stored wording.
ASKED = {
    "ru": "а где у вас можно припарковаться?",
    "en": "where can I park?",
    "es": "hay aparcamiento?",
    "pt": "onde posso estacionar?",
    "uk": "де можна припаркуватися?",
    "he": "איפה אפשר לחנות?",
}
EXTRA_VARIANTS = {
    "ru": ["где можно припарковаться"],
    "en": ["where can I park"],
    "es": ["donde puedo aparcar"],
    "pt": ["onde posso estacionar"],
    "uk": ["де можна припаркуватися"],
    "he": ["איפה אפשר לחנות"],
}


def parking_entry(clinic) -> FaqEntry:
    return FaqEntry.objects.create(
        clinic=clinic,
        key="parking",
        questions={lang: [q, *EXTRA_VARIANTS[lang]] for lang, (q, _) in PARKING.items()},
        answers={lang: answer for lang, (_, answer) in PARKING.items()},
    )


def phone_for(language: str) -> str:
    return "7900000" + str(1000 + list(PARKING).index(language))


async def sent_after(gateway, count: int) -> list[dict]:
    return await asyncio.to_thread(gateway.wait_for, count, 10)


@pytest.mark.usefixtures("no_cachalot")  # an ORM read cannot hide in cachalot's cache
async def test_the_faq_answers_in_six_languages_from_memory_with_no_query_before_the_send(
    async_client, clinic, gateway
):
    await sync_to_async(parking_entry)(clinic)
    sends = 0
    for language, question in ASKED.items():
        phone = phone_for(language)
        # Warms the clinic, its cache and this patient's session, as any earlier message would.
        await post_webhook(async_client, text_message("👋", phone=phone))
        sends += 1
        await sent_after(gateway, sends)
        body = text_message(question, phone=phone)
        with queries_in_any_thread() as queries:
            response = await post_webhook(async_client, body)
            sends += 1
            sent = await sent_after(gateway, sends)
        assert response.json() == {"status": "accepted"}
        assert sent[-1]["text"] == PARKING[language][1], language
        assert queries == [], language
        journal = await journal_seen(message_key("smile-main", body["data"]["key"]["id"]))
        assert (journal.intent, journal.lane, journal.language) == ("faq", "fast", language)


async def test_an_edit_of_an_entry_is_answered_on_the_next_message(async_client, clinic, gateway):
    entry = await sync_to_async(parking_entry)(clinic)
    await post_webhook(async_client, text_message("Is there parking?"))
    assert (await sent_after(gateway, 1))[-1]["text"] == PARKING["en"][1]

    entry.answers = entry.answers | {"en": "Parking is now in the garage on level -1."}
    await sync_to_async(entry.save)()
    await post_webhook(async_client, text_message("Is there parking?"))
    assert (await sent_after(gateway, 2))[-1]["text"] == "Parking is now in the garage on level -1."

    entry.active = False
    await sync_to_async(entry.save)()
    body = text_message("Is there parking?")
    await post_webhook(async_client, body)
    # No entry any more: the question goes where it went before, never to the old answer.
    journal = await journal_seen(message_key("smile-main", body["data"]["key"]["id"]))
    assert journal.intent != "faq" and journal.lane != "fast"


async def test_an_entry_saved_in_the_admin_is_answered_on_the_next_message(
    async_client, clinic, gateway, admin_user
):
    entry = await sync_to_async(parking_entry)(clinic)
    await post_webhook(async_client, text_message("Is there parking?"))
    await sent_after(gateway, 1)

    await async_client.aforce_login(admin_user)
    response = await async_client.post(
        f"/admin/knowledge/faqentry/{entry.pk}/change/",
        {
            "clinic": clinic.pk,
            "key": "parking",
            "questions": json.dumps(entry.questions),
            "answers": json.dumps(entry.answers | {"en": "Valet parking at the door."}),
            "tags": "[]",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    await post_webhook(async_client, text_message("Is there parking?"))
    assert (await sent_after(gateway, 2))[-1]["text"] == "Valet parking at the door."


async def test_an_admin_entry_with_a_question_but_no_answer_in_its_language_is_refused(
    async_client, clinic, admin_user
):
    await async_client.aforce_login(admin_user)
    response = await async_client.post(
        "/admin/knowledge/faqentry/add/",
        {
            "clinic": clinic.pk,
            "key": "pharmacy",
            "questions": json.dumps({"en": ["is there a pharmacy"], "he": ["יש בית מרקחת"]}),
            "answers": json.dumps({"en": "A pharmacy is next door."}),
            "tags": "[]",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "no answer in he, which has questions" in response.content.decode()
    assert not await FaqEntry.objects.filter(key="pharmacy").aexists()
