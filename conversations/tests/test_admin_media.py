"""Media in the admin: the conversation page shows each message's kind, type, size, caption and
content, its transcript, edit and delete marks; staff open a file through clinicbot, which fetches
it from the (fake, loopback) gateway, audits the opening and never shows the gateway's address or
key."""

from datetime import UTC, datetime

import pytest

from conversations.models import ConversationSession, Message
from security.audit import verify_chain
from security.models import AuditEvent

GATEWAY_KEY = "gateway-key"  # conftest's `gateway` fixture
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"0" * 1000
WHEN = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


def message(session, wa_id: str, **fields) -> Message:
    return Message.objects.create(
        clinic=session.clinic,
        session=session,
        direction="in",
        wa_message_id=wa_id,
        received_at=WHEN,
        **fields,
    )


@pytest.fixture
def session(clinic):
    return ConversationSession.objects.create(clinic=clinic, patient_phone="79001234567")


@pytest.fixture
def staff_client(client, clinic_staff):
    client.force_login(clinic_staff)
    return client


@pytest.fixture
def image(session):
    return message(
        session,
        "3EB0IMAGE0001",
        text="Is this swelling normal?",
        media_kind="image",
        media_mime="image/png",
        media_size=183_467,
    )


@pytest.fixture
def document(session):
    return message(
        session,
        "3EB0DOC00001",
        media_kind="document",
        media_mime="application/pdf",
        media_size=2_500_000,
        media_content="Ivanov blood test.pdf",
    )


def media_url(message: Message) -> str:
    return f"/admin/conversations/message/{message.pk}/media/"


