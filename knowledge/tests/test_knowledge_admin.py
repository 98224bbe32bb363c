"""The FAQ and facts in the admin: scoped to the staff's clinics, validated on save."""

import json

import pytest
from django.contrib.auth.models import Permission

from knowledge.models import ClinicFacts, FaqEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def knowledge_staff(clinic_staff):
    """alice, staff of the demo clinic, who may also edit its FAQ and facts."""
    clinic_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="knowledge")
    )
    return clinic_staff


@pytest.fixture
def staff_client(client, knowledge_staff):
    client.force_login(knowledge_staff)
    return client


def an_entry(clinic, key="hours-holidays") -> FaqEntry:
    return FaqEntry.objects.create(
        clinic=clinic,
        key=key,
        questions={"en": ["are you open on holidays"]},
        answers={"en": "Closed on public holidays."},
    )


def test_staff_see_only_their_clinics_faq_entries(staff_client, clinic, other_clinic):
    ours, theirs = an_entry(clinic, "ours"), an_entry(other_clinic, "theirs")
    listing = staff_client.get("/admin/knowledge/faqentry/").content.decode()
    assert f"/admin/knowledge/faqentry/{ours.pk}/change/" in listing
    assert f"/admin/knowledge/faqentry/{theirs.pk}/change/" not in listing
    response = staff_client.get(f"/admin/knowledge/faqentry/{theirs.pk}/change/")
    assert response.status_code == 302  # "not found": back to the admin's index


def test_facts_are_saved_with_blank_topics_and_a_bad_payment_method_is_refused(
    staff_client, clinic
):
    form = {
        "clinic": clinic.pk,
        "payment_methods": json.dumps(["card", "bitcoin"]),
        "insurance_accepted": "",
        "parking": "",
        "children": json.dumps({"en": "From 3 years old."}),
    }
    response = staff_client.post("/admin/knowledge/clinicfacts/add/", form)
    assert response.status_code == 200
    assert "Use a list of" in response.content.decode()
    assert not ClinicFacts.objects.exists()

    form["payment_methods"] = json.dumps(["card", "cash"])
    response = staff_client.post("/admin/knowledge/clinicfacts/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    facts = ClinicFacts.objects.get(clinic=clinic)
    assert (facts.payment_methods, facts.insurance_accepted, facts.parking) == (
        ["card", "cash"],
        [],
        {},
    )
