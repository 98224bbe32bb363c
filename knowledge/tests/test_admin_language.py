"""The FAQ, facts and reply texts in the staff member's language: the app's and models' names,
the columns, the help texts (a list of codes in them too) and the validation messages."""

import json

import pytest
from django.contrib.auth.models import Permission

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]


@pytest.fixture
def staff_client(client, clinic_staff):
    clinic_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="knowledge")
    )
    client.force_login(clinic_staff)
    return client


def page(client, url: str, language: str, form: dict | None = None) -> str:
    headers = {"Accept-Language": language}
    if form is None:
        return client.get(url, headers=headers).content.decode()
    return client.post(url, form, headers=headers).content.decode()


def test_the_faq_list_speaks_russian(staff_client, clinic):
    listing = page(staff_client, "/admin/knowledge/faqentry/", "ru")
    assert "Сведения о клинике" in listing  # the app, in the breadcrumbs
    assert "вопрос FAQ" in listing  # the model ("Выберите вопрос FAQ для изменения")
    assert ">Вопрос<" in listing and ">Языки<" in listing  # the columns


def test_a_refused_payment_method_is_explained_in_the_staff_members_language(staff_client, clinic):
    form = {"clinic": clinic.pk, "payment_methods": json.dumps(["bitcoin"])}
    for language, help_text, refusal in [
        ("es", "Cualquiera de [", "Use una lista de ["),
        ("ru", "Любые из [", "Используйте список из ["),
        ("en", "Any of [", "Use a list of ["),
    ]:
        # The help text's codes are filled in when it is shown, so each language gets its own.
        answer = page(staff_client, "/admin/knowledge/clinicfacts/add/", language, form)
        assert help_text in answer and refusal in answer, language
        assert "bank_transfer" in answer


def test_the_reply_texts_add_page_speaks_hebrew(staff_client, clinic):
    answer = page(staff_client, "/admin/knowledge/replytext/add/", "he")
    assert 'dir="rtl"' in answer
    assert "<th>למה הוא משמש</th><th>משתנים</th>" in answer  # the keys' table
    assert "נוסח תשובה" in answer  # the model's derived name
