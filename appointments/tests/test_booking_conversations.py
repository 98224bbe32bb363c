"""The booking dialogue in every language, through `manage.py chat --json` (the webhook's own
pipeline with the clock started on Monday 7 December 2026, 09:00 in Moscow), and what the
database says after each reply: no reply claims a booking, a move or a cancel it does not hold."""

import io
import json
from datetime import datetime

import pytest
from django.core.management import call_command

from appointments.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)

NOW = "2026-12-07T09:00"
LANGUAGES = ("ru", "en", "es", "pt", "uk", "he")


def chat(monkeypatch, lines: list[str], *, phone: str = "79990001122", now: str = NOW) -> list:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    call_command("chat", "--json", "--phone", phone, "--now", now, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def starts(turn) -> datetime:
    return datetime.fromisoformat(turn["appointment"]["starts_at"])


# --- price answer, yes, a number, yes; what is booked; cancel
PRICE_THEN_BOOK = {
    "ru": [
        "Сколько стоит чистка?",
        "да",
        "1",
        "да",
        "когда у меня приём?",
        "хочу отменить запись",
        "да",
    ],
    "en": [
        "How much is a cleaning?",
        "yes",
        "1",
        "yes",
        "when is my appointment?",
        "cancel my appointment",
        "yes",
    ],
    "es": [
        "¿Cuánto cuesta una limpieza?",
        "sí",
        "1",
        "sí",
        "¿cuándo es mi cita?",
        "quiero cancelar mi cita",
        "sí",
    ],
    "pt": [
        "Quanto custa uma limpeza?",
        "sim",
        "1",
        "sim",
        "quando é minha consulta?",
        "quero cancelar minha consulta",
        "sim",
    ],
    "uk": [
        "Скільки коштує чистка?",
        "так",
        "1",
        "так",
        "коли мій прийом?",
        "хочу скасувати запис",
        "так",
    ],
    "he": [
        "כמה עולה ניקוי אבנית?",
        "כן",
        "1",
        "כן",
        "מתי התור שלי?",
        "אני רוצה לבטל את התור",
        "כן",
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_yes_to_the_price_answer_books_through_offered_times_and_a_cancel_frees_it(
    language, clinic, monkeypatch
):
    lines = PRICE_THEN_BOOK[language]
    price, yes, one, confirm = chat(monkeypatch, lines[:4])
    assert (price["lane"], price["service"]) == ("fast", "cleaning")
    assert (yes["lane"], yes["intent"], yes["appointment"]) == ("booking", "confirm", None)
    assert "1." in yes["reply"] and "3." in yes["reply"]  # the nearest times, numbered
    assert one["appointment"]["status"] == "held"
    held = starts(one)
    assert held == datetime.fromisoformat("2026-12-07T11:00:00+03:00")  # 2 h notice, 10:00 opening
    assert confirm["appointment"]["status"] == "booked" and starts(confirm) == held
    assert Appointment.objects.get(status="booked").service.code == "cleaning"
    which, cancel, sure = chat(monkeypatch, lines[4:])
    assert which["intent"] == "appointments" and "11:00" in which["reply"]
    assert cancel["lane"] == "booking" and cancel["appointment"]["status"] == "booked"
    assert sure["appointment"] is None
    assert Appointment.objects.get().status == "cancelled"
    assert all(turn["reply"] for turn in (yes, one, confirm, which, cancel, sure))


# --- a service, a day and a time in one message
TOMORROW_AT_10 = {
    "ru": ("хочу записаться на чистку завтра в 10", "да"),
    "en": ("book a cleaning tomorrow at 10", "yes"),
    "es": ("quiero reservar una limpieza mañana a las 10", "sí"),
    "pt": ("quero marcar uma limpeza amanhã às 10h", "sim"),
    "uk": ("хочу записатися на чистку завтра о 10", "так"),
    "he": ("אני רוצה לקבוע תור לניקוי אבנית מחר בעשר", "כן"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_free_time_asked_for_is_held_then_booked(language, clinic, monkeypatch):
    asked, yes = chat(monkeypatch, list(TOMORROW_AT_10[language]))
    assert (asked["intent"], asked["lane"], asked["service"]) == ("book", "booking", "cleaning")
    assert asked["appointment"]["status"] == "held"
    assert starts(asked) == datetime.fromisoformat("2026-12-08T10:00:00+03:00")
    assert "10:00" in asked["reply"]
    assert yes["appointment"]["status"] == "booked"
    booked = Appointment.objects.get(status="booked")
    assert (booked.provider.code, booked.service.code) == ("hyg-petrova", "cleaning")


def test_a_taken_time_asked_for_gets_the_nearest_free_ones_that_day(clinic, monkeypatch):
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"], phone="79990000001")
    (asked,) = chat(monkeypatch, ["book a cleaning tomorrow at 10"], phone="79990000002")
    assert asked["appointment"] is None
    assert "11:00" in asked["reply"] and "1." in asked["reply"]


def test_a_day_and_a_time_answering_the_offered_times_picks_that_time(clinic, monkeypatch):
    # "tomorrow at 11" alone is no intent of its own: it answers the dialogue, which waits.
    offer, picked = chat(monkeypatch, ["I'd like to book a cleaning", "tomorrow at 11"])
    assert offer["lane"] == "booking" and offer["appointment"] is None
    assert (picked["intent"], picked["lane"]) == ("other", "booking")
    assert starts(picked) == datetime.fromisoformat("2026-12-08T11:00:00+03:00")


PARTS_OF_THE_DAY = [
    ("pt", "quero marcar uma limpeza na sexta de manhã", "2026-12-11", 10, 12),
    ("ru", "хочу записаться на чистку в четверг после обеда", "2026-12-10", 13, 19),
    ("es", "quiero una cita para limpieza el viernes por la tarde", "2026-12-11", 12, 19),
    ("en", "I'd like to book a cleaning on Friday morning", "2026-12-11", 10, 12),
    ("uk", "хочу записатися на чистку в четвер після обіду", "2026-12-10", 13, 19),
    ("he", "אני רוצה לקבוע תור לניקוי אבנית ביום חמישי אחר הצהריים", "2026-12-10", 12, 19),
]


@pytest.mark.parametrize(("language", "text", "day", "earliest", "latest"), PARTS_OF_THE_DAY)
def test_a_day_and_a_part_of_the_day_narrow_the_offered_times(
    language, text, day, earliest, latest, clinic, monkeypatch
):
    (offer,) = chat(monkeypatch, [text])
    assert offer["lane"] == "booking" and offer["appointment"] is None
    (picked,) = chat(monkeypatch, ["1"])
    held = starts(picked)
    assert held.date().isoformat() == day
    assert earliest <= held.hour < latest


# --- move
MOVE_TO_FRIDAY = {
    "ru": ("можно перенести на пятницу?", "да"),
    "en": ("can I move it to Friday", "yes"),
    "es": ("¿me la pueden pasar para el viernes?", "sí"),
    "pt": ("dá pra passar pra sexta?", "sim"),
    "uk": ("можна перенести на п'ятницю?", "так"),
    "he": ("אפשר להעביר ליום שישי?", "כן"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_move_holds_the_new_time_before_it_frees_the_old(language, clinic, monkeypatch):
    book, yes = TOMORROW_AT_10[language]
    chat(monkeypatch, [book, yes])
    ask, confirm = MOVE_TO_FRIDAY[language]
    offer, one = chat(monkeypatch, [ask, "1"])
    assert offer["intent"] == "reschedule" and offer["lane"] == "booking"
    assert starts(offer).day == 8  # still tomorrow's, nothing moved yet
    held_new = Appointment.objects.get(status="held")
    assert held_new.starts_at.date().isoformat() == "2026-12-11"
    assert Appointment.objects.filter(status="booked").count() == 1  # the old one, still
    (done,) = chat(monkeypatch, [confirm])
    assert starts(done).date().isoformat() == "2026-12-11"
    assert sorted(Appointment.objects.values_list("status", flat=True)) == ["booked", "cancelled"]


# --- nothing pending: nothing claimed
NOTHING_PENDING = {
    "ru": ["да", "да, в 9", "отмените запись"],
    "en": ["yes", "yes, at 9", "cancel my appointment"],
    "es": ["sí", "sí, a las 9", "cancelar mi cita"],
    "pt": ["sim", "sim, às 9h", "cancelar minha consulta"],
    "uk": ["так", "так, о 9", "скасуйте запис"],
    "he": ["כן", "כן, בתשע", "לבטל את התור"],
}
CLAIMS = ("09:00", "ждём", "see you", "cancelling", "cancelled", "отменяем", "cancelamos")


@pytest.mark.parametrize("language", LANGUAGES)
def test_with_nothing_pending_a_yes_or_a_cancel_claims_nothing(language, clinic, monkeypatch):
    turns = chat(monkeypatch, NOTHING_PENDING[language])
    assert all(turn["appointment"] is None for turn in turns)
    assert all(not any(c in turn["reply"].lower() for c in CLAIMS) for turn in turns)
    assert turns[2]["lane"] == "booking"
    assert not Appointment.objects.exists()


BOOK_WITHOUT_A_SERVICE = {
    "ru": "хочу записаться на приём",
    "en": "I'd like to book an appointment",
    "es": "quiero pedir cita",
    "pt": "quero agendar um horário",
    "uk": "хочу записатися на прийом",
    "he": "אני רוצה לקבוע תור",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_booking_without_a_service_asks_which_then_offers_times(language, clinic, monkeypatch):
    which, offer, held = chat(monkeypatch, [BOOK_WITHOUT_A_SERVICE[language], "3", "1"])
    assert (which["intent"], which["lane"], which["service"]) == ("book", "booking", None)
    assert "1." in which["reply"]
    assert offer["appointment"] is None and "1." in offer["reply"]
    assert held["appointment"]["status"] == "held"


def test_a_no_to_a_held_time_lets_it_go(clinic, monkeypatch):
    asked, no = chat(monkeypatch, ["book a cleaning tomorrow at 10", "no"])
    assert asked["appointment"]["status"] == "held"
    assert no["appointment"] is None
    assert Appointment.objects.get().status == "cancelled"


# --- reminders
def remind(now: str) -> None:
    from zoneinfo import ZoneInfo

    from followups.dispatch import followups_dispatch

    moment = datetime.fromisoformat(now).replace(tzinfo=ZoneInfo("Europe/Moscow"))
    assert followups_dispatch(now=moment).sent == 1


def test_a_yes_to_a_reminder_confirms_the_appointment(clinic, monkeypatch, outbox):
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    remind("2026-12-07T10:01")  # 24 h before Tuesday 10:00
    assert "A reminder of your appointment" in outbox[-1]["text"]
    (yes,) = chat(monkeypatch, ["yes"], now="2026-12-07T10:30")
    assert (yes["lane"], yes["appointment"]["status"]) == ("booking", "confirmed")
    assert Appointment.objects.get().status == "confirmed"


def test_a_no_to_a_reminder_offers_new_times_and_is_noted_for_staff(clinic, monkeypatch, outbox):
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    remind("2026-12-07T10:01")
    no, one = chat(monkeypatch, ["no, I can't come", "1"], now="2026-12-07T10:30")
    assert no["lane"] == "booking" and "1." in no["reply"]
    assert no["appointment"]["status"] == "booked"  # nothing changes until a new time is chosen
    appointment = Appointment.objects.order_by("pk").first()
    assert appointment.changes.filter(action="reminder declined").exists()
    assert one["lane"] == "booking"
    held = Appointment.objects.get(status="held")
    assert held.replaces == appointment and appointment.status == "booked"
    (yes,) = chat(monkeypatch, ["yes"], now="2026-12-07T10:31")
    assert yes["appointment"]["status"] == "booked"
    assert sorted(Appointment.objects.values_list("status", flat=True)) == ["booked", "cancelled"]


def test_a_second_reminder_of_a_moved_appointment_never_goes_out(clinic, monkeypatch, outbox):
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    chat(monkeypatch, ["can I move it to Friday", "1", "yes"])
    from followups.models import FollowUp

    pending = FollowUp.objects.filter(status="pending").order_by("due_at")
    moved = Appointment.objects.get(status="booked")
    assert {f.context["appointment_id"] for f in pending} == {moved.pk}
    assert FollowUp.objects.filter(status="cancelled").count() == 2


def test_a_time_taken_between_the_offer_and_the_choice_is_said_and_others_offered(
    clinic, monkeypatch
):
    (offer,) = chat(monkeypatch, ["book a cleaning"], phone="79990000011")
    assert "1. Monday, 7 December, 11:00" in offer["reply"]
    chat(monkeypatch, ["book a cleaning today at 11", "yes"], phone="79990000012")
    (late,) = chat(monkeypatch, ["1"], phone="79990000011")
    assert late["reply"].startswith("Sorry, that time has just been taken.")
    assert late["appointment"] is None
    assert "11:00" not in late["reply"]
    assert Appointment.objects.filter(status="booked").count() == 1


def test_a_no_to_the_times_offered_for_a_move_keeps_the_appointment(clinic, monkeypatch):
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    offer, no = chat(monkeypatch, ["can I move it to Friday", "no"])
    assert "stays as it is" in no["reply"] and "10:00" in no["reply"]
    assert no["appointment"]["status"] == "booked"
    assert Appointment.objects.get().status == "booked"


@pytest.mark.parametrize(
    ("language", "ask", "book_it"),
    [
        ("en", "book a cleaning tomorrow at 10", "yes, book it"),
        ("ru", "хочу записаться на чистку завтра в 10", "да, запишите"),
        ("es", "quiero reservar una limpieza mañana a las 10", "sí, resérvala"),
    ],
)
def test_yes_book_it_books_the_held_time(language, ask, book_it, clinic, monkeypatch):
    asked, yes = chat(monkeypatch, [ask, book_it])
    assert asked["appointment"]["status"] == "held"
    assert yes["appointment"]["status"] == "booked"
    assert starts(yes) == starts(asked)


def test_a_yes_after_the_booking_is_done_books_nothing_more(clinic, monkeypatch):
    turns = chat(monkeypatch, ["How much is a cleaning?", "yes", "1", "yes", "yes"])
    assert turns[3]["appointment"]["status"] == "booked"
    assert turns[4]["lane"] == "fast"  # the offer was taken up: this yes is just a yes
    assert Appointment.objects.count() == 1
