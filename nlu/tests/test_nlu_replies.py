"""The receptionist's fast-lane replies: language, prices, clinic information."""

from decimal import Decimal

import pytest

from nlu import (
    INTENTS,
    LANGUAGES,
    ClinicInfo,
    Understanding,
    compose_reply,
    handoff_reply,
    text_required_reply,
    understand,
)
from nlu.catalog import PriceIndex, ServiceEntry
from nlu.intents import Reply, row_of
from nlu.tests.test_nlu_accuracy import SMILE_DENTAL_CLINIC

CATALOG = PriceIndex.from_clinic_file(SMILE_DENTAL_CLINIC)
CLINIC = ClinicInfo(
    name=SMILE_DENTAL_CLINIC["name"],
    address=SMILE_DENTAL_CLINIC["address"],
    phone=SMILE_DENTAL_CLINIC["phone"],
    timezone=SMILE_DENTAL_CLINIC["timezone"],
    default_language=SMILE_DENTAL_CLINIC["default_language"],
    business_hours=SMILE_DENTAL_CLINIC["business_hours"],
)
FAST_INTENTS = [i for i in INTENTS if row_of(i).reply not in (Reply.NONE, Reply.BOOKING)]
BOOKING_INTENTS = [i for i in INTENTS if row_of(i).reply is Reply.BOOKING]


def reply_to(text, catalog=CATALOG):
    u = understand(text, catalog=catalog, default_language="ru")
    return compose_reply(u, catalog=catalog, clinic=CLINIC)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", FAST_INTENTS)
def test_every_fast_intent_has_a_reply_in_every_language(intent, language):
    reply = compose_reply(Understanding(intent, language), catalog=CATALOG, clinic=CLINIC)
    assert reply and "{" not in reply


@pytest.mark.parametrize("intent", ["greeting", "thanks", "confirm", "opt_out", "human"])
def test_each_language_gets_its_own_wording(intent):
    replies = {
        compose_reply(Understanding(intent, lang), catalog=CATALOG, clinic=CLINIC)
        for lang in LANGUAGES
    }
    assert len(replies) == len(LANGUAGES)


def test_other_gets_no_fast_reply():
    assert compose_reply(Understanding("other", "ru"), catalog=CATALOG, clinic=CLINIC) is None


def test_a_price_reply_gives_each_service_in_the_patients_language_and_offers_to_book():
    reply = reply_to("сколько стоят пломба и чистка?")
    assert "Пломба — 3\xa0500\xa0₽" in reply
    assert "Профессиональная чистка — 4\xa0500\xa0₽" in reply
    assert reply.index("Пломба") < reply.index("Профессиональная чистка")
    assert "записаться" in reply


def test_a_price_reply_falls_back_to_the_english_name():
    reply = reply_to("כמה עולה סתימה?")  # the demo clinic has no Hebrew names
    assert "Filling" in reply and "3,500" in reply


def test_a_price_reply_uses_the_services_own_currency_never_a_hard_coded_ruble():
    catalog = PriceIndex(
        [ServiceEntry("filling", {"en": "Filling", "ru": "Пломба"}, (), Decimal("85.50"), "USD")]
    )
    ru = reply_to("сколько стоит пломба?", catalog=catalog)
    en = reply_to("how much is a filling?", catalog=catalog)
    assert "85,50\xa0$" in ru and "₽" not in ru
    assert "$85.50" in en


def test_a_question_about_a_missing_service_says_so_lists_alternatives_and_offers_a_person():
    reply = reply_to("Привет, сколько стоят виниры?")
    assert "нет в нашем прайсе" in reply
    assert reply.count("₽") == 3
    assert "администратора" in reply


def test_a_word_much_like_a_listed_service_goes_to_the_llm_lane_not_to_a_wrong_no():
    # "implantology" is most likely the implant we list: "that isn't on our price list" would be
    # a wrong fast answer.
    assert reply_to("how much is implantology?") is None


def test_a_service_named_by_its_foreign_verb_stem_is_priced():
    assert "Filling" in reply_to("how much is an obturation?")


def test_a_price_question_without_a_service_lists_the_services():
    reply = reply_to("price list please")
    assert reply.startswith("Our main services and prices:")
    assert reply.count("RUB") == len(CATALOG)


def test_clinic_information_has_address_phone_and_grouped_hours_in_the_clinic_time_zone():
    reply = reply_to("Где вы находитесь?")
    assert "Tverskaya 1, Moscow" in reply and "+74950000000" in reply
    assert "Пн–Пт: 09:00–20:00" in reply
    assert "Сб: 10:00–16:00" in reply
    assert "Вс: выходной" in reply
    assert "Москва" in reply


def test_clinic_information_in_spanish():
    reply = reply_to("¿Dónde están ubicados?")
    assert "Dirección: Tverskaya 1, Moscow" in reply
    assert "cerrado" in reply


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", BOOKING_INTENTS)
def test_what_reads_or_changes_appointments_gets_no_fast_reply(intent, language):
    # The booking lane answers from the database: a fast reply could only promise.
    assert compose_reply(Understanding(intent, language), catalog=CATALOG, clinic=CLINIC) is None


@pytest.mark.parametrize(
    ("text", "claims"),
    [
        ("Да, на 9 утра", ("09:00", "ждём")),
        ("yes, 3pm works", ("15:00", "see you")),
        ("sí, a las 10", ("10:00", "esperamos")),
    ],
)
def test_a_yes_with_nothing_pending_claims_nothing(text, claims):
    """Nothing was offered: the yes books nothing, so the reply must not say it did."""
    reply = reply_to(text)
    assert reply
    assert not any(claim in reply.lower() for claim in claims)


def test_an_opt_out_reply_tells_how_to_come_back():
    assert "СТАРТ" in reply_to("не пишите мне больше")
    assert "START" in reply_to("please stop texting me")


@pytest.mark.parametrize("language", LANGUAGES)
def test_handoff_and_text_required_replies_exist_in_every_language(language):
    assert handoff_reply(language)
    assert text_required_reply(language)
    assert handoff_reply(language) != text_required_reply(language)


def test_an_unknown_language_code_falls_back_to_english():
    assert handoff_reply("fr") == handoff_reply("en")
