"""Matching a message against a clinic's FAQ and facts (nlu.faq, nlu.facts): the thresholds'
tuning set, in six languages, and what must not match."""

import time

import pytest

from nlu.facts import ClinicFactsData, faq_index_build
from nlu.faq import FaqIndex, FaqItem

WIFI = FaqItem(
    "wifi",
    {"en": ("is there wifi", "wifi password"), "ru": ("есть ли wifi", "пароль от вайфая")},
    {"en": "Wi-Fi: ClinicGuest.", "ru": "Wi-Fi: ClinicGuest."},
)
STERILIZATION = FaqItem(
    "sterilization",
    {
        "en": ("how do you sterilize instruments", "are the instruments sterile"),
        "es": ("como esterilizan el instrumental",),
    },
    {"en": "Autoclave, class B.", "es": "Autoclave de clase B."},
)
FACTS = ClinicFactsData(
    payment_methods=("cash", "card"),
    insurers=("Clalit", "Maccabi"),
    parking={
        "en": "Free parking.",
        "ru": "Бесплатная парковка.",
        "uk": "Безкоштовна парковка.",
        "es": "Aparcamiento gratis.",
        "pt": "Estacionamento grátis.",
        "he": "חניה חינם.",
    },
    children={"en": "From 3 years old.", "ru": "С 3 лет.", "he": "מגיל 3."},
    doctors=({"en": "Dr Ivanova", "ru": "Д-р Иванова"},),
)

# The tuning set: paraphrases as patients write them, none of them a stored variant word for
# word, and the entry each asks for (None: nothing may answer it from memory).
PARAPHRASES = [
    ("where can i park?", "en", "parking"),
    ("Is there any parking?", "en", "parking"),
    ("parking?", "en", "parking"),
    ("do you accept credit cards?", "en", "payment"),
    ("can I pay with a card", "en", "payment"),
    ("Do you accept Maccabi?", "en", "insurance"),
    ("do you treat kids", "en", "children"),
    ("which doctors work at the clinic?", "en", "doctors"),
    ("what's the wifi password", "en", "wifi"),
    ("are your instruments sterile?", "en", "sterilization"),
    ("а парковка есть?", "ru", "parking"),
    ("где можно припарковаться?", "ru", "parking"),
    ("можно картой оплатить?", "ru", "payment"),
    ("вы принимаете Clalit?", "ru", "insurance"),
    ("детей лечите?", "ru", "children"),
    ("какие у вас врачи?", "ru", "doctors"),
    ("чи є у вас парковка?", "uk", "parking"),
    ("можна оплатити карткою?", "uk", "payment"),
    ("hay aparcamiento?", "es", "parking"),
    ("¿puedo pagar con tarjeta?", "es", "payment"),
    ("cómo esterilizan el instrumental?", "es", "sterilization"),
    ("vocês tem estacionamento?", "pt", "parking"),
    ("aceitam cartão?", "pt", "payment"),
    ("יש אצלכם חניה?", "he", "parking"),
    ("אפשר לשלם באשראי?", "he", "payment"),
    ("אתם מקבלים ילדים?", "he", "children"),
    # Near misses: a word of an entry, not its question.
    ("where are you?", "en", None),
    ("who is this?", "en", None),
    ("my card was charged twice", "en", None),
    ("my child has a toothache, what should I do", "en", None),
    ("can my husband come with me", "en", None),
    ("how much is a filling", "en", None),
    ("у ребенка болит зуб", "ru", None),
    ("пароль не подходит к личному кабинету", "ru", None),
]


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return faq_index_build([WIFI, STERILIZATION], FACTS)


@pytest.mark.parametrize(("text", "language", "key"), PARAPHRASES)
def test_a_paraphrase_finds_its_entry_and_a_near_miss_finds_none(index, text, language, key):
    found = index.match(text, language)
    assert (found.item.key if found else None) == key


