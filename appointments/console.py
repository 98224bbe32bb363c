"""The staff calendar: a day or a week of a clinic's providers, drawn on the server (no script, no
stylesheet from elsewhere), and the forms through which staff book, move and cancel.

Every change goes through appointments.services.calendar, so the calendar's rules hold for staff
as for the bot: a time another appointment has is refused (SlotTaken) and nothing changes. Staff
are not held to the patient's rules (notice, horizon, the slot grid), only to what the clinic
file says: who performs the service, and when they work.

PHI: the calendar names no patient. A block shows the service and the conversation's number,
linked to the conversation's page, whose every opening is audited; looking at the calendar is
not. Every change is audited, in the change's own transaction, and told to the patient
(appointments.notices) once it is committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from redis.exceptions import RedisError

from appointments import notices, slots
from appointments.models import Appointment, Closure, Provider
from appointments.services import calendar
from appointments.services.calendar import Calendar, NotAllowed, SlotTaken, duration_of
from clinicbot.runtime import clock
from conversations.models import ConversationSession
from conversations.phones import mask_phone
from conversations.services.staff_messages import staff_message_token
from pricing.models import Service
from security.audit import audit_record
from security.models import AuditAction
from security.signals import source_ip

logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)
# An hour is 90 px high: a 15-minute appointment still has room for a line of text.
PX_PER_HOUR = 90
DEFAULT_HOURS = (8, 20)  # the span drawn when nobody works that day
RECENT_CONVERSATIONS = 20
# Staff book at any minute, from now on: the patient's notice, horizon and grid are not theirs.
STAFF_RULES = slots.Rules(min_notice=timedelta(0), horizon_days=1, step_minutes=1)
Status = Appointment.Status


# --- what the page shows --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Span:
    """The page's choice: a clinic, a day or the week around it, all providers or one."""

    clinic_id: int
    day: date
    week: bool
    provider: str  # a provider's code, or "" for all of them (the day view only)

    def days(self) -> list[date]:
        if not self.week:
            return [self.day]
        monday = self.day - timedelta(days=self.day.weekday())
        return [monday + timedelta(days=i) for i in range(7)]

    def query(self, **changes) -> str:
        values = {
            "clinic": self.clinic_id,
            "day": self.day.isoformat(),
            "span": "week" if self.week else "day",
            "provider": self.provider,
        } | changes
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def step(self, sign: int) -> str:
        return self.query(day=(self.day + sign * timedelta(days=7 if self.week else 1)).isoformat())


def span_of(params, clinic_id: int, today: date) -> Span:
    """The span a calendar URL asks for; whatever is missing or malformed is today, every
    provider."""
    try:
        day = date.fromisoformat(params.get("day", ""))
    except ValueError:
        day = today
    return Span(clinic_id, day, params.get("span") == "week", params.get("provider", ""))


@dataclass(frozen=True, slots=True)
class Block:
    appointment: Appointment
    starts: datetime  # clinic-local
    ends: datetime
    top: int  # px from the top of the drawn hours
    height: int


@dataclass(slots=True)
class Column:
    """One provider's day."""

    provider: Provider
    day: date
    hours: str  # the day's hours as the clinic file writes them ("09:00-18:00"), or ""
    closed: str  # why nobody sees patients here today (a closure's reason), or ""
    open: list[tuple[int, int]]  # minutes of the day: working ranges
    taken: list[tuple[Appointment, datetime, datetime]]
    bands: list[tuple[int, int]] = field(default_factory=list)  # (top, height) px
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Grid:
    columns: list[Column]
    hours: list[tuple[str, int]]  # ("09:00", top px) for each hour drawn
    height: int


def calendar_grid(cal: Calendar, span: Span, now: datetime) -> Grid:
    days = span.days()
    providers = [
        p for code, p in cal.providers.items() if not span.provider or code == span.provider
    ]
    if span.week and not span.provider:
        providers = providers[:1]  # a week is one provider's: seven columns are plenty
    taken = _taken(cal, days, now)
    closures = _closures(cal, days)
    columns = [
        _column(cal, provider, day, taken, closures) for provider in providers for day in days
    ]
    first, last = _drawn_hours(columns)
    for column in columns:
        _place(column, first * 60)
    hours = [(f"{hour:02d}:00", (hour - first) * PX_PER_HOUR) for hour in range(first, last)]
    return Grid(columns, hours, (last - first) * PX_PER_HOUR)


