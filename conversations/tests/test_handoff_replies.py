"""Hand-off replies tell the truth: inside the clinic's opening hours a colleague replies
shortly; outside them the reply names when the clinic opens, on the clinic's clock and in the
patient's language."""

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from appointments.tests.conftest import clinic_clock  # noqa: F401  (a fixture)
from clinicbot.runtime import clock
from conversations.tests.conftest import post_webhook, text_message
from nlu.lexicon import LEXICONS

pytestmark = pytest.mark.django_db(transaction=True)

MOSCOW = ZoneInfo("Europe/Moscow")
# The demo clinic opens 09:00-20:00 on weekdays, 10:00-16:00 on Saturday, not on Sunday.
SUNDAY_NIGHT = datetime(2026, 12, 13, 23, 0, tzinfo=MOSCOW)
SATURDAY_EVENING = datetime(2026, 12, 12, 17, 30, tzinfo=MOSCOW)


@pytest.fixture
def clinic_clock_at():
    """Starts the clinic's clock at a given moment, as `chat --now` does."""
    yield clock.start_at
    clock.reset()


@pytest.mark.usefixtures("eager_tasks", "clinic_clock")
async def test_asking_for_a_person_in_opening_hours_says_a_colleague_replies_shortly(
    async_client, clinic, outbox
):
    await post_webhook(async_client, text_message("Хочу поговорить с администратором"))

    assert [sent["text"] for sent in outbox] == [LEXICONS["ru"].replies["human"]]


@pytest.mark.usefixtures("eager_tasks")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Хочу поговорить с администратором", "когда мы откроемся: понедельник, 09:00"),
        ("I want to talk to a person please", "when we open on Monday at 09:00"),
        ("quiero hablar con una persona", "cuando abramos, el lunes a las 09:00"),
        ("quero falar com um atendente", "quando abrirmos: segunda-feira, às 09:00"),
        ("хочу поговорити з адміністратором", "коли ми відкриємося: понеділок, 09:00"),
        ("אני רוצה לדבר עם נציג", "כשנפתח: יום שני בשעה 09:00"),
    ],
)
async def test_asking_for_a_person_on_sunday_night_names_monday_morning(
    async_client, clinic, outbox, clinic_clock_at, text, expected
):
    clinic_clock_at(SUNDAY_NIGHT)

    await post_webhook(async_client, text_message(text))

    (reply,) = outbox
    assert expected in reply["text"]


@pytest.mark.usefixtures("eager_tasks")
async def test_the_llm_lanes_hand_off_after_closing_names_the_next_opening(
    async_client, clinic, outbox, settings, clinic_clock_at
):
    settings.OPENAI_API_KEY = ""  # the model cannot be asked: the question goes to staff
    clinic_clock_at(SATURDAY_EVENING)

    await post_webhook(async_client, text_message("Does a filling hurt?"))

    (reply,) = outbox
    assert "when we open on Monday at 09:00" in reply["text"]
    assert reply["text"].startswith("I've passed your question on to a colleague")  # soft


def test_chat_now_sets_the_clock_a_hand_off_reply_reads(clinic, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO("I want to talk to a person please\n"))
    try:
        call_command("chat", "--json", "--now", "2026-12-13T23:00", stdout=out)
    finally:
        clock.reset()
    answer = json.loads(out.getvalue().strip().splitlines()[-1])
    assert answer["intent"] == "human"
    assert "when we open on Monday at 09:00" in answer["reply"]
