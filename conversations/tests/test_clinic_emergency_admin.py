"""Staff see and edit a clinic's emergency instructions in the admin; texts in a language the
bot does not speak, or empty ones, are refused."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conversations.directory import ClinicSnapshot
from conversations.models import validate_texts_by_language

pytestmark = pytest.mark.django_db


def test_the_clinic_page_shows_its_emergency_instructions(admin_client, clinic):
    clinic.emergency_instructions = {"en": "Call +7 495 000-00-01 now."}
    clinic.save()
    page = admin_client.get(reverse("admin:conversations_clinic_change", args=[clinic.pk]))
    content = page.content.decode()
    assert 'name="emergency_instructions"' in content
    assert "Call +7 495 000-00-01 now." in content


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"fr": "Appelez"}, "'fr' is not one of"),
        ({"en": "  "}, "en: the text is empty"),
        (["Call us"], "Give an object of texts by language"),
    ],
)
def test_instructions_in_an_unknown_language_or_empty_are_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_texts_by_language(value)


def test_the_fast_lane_reads_the_instructions_from_memory(clinic):
    clinic.emergency_instructions = {"he": "התקשרו מיד."}
    assert ClinicSnapshot.of(clinic).info.emergency_instructions == {"he": "התקשרו מיד."}
