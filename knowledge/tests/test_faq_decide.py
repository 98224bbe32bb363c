"""When the reply comes from the clinic's FAQ or facts: never for a message that asks a price, a
booking, a cancel or anything else the bot answers itself; facts from the clinic's data, in the
patient's language; an FAQ entry over a fact on its topic."""

import json
from pathlib import Path

import pytest

from bench.nlu_blind import demo_catalog
from conftest import chat_json
from conversations.decide import reply_decide
from conversations.directory import ClinicSnapshot
from knowledge.models import ClinicFacts, FaqEntry
from knowledge.tests.demo_faq import CHILDREN, demo_faq_index
from nlu import ClinicInfo

DATA = Path(__file__).resolve().parents[2] / "nlu" / "tests" / "data"
# What the FAQ may answer: questions the bot had no answer of its own for.
MAY_BE_FAQ = {"other", "clinic_info"}


def labelled_messages() -> list[tuple[str, str, str]]:
    """(text, language, intent) of every labelled message and dialogue turn."""
    rows = []
    for path in sorted([*DATA.glob("*.jsonl"), *DATA.glob("blind5/*.jsonl")]):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for turn in row.get("turns", [row]):
                rows.append((turn["text"], row["language"], turn["intent"]))
    return rows


@pytest.fixture(scope="module")
def prices():
    catalog = demo_catalog()
    catalog.extras = {"faq": demo_faq_index()}
    return catalog


def decision_for(text: str, prices, session=None):
    info = ClinicInfo(
        "Smile", "Tverskaya 1", "+7495", "Europe/Moscow", "ru", {"mon": "09:00-20:00"}
    )
    clinic = ClinicSnapshot(1, "smile-dental", "evolution", "smile-main", "ru", info)
    return reply_decide(
        text=text, has_media=False, clinic=clinic, session=session or {}, prices=prices
    )


def test_no_labelled_message_of_another_intent_is_answered_from_the_faq(prices):
    rows = labelled_messages()
    assert len(rows) > 2000
    answered = [(t, lang, i) for t, lang, i in rows if decision_for(t, prices).intent == "faq"]
    wrong = [row for row in answered if row[2] not in MAY_BE_FAQ]
    assert wrong == []
    # The demo FAQ does answer the sets' questions about parking, cards, insurance, children.
    assert len(answered) >= 40
    assert {lang for _, lang, _ in answered} == {"ru", "en", "es", "pt", "uk", "he"}


@pytest.mark.parametrize(
    ("text", "language", "answer"),
    [
        ("Is there parking?", "en", "Free parking behind the building."),
        ("у вас есть парковка?", "ru", "Бесплатная парковка за зданием."),
        ("do you treat children?", "en", CHILDREN["en"]),
        ("אתם מטפלים בילדים?", "he", CHILDREN["he"]),
        ("можно оплатить картой?", "ru", "Мы принимаем: наличные, банковская карта, рассрочка."),
        ("aceitam cartão?", "pt", "Aceitamos: dinheiro, cartão, parcelamento."),
    ],
)
def test_the_faq_answers_in_the_fast_lane_in_the_patients_language(prices, text, language, answer):
    decision = decision_for(text, prices)
    assert (decision.intent, decision.lane, decision.language) == ("faq", "fast", language)
    assert decision.text == answer
    assert decision.session_changes["language"] == language


def test_a_price_question_or_a_booking_is_never_replaced_by_the_faq(prices):
    assert decision_for("сколько стоит чистка?", prices).intent == "price_query"
    assert decision_for("запишите меня на чистку", prices).lane == "booking"
    # A booking dialogue's answer goes to the booking lane before the FAQ is asked.
    assert decision_for("да", prices, {"awaiting": "booking"}).lane == "booking"


def test_without_an_faq_the_same_question_goes_where_it_went_before():
    catalog = demo_catalog()
    decision = decision_for("do you treat children?", catalog)
    assert (decision.intent, decision.lane) == ("other", "llm")


# --- the clinic's facts from the database, through `manage.py chat` ---------------------------


@pytest.mark.django_db(transaction=True)
def test_facts_are_answered_from_the_clinics_data_in_its_patients_languages(clinic, monkeypatch):
    ClinicFacts.objects.create(
        clinic=clinic,
        payment_methods=["cash", "card"],
        insurance_accepted=["Clalit", "Maccabi"],
        children={"ru": "Лечим детей с 4 лет.", "en": "We see children from 4."},
    )
    answer = chat_json("можно оплатить картой?", monkeypatch, phone="79000000101")
    assert (answer["intent"], answer["lane"]) == ("faq", "fast")
    assert answer["reply"] == "Мы принимаем: наличные, банковская карта."
    answer = chat_json("do you accept Maccabi?", monkeypatch, phone="79000000102")
    assert answer["reply"] == "We work with these insurers: Clalit, Maccabi."
    answer = chat_json("лечите детей?", monkeypatch, phone="79000000103")
    assert answer["reply"] == "Лечим детей с 4 лет."
    # Doctors are the clinic's providers (the clinic file's), in the patient's language.
    names = [p.name_in("en") for p in clinic.providers.filter(active=True).order_by("code")]
    answer = chat_json("which doctors work there?", monkeypatch, phone="79000000104")
    assert answer["reply"] == f"Our doctors: {', '.join(names)}."


@pytest.mark.django_db(transaction=True)
def test_an_faq_entry_on_a_facts_topic_beats_the_fact(clinic, monkeypatch):
    ClinicFacts.objects.create(clinic=clinic, payment_methods=["cash"])
    assert chat_json("do you take cards?", monkeypatch, phone="79000000201")["reply"] == (
        "We accept: cash."
    )
    FaqEntry.objects.create(
        clinic=clinic,
        key="cards",
        questions={"en": ["do you take cards"]},
        answers={"en": "Cards from next month; cash until then."},
        tags=["payment"],
    )
    answer = chat_json("do you take cards?", monkeypatch, phone="79000000202")
    assert answer["reply"] == "Cards from next month; cash until then."


@pytest.mark.django_db(transaction=True)
def test_a_clinics_faq_never_answers_another_clinics_patients(clinic, other_clinic, monkeypatch):
    FaqEntry.objects.create(
        clinic=clinic,
        key="pharmacy",
        questions={"en": ["is there a pharmacy nearby"]},
        answers={"en": "A pharmacy is next door."},
    )
    question = "is there a pharmacy nearby?"
    ours = chat_json(question, monkeypatch, clinic_slug=clinic.slug, phone="79000000301")
    theirs = chat_json(question, monkeypatch, clinic_slug=other_clinic.slug, phone="79000000302")
    assert ours["reply"] == "A pharmacy is next door."
    assert theirs["intent"] != "faq" and "next door" not in (theirs["reply"] or "")


@pytest.mark.django_db(transaction=True)
def test_a_renamed_provider_is_named_on_the_next_question_about_doctors(clinic, monkeypatch):
    first = chat_json("which doctors work there?", monkeypatch, phone="79000000401")["reply"]
    provider = clinic.providers.filter(active=True).order_by("code").first()
    assert provider.name_in("en") in first
    provider.names = provider.names | {"en": "Dr Renamed"}
    provider.save()
    answer = chat_json("which doctors work there?", monkeypatch, phone="79000000402")["reply"]
    assert "Dr Renamed" in answer
