"""The admin and PHI: decrypted values only on audited change pages, masked phones on lists,
phone search through the blind index, per-clinic staff, sign-in lockout and idle logoff."""

from decimal import Decimal

import pytest
from django.conf import settings

from conftest import STAFF_PASSWORD as PASSWORD
from conversations.models import ConversationSession, Message
from conversations.phones import mask_phone
from followups.models import FollowUp
from pricing.models import Service
from security.audit import verify_chain
from security.models import AuditEvent

PHONE_A, NAME_A = "79001234567", "Иван Петров"
PHONE_B, NAME_B = "447700900123", "Jane Doe"
TEXT_A = "У меня болит зуб"


@pytest.fixture
def conversation_a(clinic):
    session = ConversationSession.objects.create(
        clinic=clinic, patient_phone=PHONE_A, patient_name=NAME_A
    )
    Message.objects.create(
        clinic=clinic, session=session, direction="in", text=TEXT_A, received_at=session.created_at
    )
    return session


@pytest.fixture
def conversation_b(other_clinic):
    session = ConversationSession.objects.create(
        clinic=other_clinic, patient_phone=PHONE_B, patient_name=NAME_B
    )
    Message.objects.create(
        clinic=other_clinic,
        session=session,
        direction="in",
        text="My tooth hurts",
        received_at=session.created_at,
    )
    return session


@pytest.fixture
def staff_a(clinic_staff):
    """A staff user of clinic A (conftest.clinic_staff)."""
    return clinic_staff


@pytest.fixture
def staff_client(client, staff_a):
    client.force_login(staff_a)
    return client


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def audit_rows(action: str) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(action=action)
        .order_by("seq")
        .values_list("actor", "object_type", "object_id", "outcome")
    )


# --- lists, change pages, search ------------------------------------------------------------------


def test_lists_show_masked_phones_and_change_pages_decrypted_values(admin_client, conversation_a):
    page = admin_client.get("/admin/conversations/conversationsession/").content.decode()
    assert mask_phone(PHONE_A) in page
    assert PHONE_A not in page
    page = admin_client.get(
        f"/admin/conversations/conversationsession/{conversation_a.pk}/change/"
    ).content.decode()
    assert PHONE_A in page and NAME_A in page
    message = conversation_a.messages.get()
    page = admin_client.get(f"/admin/conversations/message/{message.pk}/change/").content.decode()
    assert TEXT_A in page


@pytest.mark.parametrize("term", [PHONE_A, "+7 (900) 123-45-67", "0079001234567"])
def test_the_conversation_admin_finds_a_patient_by_phone_through_the_blind_index(
    admin_client, conversation_a, conversation_b, term
):
    response = admin_client.get("/admin/conversations/conversationsession/", {"q": term})
    assert listed(response) == [conversation_a]


def test_a_search_that_is_not_a_phone_finds_nothing_in_encrypted_columns(
    admin_client, conversation_a
):
    response = admin_client.get("/admin/conversations/conversationsession/", {"q": "Иван"})
    assert listed(response) == []


def test_staff_cannot_change_a_conversations_phone(admin_client, conversation_a, conversation_b):
    """The phone is the conversation's identity (the webhook finds it by its blind index): the
    change page shows it read-only, and a posted phone, even another patient's, changes nothing."""
    url = f"/admin/conversations/conversationsession/{conversation_a.pk}/change/"
    page = admin_client.get(url)
    assert "patient_phone" not in page.context["adminform"].form.fields
    assert PHONE_A in page.content.decode()
    form = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    inline = {"appointments-TOTAL_FORMS": "0", "appointments-INITIAL_FORMS": "0"}
    response = admin_client.post(url, form | inline | {"patient_phone": PHONE_B, "_save": "Save"})
    assert response.status_code == 302  # saved, the phone left as it was
    conversation_a.refresh_from_db()
    assert conversation_a.patient_phone == PHONE_A


# --- the audit log --------------------------------------------------------------------------------


def test_each_opened_conversation_and_message_is_audited(
    admin_client, admin_user, conversation_a, conversation_b
):
    for session in (conversation_a, conversation_b, conversation_a):
        url = f"/admin/conversations/conversationsession/{session.pk}/change/"
        assert admin_client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    message = conversation_b.messages.get()
    assert admin_client.get(f"/admin/conversations/message/{message.pk}/change/").status_code == 200

    opened = audit_rows("view_conversation")
    assert opened == [
        ("admin", "conversation", str(conversation_a.pk), "success"),
        ("admin", "conversation", str(conversation_b.pk), "success"),
        ("admin", "conversation", str(conversation_a.pk), "success"),
    ]
    assert AuditEvent.objects.filter(action="view_conversation").first().source_ip == "10.1.2.3"
    assert audit_rows("view_message") == [("admin", "message", str(message.pk), "success")]
    # Lists are not audited as views, and nothing audited carries PHI.
    admin_client.get("/admin/conversations/conversationsession/")
    assert AuditEvent.objects.filter(action="view_conversation").count() == 3
    dumped = repr(list(AuditEvent.objects.values()))
    for phi in (PHONE_A, PHONE_B, NAME_A, NAME_B, TEXT_A):
        assert phi not in dumped
    assert verify_chain().ok


