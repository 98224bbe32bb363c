"""The calendar's rows in the admin: providers, closures and booking rules come from the clinic
file and are shown here; appointments are read here (with their history) and changed through
appointments.services, never by editing a row, so that a change keeps the calendar's rules.

Staff change appointments in the calendar (appointments.console): a day or a week of the
clinic's providers, and the forms that book, move and cancel.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from appointments.console import (
    BookForm,
    CancelForm,
    MoveForm,
    Refused,
    audit,
    calendar_grid,
    local_day,
    recent_conversations,
    span_of,
    staff_book,
    staff_cancel,
    staff_move,
)
from appointments.models import Appointment, AppointmentChange, BookingRules, Closure, Provider
from appointments.services.calendar import calendar_of
from clinicbot.runtime import clock
from conversations.models import Clinic
from conversations.staff_scope import ClinicScopedAdmin, scoped
from security.admin_base import ReadOnlyAdmin
from security.models import AuditAction

CALENDAR = "admin:appointments_appointment_calendar"


class ReadOnlyScopedAdmin(ReadOnlyAdmin, ClinicScopedAdmin):
    """Read only, and one clinic's rows for its staff. These lists are short: keep the count."""

    show_full_result_count = True


@admin.register(Provider)
class ProviderAdmin(ReadOnlyScopedAdmin):
    list_display = ["code", "__str__", "clinic", "services", "active"]
    list_filter = ["active", ("clinic", admin.RelatedOnlyFieldListFilter)]


@admin.register(Closure)
class ClosureAdmin(ReadOnlyScopedAdmin):
    list_display = ["first_day", "last_day", "provider", "clinic", "reason"]
    list_filter = [("clinic", admin.RelatedOnlyFieldListFilter)]


@admin.register(BookingRules)
class BookingRulesAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "clinic",
        "min_notice_minutes",
        "horizon_days",
        "slot_step_minutes",
        "reminders_before_minutes",
    ]


