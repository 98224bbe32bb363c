"""The admin: clinics, conversations, messages, metrics and LLM models.

PHI: phones, names and message texts are encrypted at rest and shown decrypted only on a change
page, whose every opening is audited (security.audit); lists show masked phones. A staff user
sees only their clinics (conversations.staff_scope). A message's file (an image, a document, a
voice note) stays with the gateway: staff open it through clinicbot (MessageAdmin.media_view),
each opening audited, never through the gateway's address.
"""

import io
import re
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from appointments.console import PatientAppointmentsInline
from channels import registry
from channels.base import MEDIA_FETCH_MAX_S, FetchedMedia, MediaKind
from channels.registry import kinds
from clinicbot.runtime import aio
from conversations import selectors
from conversations.dashboard import SLOW_MS, connection_line, dashboard_figures
from conversations.decide import QUESTION_FOR_STAFF, URGENT, VOICE_NOT_TRANSCRIBED
from conversations.models import (
    Clinic,
    ConversationSession,
    LLMModel,
    Message,
    MessageMetric,
    phone_index_candidates,
)
from conversations.phones import mask_phone
from conversations.services.control import conversation_set_control
from conversations.services.staff_messages import staff_message_send, staff_message_token
from conversations.staff_scope import ClinicScopedAdmin, scoped, sees_every_clinic
from conversations.svg_chart import latency_chart
from followups.models import FollowUp
from followups.selectors import followup_counts
from security.audit import audit_record
from security.signals import source_ip

# A search term that is a phone number: digits with the usual separators, at least 6 digits.
PHONE_TERM = re.compile(r"\+?[\d\s().-]+(@s\.whatsapp\.net)?")
MIN_PHONE_DIGITS = 6


def looks_like_phone(term: str) -> bool:
    return bool(PHONE_TERM.fullmatch(term)) and sum(c.isdigit() for c in term) >= MIN_PHONE_DIGITS


def audit_admin(
    request, *, action: str, object_type: str, object_id, clinic_id, outcome: str = "success"
) -> None:
    audit_record(
        actor=request.user.get_username(),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        outcome=outcome,
        source_ip=source_ip(request),
        clinic_id=clinic_id,
    )


