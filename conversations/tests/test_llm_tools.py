"""The tools' executors and the redaction of personal data."""

import json
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import load_demo_clinic_data
from conversations.llm.adapters import ToolCallRequest
from conversations.llm.context import redact, system_prompt
from conversations.llm.tools import TOOL_SCHEMAS, Toolbox
from nlu import ClinicInfo
from nlu.catalog import PriceIndex

DEMO = load_demo_clinic_data()
CLINIC = ClinicInfo(
    name=DEMO["name"],
    address=DEMO["address"],
    phone=DEMO["phone"],
    timezone=DEMO["timezone"],
    default_language=DEMO["default_language"],
    business_hours=DEMO["business_hours"],
)
PRICES = PriceIndex.from_clinic_file(DEMO)


def run(toolbox: Toolbox, name: str, arguments) -> dict:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return json.loads(toolbox.run(ToolCallRequest("call_1", name, text)))


def test_lookup_price_finds_a_service_by_the_patients_words_in_their_language():
    toolbox = Toolbox(CLINIC, PRICES, "ru")

    answer = run(toolbox, "lookup_price", {"service": "пломбу"})

    assert answer["found"] is True
    assert answer["services"] == [
        {"service": "Пломба", "price": "3\xa0500\xa0₽", "duration_minutes": 60}
    ]


def test_lookup_price_offers_similar_services_for_one_not_on_the_list():
    toolbox = Toolbox(CLINIC, PRICES, "en")

    answer = run(toolbox, "lookup_price", {"service": "veneers"})

    assert answer["found"] is False and "similar" in answer


def test_lookup_price_without_a_price_list_says_so():
    answer = run(Toolbox(CLINIC, None, "en"), "lookup_price", {"service": "filling"})

    assert answer["found"] is False


def test_clinic_info_gives_the_clinics_own_facts():
    answer = run(Toolbox(CLINIC, PRICES, "en"), "clinic_info", {})

    assert answer["address"] == "Tverskaya 1, Moscow"
    assert answer["opening_hours"]["sun"] == "closed"


def test_hand_to_staff_flags_the_answer():
    toolbox = Toolbox(CLINIC, PRICES, "en")

    run(toolbox, "hand_to_staff", {"reason": "urgent"})

    assert toolbox.handed_to_staff and toolbox.handoff_reason == "urgent"


SUNDAY_NIGHT = datetime(2026, 12, 13, 23, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.mark.parametrize(
    ("reason", "takes_over", "status"),
    [
        ("urgent", True, "handed_to_staff"),
        ("patient_asked", True, "handed_to_staff"),
        ("complaint", False, "staff_asked"),
        ("medical", False, "staff_asked"),
        ("something new", False, "staff_asked"),
    ],
)
def test_only_an_urgent_case_or_a_patient_asking_for_a_person_takes_over(
    reason, takes_over, status
):
    toolbox = Toolbox(CLINIC, PRICES, "en", now=SUNDAY_NIGHT)

    answer = run(toolbox, "hand_to_staff", {"reason": reason})

    assert toolbox.takes_over is takes_over
    assert answer["status"] == status
    # What the model may promise: when the clinic opens, on its clock.
    assert "when we open on Monday at 09:00" in answer["instruction"]


def test_an_urgent_hand_to_staff_gives_the_model_the_emergency_instructions():
    clinic = replace(CLINIC, emergency_instructions={"ru": "Звоните 103."})
    answer = run(Toolbox(clinic, PRICES, "ru"), "hand_to_staff", {"reason": "urgent"})
    assert "Звоните 103." in answer["instruction"]


@pytest.mark.parametrize(
    ("name", "arguments"),
    [("lookup_price", "{not json"), ("book_visit", {}), ("clinic_info", "[]")],
)
def test_a_bad_tool_call_gets_an_error_the_model_can_read(name, arguments):
    assert "error" in run(Toolbox(CLINIC, PRICES, "en"), name, arguments)


def test_every_offered_tool_has_an_executor():
    toolbox = Toolbox(CLINIC, PRICES, "en")
    for schema in TOOL_SCHEMAS:
        assert "error" not in run(toolbox, schema["function"]["name"], {"service": "x"})


@pytest.mark.parametrize(
    "text",
    [
        "call me on +7 900 123-45-67",
        "my number is 79001234567",
        "(900) 123 4567 please",
    ],
)
def test_phone_numbers_are_redacted(text):
    redacted = redact(text)
    assert "[number]" in redacted
    assert not any(run_ in redacted for run_ in ("123", "4567"))


@pytest.mark.parametrize(
    "text",
    [
        "Позвоните мне: 7999 - 000 - 0305",
        "мой номер 7999 — 000 — 0305, спасибо",
        "call 7999 / 000 / 0305",
        "7 9 9 9 0 0 0 0 3 0 5",
        "+7 (999)  000 . 03 . 05",
        "7999_000_0305",
        "７９９９ ０００ ０３０５",
    ],
)
def test_phone_numbers_are_redacted_whatever_the_separators(text):
    redacted = redact(text)
    assert "[number]" in redacted
    assert not [c for c in redacted if c.isdigit()], redacted


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "Мария Иванова",
            "Передайте врачу, что пишет Марии Ивановой сестра",
            "Передайте врачу, что пишет [name] [name] сестра",
        ),
        (
            "Мария Иванова",
            "Запишите Марию Иванову в марте, с Марией придёт муж",
            "Запишите [name] [name] в марте, с [name] придёт муж",
        ),
        (
            "Олена Петренко",
            "Запишіть Олену Петренка, будь ласка",
            "Запишіть [name] [name], будь ласка",
        ),
        ("Mary Smith", "This is Mary's sister, Mrs Smith's", "This is [name] sister, Mrs [name]"),
        ("שרה כהן", "תודה לשרה מהמרפאה", "תודה [name] מהמרפאה"),
    ],
)
def test_the_patients_name_is_redacted_in_its_inflected_forms(name, text, expected):
    assert redact(text, name=name) == expected


def test_the_patients_name_is_redacted_but_prices_and_times_are_kept():
    text = "Иван here. Is 3500 the price? Can I come at 10:30 on 12.05? иван"

    assert redact(text, name="Иван Петров") == (
        "[name] here. Is 3500 the price? Can I come at 10:30 on 12.05? [name]"
    )


def test_the_system_prompt_names_the_reply_language_and_the_rules():
    prompt = system_prompt(CLINIC, PRICES, "he")

    assert "reply in Hebrew" in prompt
    assert "Give no diagnosis" in prompt and "Urgent symptoms" in prompt
    assert "+74950000000" in prompt  # the clinic's phone, for emergencies
