"""Adding an intent is one row of the intent table plus its entries in the six lexicons, and
nothing else: shown with an intent that exists only in this test, asked through `manage.py
chat`, which goes through the webhook's own pipeline."""

from contextlib import contextmanager

import pytest

from conftest import chat_json
from conversations.models import ConversationSession
from nlu import Intent, IntentRow, Reply, extension
from nlu.intents import TABLE

# language: (what a patient asks, the cue phrase, the clinic's answer)
PARKING = {
    "ru": (
        "Здравствуйте, у вас есть парковка?",
        "есть парковка",
        "Да, у клиники есть бесплатная парковка для пациентов.",
    ),
    "en": ("Hi, is there parking?", "is there parking", "Yes, patients park free at the door."),
    "es": (
        "Hola, ¿hay estacionamiento?",
        "hay estacionamiento",
        "Sí, hay estacionamiento gratuito para pacientes.",
    ),
    "pt": (
        "Oi, vocês tem estacionamento?",
        "tem estacionamento",
        "Sim, temos estacionamento gratuito para pacientes.",
    ),
    "uk": (
        "Добрий день, у вас є парковка?",
        "є парковка",
        "Так, у клініки є безкоштовна парковка для пацієнтів.",
    ),
    "he": ("שלום, יש חניה?", "יש חניה", "כן, יש חניה חינם למטופלים."),
}


@contextmanager
def parking_intent():
    """The whole of the intent: one row, and a cue and a reply in each language."""
    with extension.restoring():
        with extension.batch():
            extension.register(IntentRow("parking", priority=75, reply=Reply.TEMPLATE))
            for language, (_, phrase, reply) in PARKING.items():
                extension.extend(language, strong={"parking": [phrase]}, replies={"parking": reply})
        yield


def intents_and_replies(monkeypatch, phone: str) -> dict[str, tuple[str, str]]:
    """Each language's question sent through `manage.py chat` by one patient: its intent and its
    reply."""
    answers = {
        language: chat_json(question, monkeypatch, phone=phone)
        for language, (question, _, _) in PARKING.items()
    }
    return {language: (answer["intent"], answer["reply"]) for language, answer in answers.items()}


@pytest.mark.django_db(transaction=True)
def test_an_intent_added_as_a_row_and_lexicon_entries_is_understood_and_answered(
    clinic, monkeypatch
):
    # A patient each time: a question the LLM lane hands to staff would silence the bot for
    # the rest of that conversation.
    before = intents_and_replies(monkeypatch, phone="79000000001")
    with parking_intent():
        answered = intents_and_replies(monkeypatch, phone="79000000002")
    assert answered == {lang: ("parking", reply) for lang, (_, _, reply) in PARKING.items()}
    assert intents_and_replies(monkeypatch, phone="79000000003") == before
    assert "parking" not in {intent for intent, _ in before.values()}


def test_what_an_intent_sets_in_the_session_is_a_value_the_session_takes():
    for row in TABLE.values():
        for name, value in row.session.items():
            choices = ConversationSession._meta.get_field(name).choices
            assert value in dict(choices), (row.intent, name, value)
    assert TABLE[Intent.HUMAN].session == {"control": ConversationSession.Control.STAFF}
