"""A patient's number, however it is written (by the gateway, in `chat`, in the admin's search),
is one number: the same digits, the same masked form and the same blind index."""

import io

import pytest
from django.core.management import call_command

from conversations.models import ConversationSession
from conversations.phones import mask_phone
from security.blind_index import blind_index, normalize_phone

SPELLINGS = [
    "79001234567",
    "+79001234567",
    "+7 (900) 123-45-67",
    "7 900 123 45 67",
    "0079001234567",
    "79001234567@s.whatsapp.net",
    "79001234567:12@s.whatsapp.net",
]


@pytest.mark.parametrize("written", SPELLINGS)
def test_it_reads_every_spelling_as_the_same_digits_mask_and_index(written):
    assert normalize_phone(written) == "79001234567"
    assert mask_phone(written) == "+7 *** *** 45 67"
    assert blind_index(written) == blind_index("79001234567")


@pytest.mark.parametrize("written", ["447700900123", "+44 7700 900123", "00447700900123"])
def test_it_masks_a_longer_country_code_the_same_way_for_every_spelling(written):
    assert normalize_phone(written) == "447700900123"
    assert mask_phone(written) == "+44 *** *** 01 23"


@pytest.mark.parametrize("written", ["", "Ivan", "12345"])
def test_it_masks_a_value_with_too_few_digits_entirely(written):
    assert mask_phone(written) == "***"


@pytest.mark.parametrize("written", ["٧٩٠٠١٢٣٤٥٦٧", "７９００ １２３ ４５ ６７", "+۷۹۰۰۱۲۳۴۵۶۷"])
def test_digits_of_other_scripts_are_read_as_the_same_number(written):
    # An empty index would put every such number in one conversation.
    assert normalize_phone(written) == "79001234567"
    assert blind_index(written) == blind_index("79001234567")


@pytest.mark.django_db(transaction=True)
def test_it_stores_the_number_typed_into_chat_as_the_gateway_would_give_it(clinic, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Здравствуйте\n"))
    call_command("chat", "--json", "--phone", "0079001234567", stdout=io.StringIO())
    session = ConversationSession.objects.get()
    assert session.patient_phone == "79001234567"
    assert session.patient_phone_index == blind_index("79001234567")
