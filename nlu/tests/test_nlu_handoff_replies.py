"""Hand-off replies that tell the truth about when a colleague answers, and the emergency
instructions of an urgent one."""

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from nlu import LANGUAGES, ClinicInfo, Handoff, handoff_reply, urgent_reply
from nlu.lexicon import LEXICONS
from nlu.replies import emergency_instructions, next_opening

MOSCOW = ZoneInfo("Europe/Moscow")
HOURS = {
    "mon": "09:00-20:00",
    "tue": "09:00-20:00",
    "wed": "09:00-20:00",
    "thu": "09:00-20:00",
    "fri": "09:00-20:00",
    "sat": "10:00-16:00",
    "sun": None,
}
CLINIC = ClinicInfo(
    name="Smile Dental",
    address="Tverskaya 1",
    phone="+74950000000",
    timezone="Europe/Moscow",
    default_language="ru",
    business_hours=HOURS,
)
MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=MOSCOW)
SUNDAY_23 = datetime(2026, 12, 13, 23, 0, tzinfo=MOSCOW)
MONDAY_IN = {
    "ru": "понедельник, 09:00",
    "uk": "понеділок, 09:00",
    "en": "on Monday at 09:00",
    "es": "el lunes a las 09:00",
    "pt": "segunda-feira, às 09:00",
    "he": "יום שני בשעה 09:00",
}


@pytest.mark.parametrize("kind", list(Handoff))
@pytest.mark.parametrize("language", LANGUAGES)
def test_inside_opening_hours_a_colleague_replies_shortly(language, kind):
    assert handoff_reply(language, CLINIC, MONDAY_NOON, kind) == LEXICONS[language].replies[kind]


@pytest.mark.parametrize("kind", list(Handoff))
@pytest.mark.parametrize("language", LANGUAGES)
def test_on_sunday_night_the_reply_names_monday_morning(language, kind):
    reply = handoff_reply(language, CLINIC, SUNDAY_23, kind)
    assert MONDAY_IN[language] in reply
    assert reply != LEXICONS[language].replies[kind]


def test_the_next_opening_is_read_on_the_clinics_clock():
    # 05:30 UTC on a Saturday is 08:30 in Moscow: the clinic opens at 10:00 that day.
    assert next_opening(HOURS, "Europe/Moscow", datetime(2026, 12, 12, 5, 30, tzinfo=UTC)) == (
        datetime(2026, 12, 12, 10, 0, tzinfo=MOSCOW)
    )
    # Friday 20:00 is closing time: next is Saturday 10:00.
    friday_8pm = datetime(2026, 12, 11, 20, 0, tzinfo=MOSCOW)
    assert next_opening(HOURS, "Europe/Moscow", friday_8pm) == datetime(
        2026, 12, 12, 10, 0, tzinfo=MOSCOW
    )
    assert next_opening(HOURS, "Europe/Moscow", MONDAY_NOON) is None
    assert next_opening({}, "Europe/Moscow", SUNDAY_23) is None
    monday_late = datetime(2026, 12, 7, 23, 59, tzinfo=UTC)
    assert next_opening({"mon": "00:00-24:00"}, "UTC", monday_late) is None  # open to midnight
    assert next_opening(dict.fromkeys(HOURS), "Europe/Moscow", SUNDAY_23) is None


def test_saturday_evening_names_monday_not_the_closed_sunday():
    reply = handoff_reply("en", CLINIC, datetime(2026, 12, 12, 17, 0, tzinfo=MOSCOW))
    assert "on Monday at 09:00" in reply


def test_without_hours_or_a_clock_the_reply_says_shortly():
    assert handoff_reply("en") == LEXICONS["en"].replies["handoff"]
    no_hours = replace(CLINIC, business_hours={})
    assert handoff_reply("en", no_hours, SUNDAY_23) == LEXICONS["en"].replies["handoff"]


def test_the_clinics_instructions_come_in_the_patients_language_else_its_default_else_any():
    clinic = replace(CLINIC, emergency_instructions={"en": "Call 911.", "ru": "Звоните 103."})
    assert emergency_instructions(clinic, "en") == "Call 911."
    assert emergency_instructions(clinic, "he") == "Звоните 103."
    only_english = replace(CLINIC, emergency_instructions={"en": "Call 911."})
    assert emergency_instructions(only_english, "he") == "Call 911."


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_instructions_the_patient_is_told_to_call_the_clinic(language):
    assert CLINIC.phone in emergency_instructions(CLINIC, language)
    no_phone = replace(CLINIC, phone="")
    assert (
        emergency_instructions(no_phone, language) == LEXICONS[language].replies["urgent_no_phone"]
    )


def test_an_urgent_reply_is_the_instructions_then_the_truthful_hand_off():
    clinic = replace(CLINIC, emergency_instructions={"en": "Call +7 495 000-00-00 now."})
    reply = urgent_reply(clinic, "en", SUNDAY_23)
    assert reply.startswith("Call +7 495 000-00-00 now.\n\n")
    assert reply.endswith(handoff_reply("en", clinic, SUNDAY_23))
    assert "on Monday at 09:00" in reply
