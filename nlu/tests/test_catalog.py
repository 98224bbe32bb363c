"""The in-memory price list: finding services by any name, in any language, and prices."""

from decimal import Decimal

import pytest

from nlu.catalog import PriceIndex, ServiceEntry, format_price
from nlu.tests.test_nlu_accuracy import SMILE_DENTAL_CLINIC

INDEX = PriceIndex.from_clinic_file(SMILE_DENTAL_CLINIC)


def codes(text, index=INDEX, language=None):
    return [s.code for s in index.find(text, language=language)]


def test_it_reads_every_service_of_the_clinic_file_with_decimal_prices():
    assert len(INDEX) == 7
    filling = INDEX.get("filling")
    assert filling.price == Decimal("3500.00") and filling.currency == "RUB"
    assert filling.duration_minutes == 60
    assert INDEX.get("veneers") is None


@pytest.mark.parametrize("text", ["пломба", "пломбу", "пломбы", "Пломбочка", "obturações"])
def test_it_finds_a_service_by_an_inflected_name(text):
    assert codes(text) == ["filling"]


def test_it_finds_services_in_the_order_they_are_mentioned_once_each():
    assert codes("чистка, пломба и ещё раз чистка") == ["cleaning", "filling"]


def test_a_multi_word_name_wins_over_its_parts():
    assert codes("teeth whitening") == ["whitening"]
    assert codes("удаление зуба") == ["extraction"]


@pytest.mark.parametrize("text", ["dental", "зуба", "professional", "dentário"])
def test_a_word_shared_by_many_services_does_not_select_one(text):
    assert codes(text) == []


def test_synonyms_in_other_languages_attach_only_to_a_service_the_clinic_has():
    assert codes("відбілювання", language="uk") == ["whitening"]
    without_whitening = PriceIndex(s for s in INDEX if s.code != "whitening")
    assert codes("відбілювання", index=without_whitening, language="uk") == []


def test_a_token_list_works_as_well_as_a_text():
    assert codes(["сколько", "стоит", "рентген"]) == ["xray"]


def test_closest_finds_similar_names_and_nothing_for_unrelated_words():
    assert [s.code for s in INDEX.closest("obturation")] == ["filling"]
    assert INDEX.closest("виниры") == []


def test_a_name_in_the_patients_language_falls_back_to_english_then_any():
    service = ServiceEntry("x", {"ru": "Рентген", "en": "X-ray"}, (), Decimal(1), "RUB")
    assert service.name_in("ru") == "Рентген"
    assert service.name_in("he") == "X-ray"
    only_spanish = ServiceEntry("x", {"es": "Radiografía"}, (), Decimal(1), "EUR")
    assert only_spanish.name_in("he") == "Radiografía"


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("3500.00", "RUB", "ru", "3\xa0500\xa0₽"),
        ("3500.00", "RUB", "en", "RUB\xa03,500"),
        ("85.50", "USD", "en", "$85.50"),
        ("3500", "EUR", "es", "3.500\xa0€"),
        ("120", "BRL", "pt", "R$\xa0120"),
        ("3500", "UAH", "uk", "3\xa0500\xa0₴"),
    ],
)
def test_format_price_follows_the_locale_and_the_currency(amount, currency, language, expected):
    assert format_price(Decimal(amount), currency, language) == expected


def test_format_price_in_hebrew_shows_the_shekel_sign():
    assert "₪" in format_price(Decimal("250"), "ILS", "he")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("вырвать этот зуб", "ru"),
        ("зуб мудрости вырвать", "ru"),
        ("вирвати зуб", "uk"),
        ("pull my wisdom tooth", "en"),
        ("get a tooth pulled", "en"),
        ("quitar una muela", "es"),
        ("arrancar o dente do siso", "pt"),
        ("לעקור שן", "he"),
    ],
)
def test_an_extraction_named_by_its_verb_and_a_tooth_finds_the_extraction(text, language):
    assert codes(text, language=language) == ["extraction"]


@pytest.mark.parametrize("text", ["pull", "remove me from the list", "arrancar", "вырвать"])
def test_an_extraction_verb_alone_names_no_service(text):
    assert codes(text) == []


def test_a_verb_phrase_allows_only_a_short_gap():
    assert codes("pull up my records from last year for this tooth", language="en") == []


def test_an_extraction_verb_phrase_needs_a_clinic_that_extracts():
    index = PriceIndex([ServiceEntry("filling", {"en": "Filling"}, (), Decimal("10"), "USD")])
    assert codes("pull my tooth", index=index, language="en") == []


def test_resembles_tells_a_misspelled_service_word_from_an_unrelated_one():
    assert INDEX.resembles("obturation")
    assert not INDEX.resembles("coverage")
    assert not INDEX.resembles("parking")


@pytest.mark.parametrize(
    ("word", "language", "code"),
    [
        ("профчистку", "ru", "cleaning"),
        ("профгигиена", "ru", "cleaning"),
        ("профчищення", "uk", "cleaning"),
        ("teethwhitening", "en", "whitening"),
        ("superlimpieza", "es", "cleaning"),
    ],
)
def test_a_compound_word_ending_in_a_service_name_finds_that_service(word, language, code):
    assert INDEX.compound(word, language) == (code,)


@pytest.mark.parametrize(
    ("word", "language"),
    [("очистка", "ru"), ("зачистка", "ru"), ("restaurant", "en"), ("пломба", "ru"), ("נייר", "he")],
)
def test_a_word_is_no_compound_when_what_comes_before_the_name_is_too_short(word, language):
    assert INDEX.compound(word, language) == ()


def test_a_checkup_in_any_language_is_the_clinics_consultation():
    for text, language in [("revisión", "es"), ("revisão", "pt"), ("check-up", "en")]:
        assert codes(text, language=language) == ["consultation"]
