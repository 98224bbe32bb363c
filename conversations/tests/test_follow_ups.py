"""Messages as patients type them, through `manage.py chat --json` (the webhook's pipeline): a
follow-up that leans on the last answer, a count, two questions in one, an "ok" after a price."""

import io
import json

import pytest
from django.core.management import call_command

from appointments.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)


def chat(monkeypatch, lines: list[str], phone: str = "79990003344") -> list[dict]:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    call_command("chat", "--json", "--phone", phone, "--now", "2026-12-07T09:00", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_count_after_a_price_answer_prices_that_many_of_the_same_service(clinic, monkeypatch):
    crown, two = chat(monkeypatch, ["сколько стоит коронка?", "а если две?"])
    assert (crown["intent"], crown["service"]) == ("price_query", "crown")
    assert (two["intent"], two["lane"], two["service"]) == ("price_query", "fast", "crown")
    assert "× 2 = 36 000 ₽" in two["reply"].replace("\xa0", " ")


def test_a_service_named_after_a_price_answer_asks_its_price(clinic, monkeypatch):
    _, crown = chat(monkeypatch, ["how much is a filling?", "and a crown after that?"])
    assert (crown["intent"], crown["lane"], crown["service"]) == ("price_query", "fast", "crown")


def test_ok_after_a_price_answer_books_nothing_and_a_yes_still_does(clinic, monkeypatch):
    _, ok = chat(monkeypatch, ["how much is a cleaning?", "ok"])
    assert (ok["intent"], ok["lane"], ok["appointment"]) == ("thanks", "fast", None)
    _, yes = chat(monkeypatch, ["how much is a cleaning?", "yes"], phone="79990003355")
    assert (yes["intent"], yes["lane"]) == ("confirm", "booking")
    assert not Appointment.objects.exists() or yes["appointment"] is not None


def test_a_count_in_the_question_itself_gives_the_total(clinic, monkeypatch):
    (three,) = chat(monkeypatch, ["how much for three fillings"])
    assert (three["intent"], three["service"]) == ("price_query", "filling")
    assert "× 3" in three["reply"]


def test_a_price_and_the_address_in_one_message_are_both_answered(clinic, monkeypatch):
    (both,) = chat(monkeypatch, ["how much is a cleaning and where are you located?"])
    assert (both["intent"], both["lane"]) == ("price_query", "fast")
    assert "Professional cleaning" in both["reply"] and "Tverskaya" in both["reply"]


def test_a_price_and_a_booking_in_one_message_go_to_the_llm_lane_whole(clinic, monkeypatch):
    (both,) = chat(monkeypatch, ["how much is an implant and can I book for tomorrow?"])
    assert (both["intent"], both["lane"]) == ("other", "llm")


def test_a_cyrillic_message_nothing_else_tells_is_answered_in_russian(clinic, monkeypatch):
    clinic.default_language = "he"
    clinic.save()
    (hello,) = chat(monkeypatch, ["привееет"])
    assert hello["intent"] == "greeting" and "Здравствуйте" in hello["reply"]