def _taken(cal: Calendar, days: list[date], now: datetime) -> list[Appointment]:
    """The appointments that hold a provider's time in those days (an expired hold does not)."""
    start = datetime.combine(days[0], time(0), tzinfo=cal.tz)
    end = datetime.combine(days[-1] + ONE_DAY, time(0), tzinfo=cal.tz)
    return list(
        Appointment.objects.filter(
            clinic=cal.clinic, status__in=Appointment.ACTIVE, starts_at__lt=end, ends_at__gt=start
        )
        .exclude(status=Status.HELD, hold_expires_at__lte=now)
        .select_related("service", "provider")
    )


def _closures(cal: Calendar, days: list[date]) -> list[Closure]:
    return list(
        Closure.objects.filter(
            clinic=cal.clinic, first_day__lte=days[-1], last_day__gte=days[0]
        ).select_related("provider")
    )


def _column(cal, provider, day, taken, closures) -> Column:
    hours = provider.hours.get(slots.WEEKDAYS[day.weekday()]) or ""
    closed = next((_why(c) for c in closures if _closes(c, provider.code, day)), "")
    if not hours and not closed:
        closed = "day off"
    opening = [] if closed else [(_minute(o), _minute(c)) for o, c in slots.parse_hours(hours)]
    midnight = datetime.combine(day, time(0), tzinfo=cal.tz)
    mine = [
        (a, a.starts_at.astimezone(cal.tz), a.ends_at.astimezone(cal.tz))
        for a in taken
        if a.provider.code == provider.code
        and a.starts_at < midnight + ONE_DAY
        and a.ends_at > midnight
    ]
    return Column(provider, day, hours, closed, opening, mine)


def _closes(closure: Closure, code: str, day: date) -> bool:
    whose = closure.provider is None or closure.provider.code == code
    return whose and closure.first_day <= day <= closure.last_day


def _why(closure: Closure) -> str:
    return closure.reason or _("closed")


def _minute(moment: time) -> int:
    return 24 * 60 if moment is slots.END_OF_DAY else moment.hour * 60 + moment.minute


def _day_minutes(column: Column, starts: datetime, ends: datetime) -> tuple[int, int]:
    """An appointment's minutes within the column's day (one running past midnight is cut)."""
    first = 0 if starts.date() < column.day else starts.hour * 60 + starts.minute
    last = 24 * 60 if ends.date() > column.day else ends.hour * 60 + ends.minute
    return first, last


def _drawn_hours(columns: list[Column]) -> tuple[int, int]:
    """The hours drawn: from the earliest opening or appointment to the latest, whole hours."""
    minutes = [m for column in columns for span in column.open for m in span]
    for column in columns:
        for _appointment, starts, ends in column.taken:
            minutes.extend(_day_minutes(column, starts, ends))
    if not minutes:
        return DEFAULT_HOURS
    return min(minutes) // 60, -(-max(minutes) // 60)


def _place(column: Column, origin: int) -> None:
    def px(minutes: int) -> int:
        return round(minutes * PX_PER_HOUR / 60)

    column.bands = [(px(o - origin), px(c - o)) for o, c in column.open]
    for appointment, starts, ends in column.taken:
        first, last = _day_minutes(column, starts, ends)
        column.blocks.append(
            Block(appointment, starts, ends, px(first - origin), max(px(last - first), 14))
        )


def recent_conversations(clinic) -> list[tuple[int, str]]:
    """The clinic's latest conversations for the booking form's list: a number and a masked
    phone (as the inbox shows them), no name."""
    sessions = ConversationSession.objects.filter(clinic=clinic).order_by(
        F("last_inbound_at").desc(nulls_last=True), "-pk"
    )[:RECENT_CONVERSATIONS]
    return [(s.pk, f"#{s.pk} · {mask_phone(s.patient_phone)}") for s in sessions]


