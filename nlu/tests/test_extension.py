"""Intents added at run time (nlu.extension): understood, answered, checked, and taken away."""

import pytest

from nlu import (
    LANGUAGES,
    ClinicInfo,
    Intent,
    IntentRow,
    Reply,
    compose_reply,
    extension,
    router,
    understand,
)
from nlu.intents import TABLE, IntentTableError
from nlu.lexicon import LEXICONS, compile_lexicons

PARKING = IntentRow("parking", priority=75, reply=Reply.TEMPLATE)
PARKING_REPLIES = {language: f"parking ({language})" for language in LANGUAGES}


@pytest.fixture(autouse=True)
def pristine():
    with extension.restoring():
        yield


def intent_of(text: str) -> str:
    return understand(text, catalog=None, default_language="en").intent


def add_parking_in_english() -> None:
    with extension.batch():
        extension.register(PARKING)
        extension.extend("en", strong={"parking": ["is there parking"]})
        for language, reply in PARKING_REPLIES.items():
            extension.extend(language, replies={"parking": reply})


def assert_the_product_as_it_was() -> None:
    assert "parking" not in TABLE
    assert compile_lexicons() == LEXICONS
    assert "parking" not in router.PRIORITY
    assert intent_of("is there parking?") == Intent.OTHER


def test_an_intent_added_at_run_time_is_understood_and_answered_until_the_block_ends():
    clinic = ClinicInfo("Smile", "", "", "Europe/Moscow", "en")
    with extension.restoring():
        add_parking_in_english()
        understood = understand("Is there parking?", catalog=None)
        assert (understood.intent, understood.language) == ("parking", "en")
        assert compose_reply(understood, catalog=None, clinic=clinic) == "parking (en)"
        assert router.PRIORITY.index("parking") == router.PRIORITY.index(Intent.CLINIC_INFO) - 1
    assert_the_product_as_it_was()


def test_a_lexicon_entry_for_an_intent_with_no_row_is_refused_naming_it():
    with pytest.raises(
        IntentTableError,
        match=r"^he: STRONG has cues for the intent 'parking', which has no row",
    ):
        extension.extend("he", strong={"parking": ["יש חניה"]})
    assert_the_product_as_it_was()


def test_a_row_whose_reply_the_lexicons_lack_is_refused_naming_the_language_and_the_template():
    with pytest.raises(IntentTableError, match=r"^ru: REPLIES has no 'parking' template"):
        extension.register(PARKING)
    assert_the_product_as_it_was()


def test_a_batch_that_fails_its_check_leaves_nothing_behind():
    with pytest.raises(IntentTableError, match=r"^ru: REPLIES"), extension.batch():
        extension.register(PARKING)
        extension.extend("en", strong={"parking": ["is there parking"]}, replies={"parking": "!"})
    assert_the_product_as_it_was()


def test_a_row_may_not_take_an_intents_name_or_another_rows_priority():
    with pytest.raises(IntentTableError, match=r"'cancel' already has a row"):
        extension.register(IntentRow(Intent.CANCEL, priority=5))
    with pytest.raises(IntentTableError, match=r"the priority 70 of 'price_query'"):
        extension.register(IntentRow("parking", priority=70))
    with pytest.raises(IntentTableError, match=r"the priority 60 of 'book'"):
        extension.register(IntentRow("parking", priority=60))


def test_a_language_the_lexicons_lack_is_refused():
    with pytest.raises(ValueError, match="no language 'fr'"):
        extension.extend("fr", replies={"parking": "Oui"})