def test_a_price_edit_is_audited_with_the_old_and_new_price(admin_client, clinic):
    service = Service.objects.filter(clinic=clinic).order_by("code").first()
    old_price = service.price
    new_price = old_price + Decimal("100.00")
    response = admin_client.post(
        f"/admin/pricing/service/{service.pk}/change/",
        {
            "clinic": clinic.pk,
            "code": service.code,
            "names": json_text(service.names),
            "aliases": json_text(service.aliases),
            "price": str(new_price),
            "currency": service.currency,
            "duration_minutes": service.duration_minutes or "",
            "active": "on" if service.active else "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="change_price")
    assert (event.actor, event.object_type, event.object_id) == (
        "admin",
        "service",
        str(service.pk),
    )
    assert event.details == {
        "code": service.code,
        "old_price": str(old_price),
        "new_price": str(new_price),
        "clinic": service.clinic_id,
    }
    # Saving again without a price change writes nothing more.
    admin_client.post(
        f"/admin/pricing/service/{service.pk}/change/",
        {
            "clinic": clinic.pk,
            "code": service.code,
            "names": json_text(service.names),
            "aliases": json_text(service.aliases),
            "price": str(new_price),
            "currency": service.currency,
            "duration_minutes": service.duration_minutes or "",
            "active": "on" if service.active else "",
        },
    )
    assert AuditEvent.objects.filter(action="change_price").count() == 1


def json_text(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_take_over_and_release_are_audited(admin_client, conversation_a, conversation_b):
    url = "/admin/conversations/conversationsession/"
    selected = [conversation_a.pk, conversation_b.pk]
    admin_client.post(url, {"action": "take_over", "_selected_action": selected})
    admin_client.post(url, {"action": "release_to_bot", "_selected_action": [conversation_a.pk]})
    assert sorted(audit_rows("take_over")) == sorted(
        ("admin", "conversation", str(pk), "success") for pk in selected
    )
    assert audit_rows("release") == [("admin", "conversation", str(conversation_a.pk), "success")]
    conversation_b.refresh_from_db()
    assert conversation_b.control == ConversationSession.Control.STAFF


# --- per-clinic staff -----------------------------------------------------------------------------


def test_a_clinic_staff_user_sees_only_their_clinics_rows(
    staff_client, clinic, other_clinic, conversation_a, conversation_b
):
    assert listed(staff_client.get("/admin/conversations/conversationsession/")) == [conversation_a]
    assert listed(staff_client.get("/admin/conversations/message/")) == list(
        conversation_a.messages.all()
    )
    assert listed(staff_client.get("/admin/conversations/clinic/")) == [clinic]
    services = listed(staff_client.get("/admin/pricing/service/"))
    assert services and {s.clinic_id for s in services} == {clinic.pk}
    page = staff_client.get("/admin/conversations/conversationsession/").content.decode()
    assert other_clinic.name not in page  # not even in the clinic filter


def test_a_clinic_staff_user_cannot_open_another_clinics_conversation(
    staff_client, conversation_a, conversation_b
):
    url = f"/admin/conversations/conversationsession/{conversation_b.pk}/change/"
    response = staff_client.get(url)
    assert response.status_code in (302, 404)
    assert PHONE_B not in response.content.decode()
    message = conversation_b.messages.get()
    response = staff_client.get(f"/admin/conversations/message/{message.pk}/change/")
    assert response.status_code in (302, 404)
    # Their own clinic's conversation opens; every attempt is audited.
    own = staff_client.get(f"/admin/conversations/conversationsession/{conversation_a.pk}/change/")
    assert own.status_code == 200
    assert audit_rows("view_conversation") == [
        ("alice", "conversation", str(conversation_b.pk), "denied"),
        ("alice", "conversation", str(conversation_a.pk), "success"),
    ]
    assert audit_rows("view_message") == [("alice", "message", str(message.pk), "denied")]
    # An object that does not exist at all is not an access to audit.
    staff_client.get("/admin/conversations/conversationsession/999999/change/")
    staff_client.get("/admin/conversations/conversationsession/not-a-number/change/")
    assert AuditEvent.objects.filter(action="view_conversation").count() == 2


def test_a_clinic_staff_user_cannot_act_on_another_clinics_conversation(
    staff_client, conversation_b
):
    staff_client.post(
        "/admin/conversations/conversationsession/",
        {"action": "take_over", "_selected_action": [conversation_b.pk]},
    )
    conversation_b.refresh_from_db()
    assert conversation_b.control == ConversationSession.Control.BOT
    assert not AuditEvent.objects.filter(action="take_over").exists()


def test_foreign_key_choices_are_limited_to_the_users_clinics(
    staff_client, clinic, other_clinic, conversation_b
):
    # A follow-up cannot be attached to another clinic's conversation.
    response = staff_client.get("/admin/followups/followup/add/")
    if response.status_code == 200:  # the add permission may be withheld
        field = response.context["adminform"].form.fields["conversation"]
        assert conversation_b not in field.queryset
    service = Service.objects.filter(clinic=clinic).first()
    response = staff_client.get(f"/admin/pricing/service/{service.pk}/change/")
    field = response.context["adminform"].form.fields["clinic"]
    assert list(field.queryset) == [clinic]
    assert not FollowUp.objects.exists()


def test_a_superuser_sees_every_clinic(admin_client, conversation_a, conversation_b):
    rows = listed(admin_client.get("/admin/conversations/conversationsession/"))
    assert set(rows) == {conversation_a, conversation_b}


# --- sign-in hardening ----------------------------------------------------------------------------


def test_five_failed_sign_ins_lock_the_account_out_and_are_audited(client, staff_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "alice", "password": "wrong guess"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # to the sign-in page
    lockouts = audit_rows("lockout")
    assert lockouts and lockouts[0] == ("alice", "auth.User", "", "denied")
    assert AuditEvent.objects.filter(action="login").count() == 0
    assert verify_chain().ok


def test_a_successful_sign_in_resets_the_failure_count(client, staff_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/admin/login/", {"username": "alice", "password": "wrong guess"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 302
    client.post("/admin/logout/")
    client.post("/admin/login/", {"username": "alice", "password": "wrong guess"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert not audit_rows("lockout")


def test_staff_sessions_end_after_fifteen_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
