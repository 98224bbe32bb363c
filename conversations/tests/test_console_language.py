"""The console in the staff member's language: the one chosen in the header (set_language's
cookie), else the browser's Accept-Language, else English; Hebrew right to left; and catalogs
that translate every string of ours into each of the five other languages."""

import re

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from clinicbot.catalogs import LOCALE_DIR
from clinicbot.labels import NAMES, derived_names
from conversations.tests.test_console_inbox import INBOX, conversation

TRANSLATED = ["ru", "es", "pt", "uk", "he"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{\{ ?[a-z_]+ ?\}\}")

pytestmark = pytest.mark.usefixtures("compiled_catalogs")


@pytest.fixture
def staff_client(client, clinic_staff):
    client.force_login(clinic_staff)
    return client


def html_lang_and_dir(page: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', page)
    return match[1], match[2]


def test_the_console_offers_the_six_languages():
    assert [code for code, _ in settings.LANGUAGES] == ["ru", "en", "es", "pt", "uk", "he"]


@pytest.mark.parametrize(
    ("asked", "lang", "direction", "title"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru", "ltr", "Диалоги"),
        ("es-AR,es;q=0.9", "es", "ltr", "Conversaciones"),
        ("pt-BR", "pt", "ltr", "Conversas"),
        ("uk", "uk", "ltr", "Діалоги"),
        ("he-IL,he;q=0.9", "he", "rtl", "שיחות"),
        ("de-DE,de;q=0.9", "en", "ltr", "Conversations"),
    ],
)
def test_the_inbox_speaks_the_browsers_language(
    staff_client, clinic, asked, lang, direction, title
):
    page = staff_client.get(INBOX, headers={"Accept-Language": asked}).content.decode()
    assert html_lang_and_dir(page) == (lang, direction)
    assert f"<h1>{title}</h1>" in page


def test_a_language_chosen_in_the_header_wins_over_the_browsers(staff_client, clinic):
    page = staff_client.get(INBOX, headers={"Accept-Language": "ru"}).content.decode()
    assert 'id="language-chooser"' in page and 'action="/i18n/setlang/"' in page
    chosen = staff_client.post("/i18n/setlang/", {"language": "he", "next": INBOX})
    assert chosen.status_code == 302 and chosen["Location"] == INBOX
    page = staff_client.get(INBOX, headers={"Accept-Language": "ru"}).content.decode()
    assert html_lang_and_dir(page) == ("he", "rtl")
    assert '<option value="he" lang="he" selected>עברית</option>' in page


def test_messages_and_the_count_in_the_title_are_translated(staff_client, clinic):
    session = conversation(clinic, "79001112233", texts=["help"])
    staff_client.post(f"{INBOX}{session.pk}/take-over/", headers={"Accept-Language": "ru"})
    page = staff_client.get(INBOX, headers={"Accept-Language": "ru"}).content.decode()
    assert "<title>(1) Диалоги |" in page
    assert "Диалог ведёте вы: бот здесь молчит." in page
    assert "персонал · ждёт" in page


def test_model_and_field_names_and_choices_are_translated(staff_client, clinic):
    conversation(clinic, "79001112233", texts=["hi"])
    page = staff_client.get(INBOX, headers={"Accept-Language": "uk"}).content.decode()
    assert "англійська" in page  # the conversation's language, a choice
    assert "Мова" in page and "Клініка" in page  # column headers: the fields' names
    assert "Діалоги</a>" in page  # the model's name, in the breadcrumbs


def test_every_name_django_derives_for_our_models_is_listed_for_translation():
    with translation.override("en"):
        derived = {str(getattr(owner, attribute)) for owner, attribute in derived_names()}
    assert derived - set(NAMES) == set(), "add them to clinicbot.labels.NAMES and the catalogs"


def catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_with_the_same_placeholders(language):
    entries = [message for message in catalog(language) if message.id]
    assert len(entries) > 150
    for message in entries:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, f"{language}: {ids[0]!r} untranslated"
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            # A plural form may say "one" or "two" in words instead of the number.
            found = set(PLACEHOLDER.findall(string))
            assert found == wanted or (len(ids) > 1 and found <= wanted), (language, ids[0])
