"""The benchmarks' patients send their texts in any order, and each reply is checked against
the one the text gets on its own. The conversation's topic (nlu.context) must not change that:
after any of the texts, every fast-lane text gets its own reply and every LLM-lane question
still goes to the LLM lane (a question that turned into a price answer after a price question
once made the clinic-day run count 74 wrong replies)."""

import json

import pytest

from bench.faq_answers import faq_texts
from bench.llm_lane import MODEL_REPLY, llm_texts
from bench.webhook_bench import DEMO_CLINIC, demo_clinic, fast_lane_texts
from nlu import compose_reply, understand
from nlu.context import next_topic

CATALOG, CLINIC = demo_clinic()
FAST, _ = fast_lane_texts()
LLM, _ = llm_texts()


@pytest.mark.parametrize("language", sorted(FAST))
def test_every_text_gets_its_own_reply_whatever_was_asked_before(language):
    texts = dict(FAST[language] + LLM.get(language, []))
    wrong = []
    for before in texts:
        said = understand(before, catalog=CATALOG, conversation_language=language)
        topic = next_topic(said, None)
        for text, expected in texts.items():
            u = understand(text, catalog=CATALOG, conversation_language=language, topic=topic)
            reply = compose_reply(u, catalog=CATALOG, clinic=CLINIC)
            if reply != (None if expected == MODEL_REPLY else expected):
                wrong.append((before, text, u.intent))
    assert not wrong


def test_the_faq_run_asks_in_every_language_and_expects_the_clinic_files_answers():
    kept, dropped = faq_texts()
    assert sorted(kept) == sorted(FAST)
    assert len(dropped) <= 2  # listed in the report; a third would thin a language out
    answers = {a for entry in faq_index_answers() for a in entry}
    assert {answer for pairs in kept.values() for _, answer in pairs} <= answers


def faq_index_answers():
    data = json.loads(DEMO_CLINIC.read_text(encoding="utf-8"))
    return [entry["answer"].values() for entry in data["faq"]]