class ChangeInline(admin.TabularInline):
    model = AppointmentChange
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "at",
        "action",
        "actor",
        "old_status",
        "new_status",
        "old_starts_at",
        "new_starts_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyScopedAdmin):
    """Read only as rows; changed from the calendar, whose forms need the model's add (book) and
    change (move, cancel) permissions."""

    change_list_template = "appointments/appointment_change_list.html"
    list_display = ["starts_at", "ends_at", "provider", "service", "status", "source", "clinic"]
    list_filter = ["status", "source", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["provider", "service", "clinic"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["conversation"]
    inlines = [ChangeInline]

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "appointments_appointment"
        return [
            path("calendar/", view(self.calendar_view), name=f"{name}_calendar"),
            path("calendar/book/", view(self.book_view), name=f"{name}_book"),
            path("<path:object_id>/move/", view(self.move_view), name=f"{name}_move"),
            path("<path:object_id>/cancel/", view(self.cancel_view), name=f"{name}_cancel"),
            *super().get_urls(),
        ]

    def may_book(self, request) -> bool:
        return request.user.has_perm("appointments.add_appointment")

    def may_change(self, request) -> bool:
        return request.user.has_perm("appointments.change_appointment")

    # --- the page -------------------------------------------------------------------------------
    def calendar_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._page(request, calendar_of(self._clinic(request)))

    def _clinic(self, request) -> Clinic:
        """The clinic asked for, or the user's first; another clinic's is "not found"."""
        clinics = scoped(Clinic.objects.order_by("name"), request.user)
        asked = request.GET.get("clinic", "")
        clinic = clinics.filter(pk=asked).first() if asked.isdigit() else clinics.first()
        if clinic is None:
            raise Http404(_("No such clinic."))
        return clinic

    def _page(self, request, cal, *, book_form=None, move_form=None, selected=None):
        now = clock.now()
        span = span_of(request.GET, cal.clinic.pk, now.astimezone(cal.tz).date())
        selected = selected or self._selected(request, cal)
        if book_form is None and self.may_book(request):
            book_form = BookForm(cal=cal, initial=_book_initial(request, span))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Calendar · %(clinic)s") % {"clinic": cal.clinic},
            "clinic": cal.clinic,
            "clinics": scoped(Clinic.objects.order_by("name"), request.user),
            "providers": list(cal.providers.values()),
            "span": span,
            "span_query": span.query(),
            "earlier": span.step(-1),
            "later": span.step(1),
            "today_query": span.query(day=now.astimezone(cal.tz).date().isoformat()),
            "day_query": span.query(span="day"),
            "week_query": span.query(span="week"),
            "grid": calendar_grid(cal, span, now),
            "book_form": book_form,
            "recent": recent_conversations(cal.clinic) if book_form else [],
            "selected": selected,
            **self._selected_forms(request, cal, selected, move_form),
        }
        return TemplateResponse(request, "appointments/calendar.html", context)

    def _selected(self, request, cal):
        asked = request.GET.get("selected", "")
        if not asked.isdigit():
            return None
        found = self.get_queryset(request).filter(clinic=cal.clinic, pk=asked)
        return found.select_related("service", "provider").first()

    def _selected_forms(self, request, cal, selected, move_form) -> dict:
        if selected is None or not self.may_change(request):
            return {}
        movable = selected.status in (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED)
        return {
            "move_form": (move_form or MoveForm.of(selected, cal)) if movable else None,
            "cancel_form": CancelForm() if selected.is_active else None,
        }

    # --- the changes ----------------------------------------------------------------------------
    def book_view(self, request):
        if request.method != "POST" or not self.may_book(request):
            raise PermissionDenied
        cal = calendar_of(self._clinic(request))
        form = BookForm(request.POST, cal=cal)
        if not form.is_valid():
            return self._page(request, cal, book_form=form)
        try:
            done = staff_book(request, form)
        except Refused as refusal:
            conversation = form.cleaned_data["conversation"]
            self._refused(request, refusal, AuditAction.BOOK_APPOINTMENT, "", conversation.pk)
            return self._page(request, cal, book_form=form)
        return self._done(request, done)

    def move_view(self, request, object_id):
        appointment = self._acted_on(request, object_id, AuditAction.MOVE_APPOINTMENT)
        cal = calendar_of(appointment.clinic)
        form = MoveForm(request.POST, cal=cal)
        try:
            if form.is_valid():
                return self._done(request, staff_move(request, appointment, form))
        except Refused as refusal:
            self._refused(request, refusal, AuditAction.MOVE_APPOINTMENT, *_ids(appointment))
        return self._page(request, cal, move_form=form, selected=appointment)

    def cancel_view(self, request, object_id):
        appointment = self._acted_on(request, object_id, AuditAction.CANCEL_APPOINTMENT)
        form = CancelForm(request.POST)
        try:
            if form.is_valid():
                return self._done(request, staff_cancel(request, appointment, form))
        except Refused as refusal:
            self._refused(request, refusal, AuditAction.CANCEL_APPOINTMENT, *_ids(appointment))
        return self._page(request, calendar_of(appointment.clinic), selected=appointment)

    def _acted_on(self, request, object_id, action) -> Appointment:
        """The appointment a calendar form changes, if this user may change it."""
        if request.method != "POST" or not self.may_change(request):
            raise PermissionDenied
        appointment = self.get_object(request, unquote(object_id))
        if appointment is None:
            if str(object_id).isdigit() and Appointment.objects.filter(pk=object_id).exists():
                # Another clinic's appointment: "not found" for the user, a denial in the log.
                audit(request, action, object_id, None, "denied")
            raise Http404(_("No such appointment."))
        return appointment

    def _refused(self, request, refusal, action, object_id, conversation_id) -> None:
        # Nothing changed, but the attempt is part of the appointment's story.
        audit(request, action, object_id, conversation_id, "failure")
        self.message_user(request, str(refusal), messages.ERROR)

    def _done(self, request, done):
        level = messages.WARNING if done.repeated else messages.SUCCESS
        self.message_user(request, done.news, level)
        appointment = done.appointment
        day = local_day(appointment)
        span = span_of(request.GET, appointment.clinic_id, day)
        # Shown where it is now: its day, and its provider's column when one is picked.
        provider = appointment.provider.code if span.provider or span.week else ""
        query = span.query(day=day.isoformat(), provider=provider, selected=appointment.pk)
        return redirect(f"{reverse(CALENDAR)}?{query}")


def _ids(appointment) -> tuple[int, int]:
    return appointment.pk, appointment.conversation_id


def _book_initial(request, span) -> dict:
    """A booking form for the day shown (and the patient whose page linked here)."""
    initial = {"day": span.day}
    if request.GET.get("conversation", "").isdigit():
        initial["conversation"] = request.GET["conversation"]
    if span.provider:
        initial["provider"] = span.provider
    return initial
