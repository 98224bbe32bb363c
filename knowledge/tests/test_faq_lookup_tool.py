"""The LLM lane's faq_lookup tool: the clinic's FAQ entries near a question (a looser bar than
the fast lane's) and its facts, from memory."""

import json

from conftest import load_demo_clinic_data
from conversations.llm.adapters import ToolCallRequest
from conversations.llm.tools import TOOL_SCHEMAS, Toolbox
from conversations.tests.test_llm_tools import CLINIC
from knowledge.tests.demo_faq import CHILDREN, demo_faq_index
from nlu.catalog import PriceIndex
from nlu.facts import ClinicFactsData, faq_index_build


def prices_with_faq() -> PriceIndex:
    prices = PriceIndex.from_clinic_file(load_demo_clinic_data())
    prices.extras = {"faq": demo_faq_index()}
    return prices


def lookup(toolbox: Toolbox, question: str) -> dict:
    arguments = json.dumps({"question": question})
    return json.loads(toolbox.run(ToolCallRequest("call_1", "faq_lookup", arguments)))


def test_the_tool_is_offered_to_the_model():
    assert "faq_lookup" in {schema["function"]["name"] for schema in TOOL_SCHEMAS}


def test_it_returns_the_entries_near_a_question_the_fast_lane_found_too_vague():
    toolbox = Toolbox(CLINIC, prices_with_faq(), "en")
    question = "before I come, is there parking and does the waiting room have wifi?"
    assert demo_faq_index().match(question, "en") is None
    answer = lookup(toolbox, question)
    assert answer["found"] is True
    assert {m["answer"] for m in answer["matches"]} == {
        "Free parking behind the building.",
        "Wi-Fi: ClinicGuest / smile2026",
    }
    assert toolbox.calls == ["faq_lookup"]


def test_it_gives_the_clinics_facts_in_the_patients_language():
    answer = lookup(Toolbox(CLINIC, prices_with_faq(), "ru"), "что-то непонятное")
    assert answer["found"] is False and answer["matches"] == []
    assert answer["facts"] == {
        "payment": "Мы принимаем: наличные, банковская карта, рассрочка.",
        "insurance": "Мы работаем со страховыми: Clalit, Maccabi, Allianz.",
        "children": CHILDREN["ru"],
        "doctors": "Наши врачи: Д-р Иванова, Dr Levi.",
    }  # parking: the clinic's FAQ entry answers it, not the fact


def test_a_fact_missing_in_the_patients_language_comes_in_another_for_the_model_to_translate():
    prices = PriceIndex.from_clinic_file(load_demo_clinic_data())
    facts = ClinicFactsData(children={"en": "From 3 years old."})
    prices.extras = {"faq": faq_index_build([], facts)}
    answer = lookup(Toolbox(CLINIC, prices, "uk"), "чи лікуєте дітей?")
    assert answer["facts"] == {"children": "From 3 years old."}


def test_without_an_faq_it_says_so():
    prices = PriceIndex.from_clinic_file(load_demo_clinic_data())
    answer = lookup(Toolbox(CLINIC, prices, "en"), "is there parking?")
    assert answer == {"found": False, "note": "The clinic has no FAQ or facts on record."}
