"""The intent table: what it holds, and the lexicons checked against it."""

import pytest

from nlu import router
from nlu.intents import TABLE, Intent, IntentRow, IntentTableError, Reply, row_of
from nlu.lexicon import LANGUAGES, LEXICONS, compile_lexicons


def test_the_router_weighs_intents_in_the_tables_order_with_booking_after_a_reschedule():
    assert router.PRIORITY == (
        "opt_out",
        "opt_in",
        "human",
        "cancel",
        "reschedule",
        "book",
        "appointments",
        "price_query",
        "clinic_info",
        "decline",
        "confirm",
        "thanks",
        "greeting",
    )


def test_the_routers_closed_sets_are_the_tables_columns():
    names = ("SOCIAL", "SHORT_ANSWERS", "ADMINISTRATIVE", "NEGATABLE_REQUESTS")
    assert {name: getattr(router, name) for name in names} == {
        "SOCIAL": {"greeting", "thanks"},
        "SHORT_ANSWERS": {"greeting", "thanks", "confirm", "decline"},
        "ADMINISTRATIVE": {
            "cancel",
            "reschedule",
            "book",
            "appointments",
            "opt_out",
            "opt_in",
            "human",
        },
        "NEGATABLE_REQUESTS": {"cancel", "reschedule", "human"},
    }


def test_every_product_intent_has_a_row_and_an_unknown_name_reads_as_other():
    assert set(TABLE) == set(Intent)
    assert row_of("no such intent") is TABLE[Intent.OTHER]
    assert TABLE[Intent.OTHER].reply is Reply.NONE and TABLE[Intent.OTHER].priority is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_the_router_may_choose_has_cues_in_every_language(language):
    phrases = LEXICONS[language].phrases_by_first_stem.values()
    cued = {phrase.intent for same_stem in phrases for phrase in same_stem}
    assert {i for i, row in TABLE.items() if row.priority is not None} <= cued


def test_a_cue_for_an_intent_without_a_row_is_an_error_naming_the_language_and_the_intent(
    monkeypatch,
):
    monkeypatch.delitem(TABLE, Intent.CANCEL)
    with pytest.raises(IntentTableError, match=r"^ru: STRONG has cues for the intent 'cancel'"):
        compile_lexicons()


def test_a_cue_for_an_intent_that_is_never_chosen_is_an_error(monkeypatch):
    monkeypatch.setitem(TABLE, Intent.CANCEL, IntentRow(Intent.CANCEL, priority=None))
    with pytest.raises(IntentTableError, match=r"'cancel', which has no priority"):
        compile_lexicons()


def test_a_universal_cue_for_an_intent_without_a_row_is_an_error(monkeypatch):
    monkeypatch.delitem(TABLE, Intent.THANKS)
    with pytest.raises(IntentTableError, match=r"^every language: UNIVERSAL_EMOJI .* 'thanks'"):
        compile_lexicons()


def test_a_row_whose_reply_a_language_lacks_is_an_error_naming_both(monkeypatch):
    monkeypatch.setitem(TABLE, "parking", IntentRow("parking", priority=75, reply=Reply.TEMPLATE))
    with pytest.raises(IntentTableError, match=r"^ru: REPLIES has no 'parking' template, .*"):
        compile_lexicons()