@pytest.mark.parametrize("language", ["ru", "en", "es", "pt", "uk", "he"])
def test_a_fact_is_answered_in_the_patients_language(index, language):
    found = index.match(
        {
            "ru": "есть парковка?",
            "en": "is there parking?",
            "es": "hay parking?",
            "pt": "tem estacionamento?",
            "uk": "є парковка?",
            "he": "יש חניה?",
        }[language],
        language,
    )
    assert found is not None and found.language == language
    assert found.answer == FACTS.parking[language]


def test_the_answer_names_the_clinics_own_payment_methods_insurers_and_doctors(index):
    assert index.match("do you take cards?", "en").answer == "We accept: cash, card."
    assert index.match("можно оплатить картой?", "ru").answer == (
        "Мы принимаем: наличные, банковская карта."
    )
    assert "Clalit, Maccabi" in index.match("do you accept insurance", "en").answer
    assert index.match("какие врачи работают?", "ru").answer == "Наши врачи: Д-р Иванова."


def test_a_fact_the_clinic_did_not_give_in_a_language_is_not_answered_in_another(index):
    assert index.match("чи лікуєте дітей?", "uk") is None  # children has no Ukrainian text
    assert index.match("do you treat children?", "en").answer == FACTS.children["en"]


def test_a_topic_the_clinic_says_nothing_about_has_no_answer():
    index = faq_index_build([], ClinicFactsData(payment_methods=("cash",)))
    assert index.match("is there parking?", "en") is None
    assert index.match("do you take cash?", "en").item.key == "payment"
    assert len(faq_index_build([], ClinicFactsData())) == 0


def test_an_faq_entry_on_a_facts_topic_beats_the_fact():
    own = FaqItem(
        "where-to-park",
        {"en": ("is there parking",)},
        {"en": "Park in the mall, we validate tickets."},
        tags=("parking",),
    )
    index = faq_index_build([own], FACTS)
    assert index.match("is there parking?", "en").answer == "Park in the mall, we validate tickets."
    assert [m.item.key for m in index.lookup("parking", "en")] == ["where-to-park"]


def test_two_entries_matching_alike_answer_neither():
    first = FaqItem("a", {"en": ("opening on holidays",)}, {"en": "A"})
    second = FaqItem("b", {"en": ("opening on holidays",)}, {"en": "B"})
    index = FaqIndex.build([first, second])
    assert index.match("opening on holidays", "en") is None
    assert {m.item.key for m in index.lookup("opening on holidays", "en")} == {"a", "b"}


def test_an_entry_without_an_answer_in_a_language_is_never_matched_in_it():
    entry = FaqItem("wifi", {"en": ("is there wifi",), "es": ("hay wifi",)}, {"en": "Yes."})
    index = FaqIndex.build([entry])
    assert index.match("hay wifi?", "es") is None
    assert index.match("is there wifi?", "en").answer == "Yes."


def test_a_short_question_read_as_another_language_of_its_script_still_matches(index):
    found = index.match("¿Hay aparcamiento?", "pt")  # as the router may read it
    assert (found.item.key, found.language) == ("parking", "es")


def test_lookup_gives_weaker_candidates_best_first_for_the_llm_lane(index):
    found = index.lookup("I wanted to ask about parking and the wifi", "en")
    assert {m.item.key for m in found} == {"parking", "wifi"}
    assert found == sorted(found, key=lambda m: -m.score)
    assert index.match("I wanted to ask about parking and the wifi", "en") is None


def test_a_message_costs_a_few_lookups_however_long_the_faq_is():
    many = [
        FaqItem(f"topic-{n}", {"en": (f"question about topic{n} details",)}, {"en": f"answer {n}"})
        for n in range(5000)
    ]
    index = faq_index_build([*many, WIFI], FACTS)
    index.match("is there wifi?", "en")  # stems cached
    started = time.perf_counter()
    for _ in range(200):
        assert index.match("is there wifi?", "en").item.key == "wifi"
    per_message_ms = (time.perf_counter() - started) / 200 * 1000
    assert per_message_ms < 0.5, per_message_ms