class AuditedViewAdmin(ClinicScopedAdmin):
    """Opening an object's change page (where PHI is shown decrypted) writes `audit_action`."""

    audit_action = ""
    audit_object_type = ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            audit_admin(
                request,
                action=self.audit_action,
                object_type=self.audit_object_type,
                object_id=obj.pk,
                clinic_id=obj.clinic_id,
            )
        elif obj is None and (clinic_id := self._clinic_elsewhere(unquote(object_id))):
            # Another clinic's object: "not found" for the user, a denied access in the log,
            # where that clinic's staff see it.
            audit_admin(
                request,
                action=self.audit_action,
                object_type=self.audit_object_type,
                object_id=unquote(object_id),
                clinic_id=clinic_id,
                outcome="denied",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _clinic_elsewhere(self, object_id: str) -> int | None:
        """The clinic of an object this user's queryset does not show, if it exists at all."""
        try:
            rows = self.model._default_manager.filter(pk=object_id)
            return rows.values_list("clinic_id", flat=True).first()
        except (ValueError, ValidationError):
            return None


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    list_display = [
        "name",
        "slug",
        "channel_kind",
        "whatsapp_instance",
        "default_language",
        "timezone",
        "connection",
    ]
    list_filter = ["default_language", "channel_kind"]
    search_fields = ["name", "slug", "whatsapp_instance", "external_org_id"]
    # The connection is what the gateway reports (connection.update), not staff's to edit.
    readonly_fields = [
        "connection",
        "connection_state",
        "connection_reason",
        "connection_changed_at",
        "created_at",
        "updated_at",
    ]
    filter_horizontal = ["staff"]

    @admin.display(description=_("WhatsApp connection"))
    def connection(self, clinic):
        line = connection_line(clinic)
        if line.down:
            return format_html('<strong style="color: #ba2121">{}</strong>', line.text)
        return line.text

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "channel_kind":
            # The channels clinicbot speaks are a registry, not a database table.
            return forms.ChoiceField(
                choices=[(kind, kind) for kind in kinds()], label=_("Channel"), required=True
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Only a superuser assigns staff to clinics.
        return readonly if sees_every_clinic(request.user) else [*readonly, "staff"]


class WaitingFilter(admin.SimpleListFilter):
    title = _("waiting for staff")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(waiting=self.value() == "yes")
        return queryset


class AttentionFilter(admin.SimpleListFilter):
    """Conversations flagged for staff (a voice note the bot could not transcribe...)."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(attention="")
        if self.value() == "no":
            return queryset.filter(attention="")
        return queryset


@admin.register(ConversationSession)
class ConversationSessionAdmin(AuditedViewAdmin):
    """The inbox: waiting-for-staff first, then newest activity; a conversation's page shows its
    messages and lets staff take over, write to the patient and release it to the bot."""

    audit_action = "view_conversation"
    audit_object_type = "conversation"
    change_list_template = "admin/conversations/conversationsession/change_list.html"
    change_form_template = "admin/conversations/conversationsession/change_form.html"
    list_display = [
        "patient",
        "clinic",
        "language",
        "last_message",
        "in_control",
        "needs_attention",
        "status",
        "activity",
    ]
    list_display_links = ["patient"]
    list_filter = [
        WaitingFilter,
        AttentionFilter,
        "control",
        "status",
        "language",
        ("clinic", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["clinic"]
    list_per_page = 50
    # Encrypted columns cannot be searched: a phone number is found through its blind index
    # (get_search_results); nothing else is searchable.
    search_fields = ["patient_phone_index"]
    search_help_text = _("A patient's phone number, in any format.")
    ordering = ["-last_inbound_at"]
    raw_id_fields = ["clinic"]
    exclude = ["patient_phone_index"]
    # The phone is the conversation's identity (the webhook finds it through its blind index, one
    # conversation per phone and channel): never edited by staff. Control changes only through
    # the actions: they also update the request path's state.
    readonly_fields = [
        "patient_phone",
        "clinic",
        "channel",
        "control",
        "control_changed_at",
        "created_at",
        "updated_at",
        "last_inbound_at",
        "attention",
        "attention_at",
    ]

    actions = ["take_over", "release_to_bot", "attention_clear"]
    # The patient's appointments, read only (changed in the calendar); shown to staff who may
    # view appointments.
    inlines = [PatientAppointmentsInline]

    def get_queryset(self, request):
        return selectors.inbox(super().get_queryset(request))

    def get_ordering(self, request):
        return [F("waiting").desc(), F("last_activity").desc(nulls_last=True), "-pk"]

    @admin.display(description=_("patient"))
    def patient(self, session):
        name = session.patient_name
        masked = mask_phone(session.patient_phone)
        return f"{masked} · {name}" if name else masked

    @admin.display(description=_("last message"))
    def last_message(self, session):
        if session.last_direction is None:
            return "—"
        arrow = "←" if session.last_direction == Message.Direction.INBOUND else "→"
        return f"{arrow} {Truncator(session.last_text or '').chars(LAST_MESSAGE_CHARS)}"

    @admin.display(description=_("in control"), ordering="control")
    def in_control(self, session):
        if session.waiting:
            return format_html('<strong class="waiting">{}</strong>', _("staff · waiting"))
        return session.get_control_display()

    @admin.display(description=_("needs attention"), ordering="attention_at")
    def needs_attention(self, session):
        if not session.attention:
            return ""
        return format_html(
            '<strong class="attention">{}</strong>',
            ATTENTION_REASONS.get(session.attention, session.attention),
        )

    @admin.action(
        description=_("Clear the attention flag: staff have seen to it"), permissions=["change"]
    )
    def attention_clear(self, request, queryset):
        flagged = list(queryset.exclude(attention="").values_list("pk", "clinic_id"))
        ConversationSession.objects.filter(pk__in=[pk for pk, _ in flagged]).update(
            attention="", attention_at=None
        )
        for pk, clinic_id in flagged:
            audit_admin(
                request,
                action="clear_attention",
                object_type="conversation",
                object_id=pk,
                clinic_id=clinic_id,
            )
        count = len(flagged)
        self.message_user(
            request,
            ngettext(
                "%(count)d conversation: attention flag cleared.",
                "%(count)d conversations: attention flag cleared.",
                count,
            )
            % {"count": count},
        )

    @admin.display(description=_("last activity"), ordering="last_activity")
    def activity(self, session):
        return session.last_activity

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if looks_like_phone(term):
            return queryset.filter(patient_phone_index__in=phone_index_candidates(term)), False
        return queryset.none(), False

    @admin.action(description=_("Take over: the bot stays silent in these conversations"))
    def take_over(self, request, queryset):
        self._set_control(request, queryset, ConversationSession.Control.STAFF)

    @admin.action(description=_("Release to the bot"))
    def release_to_bot(self, request, queryset):
        self._set_control(request, queryset, ConversationSession.Control.BOT)

    def _set_control(self, request, queryset, control):
        sessions = list(queryset.select_related("clinic"))
        for session in sessions:
            self._control_one(request, session, control)
        done = (
            ngettext(
                "%(count)d conversation: staff in control.",
                "%(count)d conversations: staff in control.",
                len(sessions),
            )
            if control == ConversationSession.Control.STAFF
            else ngettext(
                "%(count)d conversation: bot in control.",
                "%(count)d conversations: bot in control.",
                len(sessions),
            )
        )
        self.message_user(request, done % {"count": len(sessions)})

    def _control_one(self, request, session, control):
        conversation_set_control(session=session, control=control)
        action = "take_over" if control == ConversationSession.Control.STAFF else "release"
        audit_admin(
            request,
            action=action,
            object_type="conversation",
            object_id=session.pk,
            clinic_id=session.clinic_id,
        )

    # --- the conversation page ----------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context |= {
                "thread": selectors.conversation_thread(obj),
                "thread_limit": selectors.THREAD_LIMIT,
                "file_kinds": FILE_KINDS,
                "send_token": staff_message_token(),
                "can_act": self.has_change_permission(request, obj),
                "dashboard_url": reverse("admin:conversations_messagemetric_dashboard"),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        pulse = selectors.inbox_pulse(scoped(ConversationSession.objects.all(), request.user))
        live = {
            "pulse": pulse,
            "pulse_url": reverse("admin:conversations_conversationsession_pulse"),
            "pulse_every_ms": PULSE_EVERY_MS,
        }
        titled = {"title": _("Conversations")}
        return super().changelist_view(request, titled | live | (extra_context or {}))

    def pulse_view(self, request):
        """The open inbox's poll (inbox.js): the count waiting for staff and a version of the
        inbox; when the version changes the page fetches its own rows again. No PHI, so not
        audited (selectors.inbox_pulse)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        pulse = selectors.inbox_pulse(scoped(ConversationSession.objects.all(), request.user))
        response = JsonResponse(pulse)
        add_never_cache_headers(response)
        return response

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "conversations_conversationsession"
        return [
            path("pulse/", view(self.pulse_view), name=f"{name}_pulse"),
            path(
                "<path:object_id>/take-over/", view(self.take_over_view), name=f"{name}_take_over"
            ),
            path("<path:object_id>/release/", view(self.release_view), name=f"{name}_release"),
            path("<path:object_id>/send/", view(self.send_view), name=f"{name}_send"),
            *super().get_urls(),
        ]

    def _acted_on(self, request, object_id):
        """The conversation a console action is about, if this user may change it."""
        if request.method != "POST":
            raise PermissionDenied
        session = self.get_object(request, unquote(object_id))
        if session is None:
            raise Http404(_("No such conversation."))
        if not self.has_change_permission(request, session):
            raise PermissionDenied
        return session

    def _back(self, session):
        return redirect(
            reverse("admin:conversations_conversationsession_change", args=[session.pk])
        )

    def take_over_view(self, request, object_id):
        session = self._acted_on(request, object_id)
        self._control_one(request, session, ConversationSession.Control.STAFF)
        self.message_user(request, _("You are in control: the bot stays silent here."))
        return self._back(session)

    def release_view(self, request, object_id):
        session = self._acted_on(request, object_id)
        self._control_one(request, session, ConversationSession.Control.BOT)
        self.message_user(request, _("Released: the bot answers this patient again."))
        return self._back(session)

    def send_view(self, request, object_id):
        session = self._acted_on(request, object_id)
        text = request.POST.get("text", "").strip()
        token = request.POST.get("token", "")
        if not text or len(text) > MAX_STAFF_TEXT or not STAFF_TOKEN.fullmatch(token):
            self.message_user(request, _("Write a message (at most 4,096 characters)."), "error")
            return self._back(session)
        if staff_message_send(session=session, text=text, token=token):
            audit_admin(
                request,
                action="send_message",
                object_type="conversation",
                object_id=session.pk,
                clinic_id=session.clinic_id,
            )
            self.message_user(request, _("Message queued for the patient; the bot stays silent."))
        else:
            self.message_user(request, _("This message was sent already."), "warning")
        return self._back(session)


LAST_MESSAGE_CHARS = 60
# The reasons a conversation is flagged for staff, as the inbox names them.
ATTENTION_REASONS = {
    URGENT: _("urgent"),
    QUESTION_FOR_STAFF: _("question for staff"),
    VOICE_NOT_TRANSCRIBED: _("voice note not transcribed"),
}
# How often the open inbox asks whether anything changed: a patient waits seconds, not minutes,
# and a poll costs two indexed queries.
PULSE_EVERY_MS = 5000
MAX_STAFF_TEXT = 4096
STAFF_TOKEN = re.compile(r"[0-9a-f]{32}")


# The kinds of media whose file the gateway keeps, for staff to open.
FILE_KINDS = frozenset(
    {
        MediaKind.IMAGE,
        MediaKind.VIDEO,
        MediaKind.AUDIO,
        MediaKind.VOICE,
        MediaKind.DOCUMENT,
        MediaKind.STICKER,
    }
)
# Shown in the page: images a browser draws without running anything (no SVG, which can hold
# scripts). Everything else is sandboxed, and all but sound and video downloaded.
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
SANDBOX_CSP = "sandbox; default-src 'none'; media-src 'self'; frame-ancestors 'none'"


class MediaUnavailable(Exception):
    """Staff may open the message's file, but there is none to give: the reason is shown."""

    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.status = status


@admin.register(Message)
class MessageAdmin(AuditedViewAdmin):
    audit_action = "view_message"
    audit_object_type = "message"

    list_display = [
        "id",
        "clinic",
        "session_id",
        "direction",
        "intent",
        "lane",
        "delivery_status",
        "received_at",
    ]
    list_filter = [
        "direction",
        "lane",
        "intent",
        "delivery_status",
        ("clinic", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["clinic"]
    raw_id_fields = ["clinic", "session", "reply_to"]
    readonly_fields = ["created_at", "media_file"]
    date_hierarchy = "received_at"
    # A row per message: a filtered page must not count the whole table as well.
    show_full_result_count = False

    @admin.display(description=_("file"))
    def media_file(self, message):
        if message.pk is None or not has_file(message):
            return "—"
        url = reverse("admin:conversations_message_media", args=[message.pk])
        return format_html('<a href="{}">{}</a>', url, _("open the file"))

    def get_urls(self):
        media = self.admin_site.admin_view(self.media_view)
        return [
            path("<path:object_id>/media/", media, name="conversations_message_media"),
            *super().get_urls(),
        ]

    def media_view(self, request, object_id):
        """The message's file, fetched from the gateway now and passed on to staff of its
        clinic; every opening, refused or failed, is audited (who and which message, never
        what the file holds)."""
        message = self._media_message(request, unquote(object_id))
        try:
            fetched = _fetched_file(message)
        except MediaUnavailable as problem:
            self._audit_media(request, message.pk, message.clinic_id, "failure")
            return _media_error(request, self, message, str(problem), problem.status)
        self._audit_media(request, message.pk, message.clinic_id, "success")
        return _file_response(message, fetched)

    def _media_message(self, request, object_id: str) -> Message:
        """The message, if this user may see it; another clinic's is "not found" (and a denied
        access in that clinic's log)."""
        message = self.get_object(request, object_id)
        if message is None:
            if clinic_id := self._clinic_elsewhere(object_id):
                self._audit_media(request, object_id, clinic_id, "denied")
            raise Http404(_("No such message."))
        if not self.has_view_permission(request, message):
            self._audit_media(request, message.pk, message.clinic_id, "denied")
            raise PermissionDenied
        return message

    def _audit_media(self, request, object_id, clinic_id, outcome: str) -> None:
        audit_admin(
            request,
            action="view_media",
            object_type="message",
            object_id=object_id,
            clinic_id=clinic_id,
            outcome=outcome,
        )


def has_file(message: Message) -> bool:
    return message.media_kind in FILE_KINDS and message.deleted_at is None


def _fetched_file(message: Message) -> FetchedMedia:
    if message.deleted_at is not None:
        raise MediaUnavailable(_("The patient deleted this message."), 410)
    if message.media_kind not in FILE_KINDS:
        raise MediaUnavailable(_("This message has no file."), 404)
    channel = registry.channel(message.clinic.channel_kind)
    if not hasattr(channel, "fetch_media"):
        raise MediaUnavailable(_("This clinic's channel keeps no files."), 404)
    fetching = channel.fetch_media(
        instance=message.clinic.whatsapp_instance, message_id=message.wa_message_id
    )
    try:
        fetched = aio.run(fetching, timeout=MEDIA_FETCH_MAX_S)
    except TimeoutError:
        fetched = None
    if fetched is None:
        raise MediaUnavailable(
            _(
                "The WhatsApp gateway could not give this file now: it may be unreachable, or "
                "the file may no longer be on WhatsApp's servers. Try again later."
            ),
            502,
        )
    return fetched


def _file_response(message: Message, fetched: FetchedMedia) -> FileResponse:
    image = fetched.mime_type in INLINE_IMAGES
    playable = fetched.mime_type.startswith(("audio/", "video/"))
    response = FileResponse(
        io.BytesIO(fetched.data),
        content_type=fetched.mime_type,
        as_attachment=not (image or playable) or message.media_kind == MediaKind.DOCUMENT,
        filename=fetched.file_name or f"message-{message.pk}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    if not image:
        # A file the patient chose could be a page with scripts: it never runs as this site.
        response["Content-Security-Policy"] = SANDBOX_CSP
    add_never_cache_headers(response)
    return response


def _media_error(request, model_admin, message: Message, reason: str, status: int):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("The file cannot be opened"),
        "reason": reason,
        "conversation_url": reverse(
            "admin:conversations_conversationsession_change", args=[message.session_id]
        ),
    }
    response = TemplateResponse(
        request, "admin/conversations/message/media_error.html", context, status=status
    )
    add_never_cache_headers(response)
    return response


@admin.register(MessageMetric)
class MessageMetricAdmin(ClinicScopedAdmin):
    """Per-message timings, and the dashboard built from them (conversations.dashboard)."""

    change_list_template = "admin/conversations/messagemetric/change_list.html"
    list_display = ["message_id", "clinic", "lane", "intent", "total_ms", "send_ms", "created_at"]
    list_filter = ["lane", "intent", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic"]
    raw_id_fields = ["message", "clinic"]
    date_hierarchy = "created_at"
    # A row per reply: a filtered page must not count the whole table as well.
    show_full_result_count = False

    def get_urls(self):
        dashboard = self.admin_site.admin_view(self.dashboard_view)
        return [
            path("dashboard/", dashboard, name="conversations_messagemetric_dashboard"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        clinics = scoped(Clinic.objects.all(), request.user)
        chosen = (
            clinics.filter(pk=request.GET["clinic"]).first() if _clinic_param(request) else None
        )
        visible = list(clinics)
        metrics = scoped(MessageMetric.objects.all(), request.user)
        messages = scoped(Message.objects.all(), request.user)
        followups = scoped(FollowUp.objects.all(), request.user)
        if chosen is not None:
            metrics = metrics.filter(clinic=chosen)
            messages = messages.filter(clinic=chosen)
            followups = followups.filter(conversation__clinic=chosen)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Dashboard"),
            "clinics": visible,
            "chosen": chosen,
            **self._figures(metrics, messages, followups, [chosen] if chosen else visible),
        }
        return TemplateResponse(request, "admin/conversations/dashboard.html", context)

    def _figures(self, metrics, messages, followups, clinics) -> dict:
        """The metrics' figures, the replies given up and the follow-ups: each app's selectors,
        put side by side."""
        figures = dashboard_figures(metrics)
        end = figures["now"]
        charts = [
            (_("24 h"), latency_chart(figures["hourly"], end=end, hours=24, title=_("24 h"))),
            (_("7 days"), latency_chart(figures["hourly"], end=end, hours=168, title=_("7 days"))),
        ]
        week = end - timedelta(days=7)
        return figures | {
            "charts": charts,
            "slow_ms": SLOW_MS,
            "undelivered": selectors.undelivered_replies(messages, week),
            "unstorable": selectors.unstorable_messages(clinics, week),
            "followups": followup_counts(followups, end),
            "connections": [connection_line(clinic) for clinic in clinics],
        }


def _clinic_param(request) -> bool:
    return request.GET.get("clinic", "").isdigit()


@admin.register(LLMModel)
class LLMModelAdmin(admin.ModelAdmin):
    """Model capabilities. The measured figures may stay empty; workers see an edit within a
    minute (conversations.llm.capabilities caches the rows for 60 s)."""

    list_display = [
        "name",
        "provider",
        "active",
        "rank",
        "supports_tools",
        "supports_streaming",
        "context_window",
        "max_output_tokens",
        "p95_latency_ms",
    ]
    list_editable = ["active", "rank"]
    list_filter = ["active", "provider", "supports_tools", "supports_streaming"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["provider", "name", "active", "rank"]}),
        (
            _("Capabilities"),
            {
                "fields": [
                    "context_window",
                    "max_output_tokens",
                    "supports_tools",
                    "supports_streaming",
                ]
            },
        ),
        (
            _("Prices per million tokens"),
            {"fields": ["input_price_per_mtok", "output_price_per_mtok"]},
        ),
        (
            _("Measured (optional)"),
            {"fields": ["avg_output_tokens_per_s", "avg_ttft_ms", "p95_latency_ms"]},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]