def local_day(appointment: Appointment) -> date:
    return appointment.starts_at.astimezone(ZoneInfo(appointment.clinic.timezone)).date()


# --- the forms ------------------------------------------------------------------------------
class TimeForm(forms.Form):
    """A provider and a start, in the clinic's timezone; the token of the patient's notice."""

    prefix = "time"
    provider = forms.ChoiceField(label=gettext_lazy("Provider"))
    day = forms.DateField(
        label=gettext_lazy("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    time = forms.TimeField(
        label=gettext_lazy("Time"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    token = forms.RegexField(r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args, cal: Calendar, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", staff_message_token())
        super().__init__(*args, **kwargs)
        self.cal = cal
        self.fields["provider"].choices = [(code, str(p)) for code, p in cal.providers.items()]

    def start(self) -> datetime:
        data = self.cleaned_data
        return datetime.combine(data["day"], data["time"], tzinfo=self.cal.tz)


class BookForm(TimeForm):
    prefix = "book"
    conversation = forms.IntegerField(
        label=gettext_lazy("Conversation"),
        min_value=1,
        help_text=gettext_lazy("A conversation's number, or one of the latest from the list."),
        widget=forms.TextInput(attrs={"list": "recent-conversations", "inputmode": "numeric"}),
    )
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=Service.objects.none())

    field_order = ["conversation", "service", "provider", "day", "time"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(
            clinic=self.cal.clinic, active=True
        )

    def clean_conversation(self):
        number = self.cleaned_data["conversation"]
        found = ConversationSession.objects.filter(clinic=self.cal.clinic, pk=number).first()
        if found is None:
            raise forms.ValidationError(
                _("%(clinic)s has no conversation #%(number)s.")
                % {"clinic": self.cal.clinic, "number": number}
            )
        return found


class MoveForm(TimeForm):
    prefix = "move"

    @classmethod
    def of(cls, appointment: Appointment, cal: Calendar) -> MoveForm:
        local = appointment.starts_at.astimezone(cal.tz)
        initial = {"provider": appointment.provider.code, "day": local.date(), "time": local.time()}
        return cls(cal=cal, initial=initial)


class CancelForm(forms.Form):
    prefix = "cancel"
    token = forms.RegexField(r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"token": staff_message_token()})
        super().__init__(*args, **kwargs)


# --- the changes ----------------------------------------------------------------------------
class Refused(Exception):
    """Staff asked for a change the calendar does not allow; nothing changed. The message says
    why, naming the clash. (The admin audits the attempt.)"""


@dataclass(frozen=True, slots=True)
class Done:
    appointment: Appointment
    news: str  # what staff are told
    repeated: bool = False  # the same form again: nothing changed, nobody was told


def staff_book(request, form: BookForm) -> Done:
    cal, data = form.cal, form.cleaned_data
    conversation, service, code = data["conversation"], data["service"], data["provider"]
    start = form.start()
    slot = _checked_slot(cal, code, service, start, verb=_("Not booked"))
    try:
        with transaction.atomic():
            appointment = calendar.book(
                calendar=cal,
                conversation=conversation,
                service=service,
                slot=slot,
                source=Appointment.Source.STAFF,
                actor=request.user,
            )
            audit(request, AuditAction.BOOK_APPOINTMENT, appointment.pk, conversation.pk)
    except SlotTaken:
        clash = _clash(cal, slot)
        if clash is not None and _same_booking(clash, conversation, service, slot):
            # The same form sent again (a double click): it is booked, and the patient told.
            already = _("Appointment #%(id)s is booked already.") % {"id": clash.pk}
            return Done(clash, already, repeated=True)
        raise Refused(_clash_text(_("Not booked"), cal, slot, clash)) from None
    news = _("Booked: appointment #%(id)s, %(when)s.") % {
        "id": appointment.pk,
        "when": _when(cal, slot.start, slot.end),
    }
    return Done(appointment, news + _tell(notices.BOOKED, appointment, data["token"]))


def staff_move(request, appointment: Appointment, form: MoveForm) -> Done:
    cal, data = form.cal, form.cleaned_data
    start, code = form.start(), data["provider"]
    if (appointment.starts_at, appointment.provider.code) == (start, code):
        # Already there: moved by this form a moment ago, or asked to move nowhere.
        news = _("Appointment #%(id)s is at that time already.") % {"id": appointment.pk}
        return Done(appointment, news, repeated=True)
    slot = _checked_slot(cal, code, appointment.service, start, verb=_("Not moved"))
    old_start = appointment.starts_at
    try:
        with transaction.atomic():
            moved = calendar.move(
                calendar=cal, appointment=appointment, slot=slot, actor=request.user
            )
            audit(request, AuditAction.MOVE_APPOINTMENT, moved.pk, moved.conversation_id)
    except SlotTaken:
        clash = _clash(cal, slot, appointment)
        raise Refused(_clash_text(_("Not moved"), cal, slot, clash)) from None
    except NotAllowed as refusal:
        raise Refused(_refusal_text(_("Not moved"), refusal)) from None
    news = _("Moved: appointment #%(id)s is now %(when)s.") % {
        "id": moved.pk,
        "when": _when(cal, slot.start, slot.end),
    }
    return Done(moved, news + _tell(notices.MOVED, moved, data["token"], old_start=old_start))


def staff_cancel(request, appointment: Appointment, form: CancelForm) -> Done:
    if appointment.status == Status.CANCELLED:
        news = _("Appointment #%(id)s is cancelled already.") % {"id": appointment.pk}
        return Done(appointment, news, repeated=True)
    try:
        with transaction.atomic():
            cancelled = calendar.cancel(appointment=appointment, actor=request.user)
            audit(request, AuditAction.CANCEL_APPOINTMENT, cancelled.pk, cancelled.conversation_id)
    except NotAllowed as refusal:
        raise Refused(_refusal_text(_("Not cancelled"), refusal)) from None
    news = _("Cancelled: appointment #%(id)s; its time is free.") % {"id": cancelled.pk}
    return Done(cancelled, news + _tell(notices.CANCELLED, cancelled, form.cleaned_data["token"]))


def _tell(kind: str, appointment: Appointment, token: str, **kwargs) -> str:
    """Tell the patient, after the change is committed; what staff should know of it."""
    try:
        sent = notices.notice_send(kind, appointment, token=token, **kwargs)
    except (RedisError, OSError):
        # The change stands: staff must know the patient has not heard of it.
        logger.exception("appointment %s: the patient's notice was not queued", appointment.pk)
        return " " + _(
            "The patient could NOT be told (the message queue is unreachable): tell them."
        )
    return " " + (_("The patient is being told.") if sent else _("The patient was told already."))


def audit(request, action, object_id, conversation_id, outcome="success") -> None:
    # Ids only: the audit log holds no PHI (security.models.AuditEvent).
    audit_record(
        actor=request.user.get_username(),
        action=action,
        object_type="appointment",
        object_id=str(object_id),
        outcome=outcome,
        source_ip=source_ip(request),
        details={"conversation": conversation_id} if conversation_id else {},
        # The clinic's staff see the entry; a denied attempt on another clinic's appointment is
        # that clinic's to see.
        clinic_id=_clinic_of(object_id),
    )


def _clinic_of(appointment_id) -> int | None:
    if not str(appointment_id).isdigit():  # a booking refused before it had an id
        return None
    rows = Appointment.objects.filter(pk=appointment_id)
    return rows.values_list("clinic_id", flat=True).first()


def _checked_slot(cal: Calendar, code: str, service: Service, start: datetime, *, verb: str):
    """The slot staff asked for, if the clinic file lets the provider see the patient then."""
    provider = cal.providers[code]
    slot = slots.Slot(code, start, start + duration_of(service))
    refusal = _time_refusal(cal, provider, service, slot)
    if refusal:
        raise Refused(_refusal_text(verb, refusal))
    return slot


def _refusal_text(verb: str, refusal) -> str:
    return _("%(verb)s: %(reason)s. Nothing was changed.") % {"verb": verb, "reason": refusal}


def _time_refusal(cal: Calendar, provider: Provider, service: Service, slot) -> str:
    chair = next(h for h in cal.hours if h.code == provider.code)
    if chair.services is not None and service.code not in chair.services:
        return _("%(provider)s does not do %(service)s") % {
            "provider": provider,
            "service": service,
        }
    if slot.start < clock.now():
        return _("%(when)s has passed") % {"when": _when(cal, slot.start, slot.end)}
    day = slot.start.date()
    closure = next((c for c in _closures(cal, [day]) if _closes(c, provider.code, day)), None)
    if closure is not None:
        return _("nobody sees patients with %(provider)s on %(day)s (%(why)s)") % {
            "provider": provider,
            "day": f"{day:%a %-d %b}",
            "why": _why(closure),
        }
    # The slot search answers "does it fit the day's hours?" as it does for the bot, clocks
    # changing included, at staff's rules: any minute, no notice.
    fits = slots.free_slots(
        providers=[chair],
        service=service.code,
        duration=slot.end - slot.start,
        tz=cal.tz,
        now=slot.start,
        rules=STAFF_RULES,
        closures=cal.closures,
        start=slot.start,
        end=slot.start + timedelta(minutes=1),
    )
    if next(fits, None) is None:
        hours = provider.hours.get(slots.WEEKDAYS[day.weekday()]) or "none"
        return _("%(provider)s does not work %(when)s (hours: %(hours)s)") % {
            "provider": provider,
            "when": _when(cal, slot.start, slot.end),
            "hours": hours,
        }
    return ""


def _clash(cal: Calendar, slot, moving: Appointment | None = None) -> Appointment | None:
    """The appointment that has the provider's time, to name it."""
    clashes = (
        Appointment.objects.filter(
            clinic=cal.clinic,
            provider__code=slot.provider,
            status__in=Appointment.ACTIVE,
            starts_at__lt=slot.end,
            ends_at__gt=slot.start,
        )
        .exclude(status=Status.HELD, hold_expires_at__lte=clock.now())
        .select_related("service", "provider")
        .order_by("starts_at")
    )
    return clashes.exclude(pk=moving.pk).first() if moving else clashes.first()


def _same_booking(appointment, conversation, service, slot) -> bool:
    return (
        appointment.conversation_id == conversation.pk
        and appointment.service_id == service.pk
        and appointment.starts_at == slot.start
        and appointment.status != Status.HELD
    )


def _clash_text(verb: str, cal: Calendar, slot, clash: Appointment | None) -> str:
    provider = cal.providers[slot.provider]
    if clash is None:  # taken and let go again meanwhile: another try may succeed
        return _(
            "%(verb)s: %(provider)s's time was taken meanwhile. Nothing was changed; try again."
        ) % {"verb": verb, "provider": provider}
    return _(
        "%(verb)s: %(when)s clashes with appointment #%(id)s of %(provider)s (%(service)s, "
        "%(clash_when)s, conversation #%(conversation)s, %(status)s). Nothing was changed."
    ) % {
        "verb": verb,
        "when": _when(cal, slot.start, slot.end),
        "id": clash.pk,
        "provider": provider,
        "service": clash.service,
        "clash_when": _when(cal, clash.starts_at, clash.ends_at),
        "conversation": clash.conversation_id,
        "status": clash.get_status_display(),
    }


def _when(cal: Calendar, starts: datetime, ends: datetime) -> str:
    starts, ends = starts.astimezone(cal.tz), ends.astimezone(cal.tz)
    return f"{starts:%a %-d %b %H:%M}–{ends:%H:%M}"


# --- the conversation's page ----------------------------------------------------------------
class PatientAppointmentsInline(admin.TabularInline):
    """The patient's appointments on their conversation's page, each linked to its day in the
    calendar, where staff change it. Read only: changes go through the calendar's forms."""

    model = Appointment
    fk_name = "conversation"
    template = "appointments/patient_appointments.html"
    verbose_name_plural = "appointments"
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        newest_first = super().get_queryset(request).order_by("-starts_at")
        return newest_first.select_related("service", "provider", "clinic")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
