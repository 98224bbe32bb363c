"""Follow-ups read with the conversation's topic, counts, two questions in one, a no then a
question, and requests that are only asked about ("what if I cancel?")."""

import pytest

from bench.nlu_blind import demo_catalog
from nlu import understand
from nlu.context import Topic, count_in

CATALOG = demo_catalog()
CROWN_PRICE = Topic("price_query", ("crown",))


def read(text: str, topic: Topic | None = None, language: str | None = None):
    return understand(text, catalog=CATALOG, conversation_language=language, topic=topic)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("а если два?", 2),
        ("what about 3 of them?", 3),
        ("e se forem dois?", 2),
        ("y si son 2?", 2),
        ("ומה אם שניים?", 2),
        ("а на 4 зуби?", 4),
    ],
)
def test_a_count_after_a_price_answer_prices_that_many_of_the_same_service(text, count):
    u = read(text, CROWN_PRICE)
    assert (u.intent, u.service_codes, u.quantity) == ("price_query", ("crown",), count)


def test_without_a_topic_a_bare_count_answers_nothing_fast():
    assert read("а если два?").intent == "other"


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("and a crown after that?", "crown"),
        ("ומה עם כתר?", "crown"),
        ("а отбеливание?", "whitening"),
        ("E uma limpeza?", "cleaning"),
    ],
)
def test_a_service_named_after_a_price_answer_asks_its_price(text, service):
    u = read(text, Topic("price_query", ("filling",)))
    assert (u.intent, u.service_codes[:1]) == ("price_query", (service,))


@pytest.mark.parametrize("text", ["ok", "ок", "понятно, подумаю", "ah ok", "ta bien", "👍"])
def test_an_acknowledgement_after_a_price_answer_is_no_yes(text):
    assert read(text, CROWN_PRICE).intent == "thanks"


@pytest.mark.parametrize("text", ["да", "yes please", "sí", "sim", "так", "כן"])
def test_an_explicit_yes_after_a_price_answer_still_confirms(text):
    assert read(text, CROWN_PRICE).intent == "confirm"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("да, отменяйте", "cancel"),
        ("yes cancel it", "cancel"),
        ("ага, запишите меня", "price_query"),
    ],
)
def test_a_yes_repeating_the_request_asked_about_confirms_it(text, topic):
    assert read(text, Topic(topic)).intent == "confirm"


def test_a_request_naming_a_time_after_a_price_answer_stays_a_request():
    assert read("ok, can I book it for next tuesday?", CROWN_PRICE).intent == "book"


def test_counts_are_read_in_the_message_itself_but_not_ages():
    assert read("how much for three fillings").quantity == 3
    assert read("3 пломби скільки коштує").quantity == 3
    assert count_in(["ребенку", "5", "лет"], "ru") is None
    assert count_in(["she's", "6"], "en") is None
    assert count_in(["hey", "how", "much", "4", "a", "crown"], "en") is None
    assert count_in(["מחיר", "ל2", "עקירות"], "he") == 2
    assert count_in(["כמה", "עולה", "ניקוי", "ביום", "שני"], "he") is None
    assert count_in(["2", "пломбы", "и", "3", "коронки"], "ru") is None


@pytest.mark.parametrize(
    "text",
    [
        "а если я отменю за час, штраф будет?",
        "se eu cancelar em cima da hora pago multa?",
        "אם אני מבטל תור יש קנס ביטול?",
    ],
)
def test_a_request_only_asked_about_goes_to_the_llm_lane(text):
    assert read(text).intent == "other"


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("não, canal não quero. e extração quanto é?", "extraction"),
        ("No no, el implante no, ¿y una extracción?", "extraction"),
    ],
)
def test_a_no_then_a_price_question_asks_the_price(text, service):
    u = read(text)
    assert (u.intent, u.service_codes) == ("price_query", (service,))


@pytest.mark.parametrize(
    "text",
    [
        "how much is a cleaning and where are you located?",
        "Are you open on Saturdays? And how much is a checkup?",
    ],
)
def test_a_price_and_the_clinic_card_are_both_asked(text):
    u = read(text)
    assert (u.intent, u.also) == ("price_query", ("clinic_info",))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("skolko stoit implant", "ru"),
        ("skilky koshtuye implant", "uk"),
        ("kama ole stima?", "he"),
        ("privet", "ru"),
    ],
)
def test_russian_ukrainian_and_hebrew_in_latin_letters_are_read_and_answered_in_them(
    text, language
):
    u = read(text)
    assert u.intent != "other" and u.language == language


@pytest.mark.parametrize("text", ["привееет", "hiii", "holaaa", "oiii", "הייי"])
def test_stretched_letters_are_read_as_the_word(text):
    assert read(text).intent == "greeting"


def test_a_cyrillic_first_message_to_a_hebrew_clinic_is_answered_in_russian():
    assert understand("ммм", catalog=CATALOG, default_language="he").language == "ru"
    assert understand("STOP", catalog=CATALOG, default_language="he").language == "en"
    assert understand("ok", catalog=CATALOG, conversation_language="uk").language == "uk"


def test_small_talk_keeps_the_topic_and_a_question_the_fast_lane_left_drops_it():
    from nlu.context import next_topic

    thanks = read("спасибо")
    assert next_topic(thanks, CROWN_PRICE) == CROWN_PRICE
    assert next_topic(read("do you take insurance?"), CROWN_PRICE) is None
    assert next_topic(read("how much is a filling?"), CROWN_PRICE) == Topic(
        "price_query", ("filling",)
    )


@pytest.mark.parametrize(
    "text",
    [
        "Can I whiten my teeth if I have crowns?",
        "Posso clarear os dentes se tenho coroas?",
        "אפשר להלבין שיניים אם יש לי כתרים?",
        "Больно ли ставить пломбу?",
    ],
)
def test_a_question_the_router_sends_to_the_llm_lane_stays_there_after_a_price_answer(text):
    assert read(text, Topic("price_query", ("filling",))).intent == "other"


@pytest.mark.parametrize("text", ["Да, в 9 утра", "yes at 9", "Sim, às 9", "כן, ב-9"])
def test_a_yes_with_a_time_after_a_price_answer_is_no_count(text):
    u = read(text, CROWN_PRICE)
    assert (u.intent, u.quantity) == ("confirm", None)
