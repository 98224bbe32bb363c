"""A clinic's own words for a fixed reply: placeholders checked on save (in the model and the
admin form, the error naming the placeholder), the default beside the text, a preview with
sample values, and each clinic's staff seeing only their own clinic's texts."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.notices import NOTICES
from appointments.texts import TEXTS
from followups.kinds import Kind
from knowledge.models import ReplyText
from knowledge.reply_texts import fixed_text, fixed_texts
from nlu import LANGUAGES

ADD = "/admin/knowledge/replytext/add/"
LIST = "/admin/knowledge/replytext/"

pytestmark = pytest.mark.usefixtures("no_cachalot")


@pytest.fixture
def staff_client(client, clinic_staff):
    clinic_staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="knowledge", codename__endswith="_replytext"
        )
    )
    client.force_login(clinic_staff)
    return client


def change_url(reply: ReplyText) -> str:
    return f"/admin/knowledge/replytext/{reply.pk}/change/"


def test_every_fixed_text_is_registered_with_a_default_in_each_language():
    keys = {fixed.key for fixed in fixed_texts()}
    assert {f"booking.{name}" for name in TEXTS["en"]} <= keys
    assert {f"notice.{name}" for name in NOTICES["en"]} <= keys
    assert {f"followup.{kind}" for kind in Kind if kind != Kind.CUSTOM} <= keys
    assert {"greeting", "handoff", "opt_out", "human", "text_required"} <= keys
    for fixed in fixed_texts():
        assert all(fixed.default(language) for language in LANGUAGES), fixed.key
    assert fixed_text("booking.booked").default("ru") == TEXTS["ru"]["booked"]


def errors_of(reply: ReplyText) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        reply.full_clean()
    return refused.value.message_dict["text"]


def test_it_refuses_an_unknown_placeholder_naming_it_and_the_allowed_ones(clinic):
    reply = ReplyText(
        clinic=clinic, key="booking.booked", language="en", text="Booked {service} at {time}."
    )
    assert errors_of(reply) == [
        "unknown placeholder {time}; allowed: {service}, {when}, {with_provider}",
        "missing placeholder {when}: this reply must say it",
    ]


def test_it_refuses_a_placeholder_in_a_reply_that_takes_none(clinic):
    reply = ReplyText(clinic=clinic, key="greeting", language="ru", text="Привет, {name}!")
    assert errors_of(reply) == ["unknown placeholder {name}; allowed: none"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Booked {service}, {when", "malformed placeholder (expected '}' before end of string)"),
        ("Booked {service}, {when.year}", "malformed placeholder {when.year}"),
        ("Booked {service}, {0} {when}", "malformed placeholder {0}"),
        ("Booked {service}, {when!r}", "malformed placeholder {when!r}"),
    ],
)
def test_it_refuses_a_malformed_placeholder(clinic, text, error):
    reply = ReplyText(clinic=clinic, key="booking.booked", language="en", text=text)
    assert any(message.startswith(error) for message in errors_of(reply))


def test_it_accepts_the_replys_placeholders_literal_braces_and_no_decoration(clinic):
    reply = ReplyText(
        clinic=clinic,
        key="booking.booked",
        language="en",
        text="All set {{ok}}: {service}, {when}. See you!",  # {with_provider} may go
    )
    reply.full_clean()


def test_the_admin_refuses_an_unknown_placeholder_and_names_it(staff_client, clinic):
    form = {"clinic": clinic.pk, "key": "booking.booked", "language": "en"}
    response = staff_client.post(ADD, form | {"text": "Booked {service} at {time}."})
    assert response.status_code == 200
    page = response.content.decode()
    assert "unknown placeholder {time}; allowed: {service}, {when}, {with_provider}" in page
    assert not ReplyText.objects.exists()


def test_the_admin_saves_a_valid_text_and_who_wrote_it(staff_client, clinic, clinic_staff):
    form = {"clinic": clinic.pk, "key": "booking.booked", "language": "en"}
    response = staff_client.post(ADD, form | {"text": "All set: {service}, {when}."})
    assert response.status_code == 302
    saved = ReplyText.objects.get()
    assert (saved.clinic, saved.text, saved.updated_by) == (
        clinic,
        "All set: {service}, {when}.",
        clinic_staff,
    )


def test_the_change_page_shows_the_default_beside_the_text_and_a_preview(staff_client, clinic):
    reply = ReplyText.objects.create(
        clinic=clinic, key="booking.booked", language="en", text="All set: {service}, {when}."
    )
    page = staff_client.get(change_url(reply)).content.decode()
    assert TEXTS["en"]["booked"].replace("'", "&#x27;") in page  # the default, as written
    assert "allowed: {service}, {when}, {with_provider}; required: {service}, {when}" in page
    assert "All set: Professional cleaning, Tuesday, 8 December, 10:00." in page


def test_the_add_page_lists_every_key_with_its_purpose_and_placeholders(staff_client):
    page = staff_client.get(ADD).content.decode()
    assert "<td>followup.appointment_reminder</td>" in page
    assert "<td>booking.booked</td><td>The booking confirmation.</td>" in page
    assert "<td>{service}, {when}, {with_provider}</td>" in page


def test_the_preview_of_a_refused_text_says_what_is_wrong(staff_client, clinic):
    reply = ReplyText.objects.create(
        clinic=clinic, key="booking.booked", language="en", text="All set: {service}, {when}."
    )
    form = {"clinic": clinic.pk, "key": reply.key, "language": "en", "text": "At {time}"}
    page = staff_client.post(change_url(reply), form).content.decode()
    assert page.count("unknown placeholder {time}") == 2  # the field's error and the preview
    reply.refresh_from_db()
    assert reply.text == "All set: {service}, {when}."


def test_staff_see_and_edit_only_their_own_clinics_texts(staff_client, clinic, other_clinic):
    ours = ReplyText.objects.create(clinic=clinic, key="greeting", language="ru", text="Привет!")
    theirs = ReplyText.objects.create(
        clinic=other_clinic, key="greeting", language="ru", text="Здравствуйте, North!"
    )
    listed = staff_client.get(LIST).content.decode()
    assert change_url(ours) in listed and change_url(theirs) not in listed
    assert staff_client.get(change_url(theirs)).status_code == 302  # "not found": to the index
    form = {"clinic": other_clinic.pk, "key": "thanks", "language": "ru", "text": "Спасибо!"}
    response = staff_client.post(ADD, form)
    assert "Select a valid choice" in response.content.decode()
    assert not ReplyText.objects.filter(key="thanks").exists()


def test_a_text_that_no_longer_fits_its_reply_is_left_out_of_the_clinics_texts(clinic):
    """Written around the admin (or before its default changed): the default is sent."""
    ReplyText.objects.bulk_create(
        [
            ReplyText(clinic=clinic, key="booking.booked", language="en", text="At {time}"),
            ReplyText(clinic=clinic, key="greeting", language="en", text="Hello {{there}}!"),
        ]
    )
    # A greeting is sent as given: its doubled braces are made single first.
    assert ReplyText.overrides_of(clinic.pk) == {("greeting", "en"): "Hello {there}!"}


def test_the_list_makes_the_same_queries_for_three_texts_as_for_twelve(staff_client, clinic):
    def texts_in(languages):
        for language in languages:
            for key in ("greeting", "thanks", "handoff"):
                ReplyText.objects.create(clinic=clinic, key=key, language=language, text="Hello!")
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(LIST).status_code == 200
        return len(captured)

    assert texts_in(["en"]) == texts_in(["ru", "es", "pt"])