def page_of(client, session) -> str:
    response = client.get(f"/admin/conversations/conversationsession/{session.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def media_audits() -> list[tuple]:
    return list(
        AuditEvent.objects.filter(action="view_media")
        .order_by("seq")
        .values_list("actor", "object_id", "outcome", "details")
    )


# --- the conversation page ------------------------------------------------------------------------


def test_the_page_shows_each_message_s_media(staff_client, session, image, document):
    message(session, "3EB0LOC00001", media_kind="location", media_content="32.0853, 34.7818")
    message(session, "3EB0VCARD001", media_kind="contact", media_content="Dr. Levi: +972501234567")
    page = page_of(staff_client, session)
    assert "image/png" in page and "179.2\xa0KB" in page
    assert "Is this swelling normal?" in page
    assert "application/pdf" in page and "2.4\xa0MB" in page and "Ivanov blood test.pdf" in page
    assert "32.0853, 34.7818" in page and "Dr. Levi: +972501234567" in page
    # Files open through clinicbot; a location or a contact card has none.
    assert page.count('class="open-media"') == 2
    assert f'href="{media_url(image)}"' in page and f'href="{media_url(document)}"' in page


def test_the_page_marks_transcripts_and_edits(staff_client, session):
    message(
        session,
        "3EB0VOICE001",
        text="How much is a filling?",
        is_transcript=True,
        media_kind="voice",
        media_mime="audio/ogg",
    )
    message(session, "3EB0EDIT0001", text="See you at 11", edited_at=WHEN)
    page = page_of(staff_client, session)
    assert "transcript of the voice note" in page and "How much is a filling?" in page
    assert "edited · 2026-12-07" in page and "See you at 11" in page


def test_a_deleted_message_shows_no_text_and_no_file(staff_client, session):
    gone = message(
        session,
        "3EB0GONE0001",
        text="my address is 5 Herzl St",
        media_kind="image",
        media_mime="image/jpeg",
        deleted_at=WHEN,
    )
    page = page_of(staff_client, session)
    assert "deleted by the patient" in page
    assert "5 Herzl St" not in page and media_url(gone) not in page


# --- opening a file -------------------------------------------------------------------------------


def test_staff_of_the_clinic_get_an_image_inline_and_the_opening_is_audited(
    staff_client, clinic_staff, image, gateway
):
    gateway.add_media(image.wa_message_id, PHOTO, mimetype="image/png", file_name="photo.png")
    response = staff_client.get(media_url(image))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PHOTO
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="photo.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "sandbox" not in response["Content-Security-Policy"]  # the site's own policy
    (request,) = gateway.media_requests()
    assert (request["instance"], request["message_id"]) == ("smile-main", image.wa_message_id)
    assert media_audits() == [("alice", str(image.pk), "success", {"clinic": image.clinic_id})]
    assert verify_chain().ok


def test_a_document_is_downloaded_and_sandboxed(staff_client, document, gateway):
    gateway.add_media(
        document.wa_message_id,
        PDF,
        mimetype="application/pdf",
        file_name="Ivanov blood test.pdf",
        media_type="documentMessage",
    )
    response = staff_client.get(media_url(document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Ivanov blood test.pdf"'
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("kind", "declared"), [("image", "image/svg+xml"), ("document", "text/html")]
)
def test_a_file_that_could_run_scripts_is_never_shown_as_the_site(
    staff_client, session, gateway, kind, declared
):
    risky = message(session, "3EB0RISKY001", media_kind=kind, media_mime=declared)
    gateway.add_media(risky.wa_message_id, b"<script>alert(1)</script>", mimetype=declared)
    response = staff_client.get(media_url(risky))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_a_voice_note_plays_in_the_browser(staff_client, session, gateway):
    voice = message(session, "3EB0VOICE002", media_kind="voice", media_mime="audio/ogg")
    gateway.add_media(voice.wa_message_id, b"OggS....", mimetype="audio/ogg; codecs=opus")
    response = staff_client.get(media_url(voice))
    assert response["Content-Type"] == "audio/ogg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_staff_of_another_clinic_get_not_found_and_nothing_is_fetched(
    client, other_clinic, image, gateway
):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    bob = get_user_model().objects.create_user("bob", is_staff=True)
    bob.user_permissions.set(Permission.objects.filter(codename="view_message"))
    other_clinic.staff.add(bob)
    client.force_login(bob)
    gateway.add_media(image.wa_message_id, PHOTO, mimetype="image/png")
    response = client.get(media_url(image))
    assert response.status_code == 404
    assert gateway.media_requests() == []
    # A denied access, in the log of the clinic whose patient it is.
    assert media_audits() == [("bob", str(image.pk), "denied", {"clinic": image.clinic_id})]


def test_staff_without_the_message_permission_are_refused(client, clinic, image, gateway):
    from django.contrib.auth import get_user_model

    carol = get_user_model().objects.create_user("carol", is_staff=True)
    clinic.staff.add(carol)
    client.force_login(carol)
    assert client.get(media_url(image)).status_code == 403
    assert gateway.media_requests() == []
    assert media_audits() == [("carol", str(image.pk), "denied", {"clinic": image.clinic_id})]


def test_signed_out_the_file_is_not_fetched(client, image, gateway):
    response = client.get(media_url(image))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert gateway.media_requests() == []


@pytest.mark.parametrize("fault", ["not registered", "down", "refuses"])
def test_a_gateway_that_cannot_give_the_file_shows_an_error_page(
    staff_client, image, gateway, settings, fault
):
    if fault == "down":
        settings.EVOLUTION_API_URL = "http://127.0.0.1:9"  # nothing listens there
    elif fault == "refuses":
        gateway.add_media(image.wa_message_id, PHOTO, mimetype="image/png")
        gateway.fail(500)
    response = staff_client.get(media_url(image))
    page = response.content.decode()
    assert response.status_code == 502
    assert "could not give this file now" in page
    assert response["Content-Type"].startswith("text/html")
    assert "no-store" in response["Cache-Control"]
    assert media_audits() == [("alice", str(image.pk), "failure", {"clinic": image.clinic_id})]


def test_a_message_without_a_file_or_deleted_has_nothing_to_open(staff_client, session, gateway):
    location = message(session, "3EB0LOC00002", media_kind="location", media_content="1, 2")
    deleted = message(session, "3EB0GONE0002", media_kind="image", deleted_at=WHEN)
    assert staff_client.get(media_url(location)).status_code == 404
    response = staff_client.get(media_url(deleted))
    assert response.status_code == 410
    assert "The patient deleted this message." in response.content.decode()
    assert gateway.media_requests() == []
    assert [(pk, outcome) for _, pk, outcome, _ in media_audits()] == [
        (str(location.pk), "failure"),
        (str(deleted.pk), "failure"),
    ]


def test_the_gateway_s_address_and_key_never_reach_staff(
    staff_client, session, image, document, gateway
):
    gateway.add_media(image.wa_message_id, PHOTO, mimetype="image/png")
    pages = [page_of(staff_client, session)]
    ok = staff_client.get(media_url(image))
    pages.append(b"".join(ok.streaming_content).decode("latin-1") + str(ok.headers))
    failed = staff_client.get(media_url(document))  # not registered: the error page
    pages.append(failed.content.decode() + str(failed.headers))
    change = staff_client.get(f"/admin/conversations/message/{image.pk}/change/")
    pages.append(change.content.decode())
    for page in pages:
        assert GATEWAY_KEY not in page
        assert gateway.url not in page and f":{gateway.port}" not in page


def test_the_message_page_links_to_its_file(staff_client, image):
    page = staff_client.get(f"/admin/conversations/message/{image.pk}/change/").content.decode()
    assert f'href="{media_url(image)}"' in page
