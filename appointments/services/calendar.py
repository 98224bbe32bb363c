"""A clinic's free times, and every change to an appointment, each in one transaction.

Two bookings racing for one time: on PostgreSQL the exclusion constraint
(appointments.models) refuses the loser's write and it gets SlotTaken; on another database (the
embedded SQLite, one process) the overlap is looked for before the write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction

from appointments import slots
from appointments.models import Appointment, AppointmentChange, BookingRules, Closure, Provider
from appointments.services import reminders
from clinicbot.runtime import clock
from conversations.models import Clinic, ConversationSession
from pricing.models import Service

HOLD_FOR = timedelta(minutes=10)
# Where the nearest free times are looked for first: most answers are in the next day or two,
# whose appointments are a fraction of the horizon's to read. A calendar too full for that
# goes straight to the horizon (a week in between only added a third search to those turns).
NEAR_WINDOWS = (timedelta(days=2),)
DEFAULT_DURATION = timedelta(minutes=30)
Status = Appointment.Status


class SlotTaken(Exception):
    """Another appointment has the time (it was booked, or held, meanwhile)."""


class NotAllowed(Exception):
    """The change does not apply to the appointment as it stands now."""


@dataclass(frozen=True, slots=True)
class Calendar:
    """What a clinic's free times are computed from, read in a few queries."""

    clinic: Clinic
    tz: ZoneInfo
    rules: slots.Rules
    providers: dict[str, Provider]
    hours: tuple[slots.Provider, ...]
    closures: tuple[slots.Closure, ...]


def calendar_of(clinic: Clinic) -> Calendar:
    """The clinic's calendar rules, from process memory while the clinic is unchanged.

    Providers, closures and booking rules change only with a clinic file import, which saves
    the clinic (a new `updated_at`): the key follows it, in every process. Appointments are not
    part of it; every search reads those from the database.
    """
    key = (clinic.pk, clinic.updated_at)
    calendar = _calendars.get(key)
    if calendar is None:
        calendar = _calendars[key] = _calendar_read(clinic)
        while len(_calendars) > CALENDARS_KEPT:
            _calendars.pop(next(iter(_calendars)))
    return calendar


_calendars: dict[tuple, Calendar] = {}
CALENDARS_KEPT = 256


def _calendar_read(clinic: Clinic) -> Calendar:
    stored = BookingRules.objects.filter(clinic=clinic).first() or BookingRules()
    rules = slots.Rules(
        min_notice=timedelta(minutes=stored.min_notice_minutes),
        horizon_days=stored.horizon_days,
        step_minutes=stored.slot_step_minutes,
    )
    providers = {p.code: p for p in Provider.objects.filter(clinic=clinic, active=True)}
    if not providers:  # imported before the booking fields existed: the clinic is one chair
        providers = {"clinic": Provider(clinic=clinic, code="clinic", hours=clinic.business_hours)}
    hours = tuple(
        slots.Provider(
            code=p.code,
            services=frozenset(p.services) if p.services else None,
            hours=p.hours,
        )
        for p in providers.values()
    )
    closures = tuple(
        slots.Closure(
            first=c.first_day, last=c.last_day, provider=c.provider.code if c.provider else None
        )
        for c in Closure.objects.filter(clinic=clinic).select_related("provider")
    )
    return Calendar(clinic, ZoneInfo(clinic.timezone), rules, providers, hours, closures)


def duration_of(service: Service) -> timedelta:
    return (
        timedelta(minutes=service.duration_minutes)
        if service.duration_minutes
        else DEFAULT_DURATION
    )


def free_times(
    calendar: Calendar,
    service: Service,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
):
    """The service's free times, earliest first (a generator: take what you need)."""
    # To the minute, as a receptionist counts the notice: at 09:00:05, 11:00 is two hours away.
    now = (now or clock.now()).replace(second=0, microsecond=0)
    horizon_end = now + timedelta(days=calendar.rules.horizon_days + 2)
    return slots.free_slots(
        providers=calendar.hours,
        service=service.code,
        duration=duration_of(service),
        tz=calendar.tz,
        now=now,
        rules=calendar.rules,
        closures=calendar.closures,
        busy=_busy(calendar, service, start or now, end or horizon_end, now),
        start=start,
        end=end,
    )


def nearest_free_times(calendar: Calendar, service: Service, count: int, *, now=None) -> list:
    """The `count` earliest free times (NEAR_WINDOWS first, then the whole horizon)."""
    now = now or clock.now()
    for window in NEAR_WINDOWS:
        found = list(islice(free_times(calendar, service, end=now + window, now=now), count))
        if len(found) == count:
            return found
    return list(islice(free_times(calendar, service, now=now), count))


def _busy(
    calendar: Calendar, service: Service, start: datetime, end: datetime, now: datetime
) -> list[slots.Busy]:
    """The times taken from the providers who perform `service`, between start and end."""
    # The clinic's implicit chair (never saved) has no appointments to read.
    performing = [p.pk for p in calendar.providers.values() if p.pk and _performs(p, service)]
    if not performing:
        return []
    moments = [start, end + timedelta(days=1), now]
    params = [*performing, *(connection.ops.adapt_datetimefield_value(m) for m in moments)]
    with connection.cursor() as cursor:
        # One query, in SQL: it is most of a search's time, and the ORM's per-row work
        # (hundreds of rows for a week of a busy clinic) cost more than the query itself.
        cursor.execute(_busy_sql(len(performing)), params)
        rows = cursor.fetchall()
    codes = {p.pk: p.code for p in calendar.providers.values()}
    return [slots.Busy(codes[pk], _aware(begins), _aware(ends)) for pk, begins, ends in rows]


def _aware(moment: datetime) -> datetime:
    # PostgreSQL returns aware datetimes; SQLite, the naive UTC that Django stored.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _performs(provider: Provider, service: Service) -> bool:
    return not provider.services or service.code in provider.services


def _busy_sql(providers: int) -> str:
    """Booked, confirmed, and held while the hold lasts. Names from the model; values are
    parameters (one placeholder per provider: SQLite has no arrays)."""
    placeholders = ", ".join(["%s"] * providers)
    return (
        f"SELECT provider_id, starts_at, ends_at FROM {Appointment._meta.db_table} "  # noqa: S608
        f"WHERE provider_id IN ({placeholders}) AND ends_at > %s AND starts_at < %s "
        "AND (status IN ('booked', 'confirmed') OR (status = 'held' AND hold_expires_at > %s))"
    )


# --- changes ------------------------------------------------------------------------------------
def hold(
    *,
    calendar: Calendar,
    conversation: ConversationSession,
    service: Service,
    slot: slots.Slot,
    source: str = Appointment.Source.BOT,
    actor=None,
    now: datetime | None = None,
    replaces: Appointment | None = None,
) -> Appointment:
    """Reserve `slot` for the patient for HOLD_FOR, waiting for their yes. Raises SlotTaken."""
    now = now or clock.now()
    provider = calendar.providers[slot.provider]
    with transaction.atomic():
        if provider.pk is None:  # the implicit chair of a clinic imported before providers
            provider.save()
        provider = _provider_locked(provider)
        _release_expired(provider, slot, now)
        appointment = Appointment(
            clinic=calendar.clinic,
            conversation=conversation,
            provider=provider,
            service=service,
            starts_at=slot.start,
            ends_at=slot.end,
            status=Status.HELD,
            hold_expires_at=now + HOLD_FOR,
            source=source,
            replaces=replaces,
        )
        _insert(appointment)
        _record(appointment, "held", "", None, actor)
    return appointment


def book(
    *,
    calendar: Calendar,
    conversation: ConversationSession,
    service: Service,
    slot: slots.Slot,
    source: str = Appointment.Source.STAFF,
    actor=None,
    now: datetime | None = None,
) -> Appointment:
    """Book `slot` outright (staff, from the calendar). Raises SlotTaken."""
    with transaction.atomic():
        appointment = hold(
            calendar=calendar,
            conversation=conversation,
            service=service,
            slot=slot,
            source=source,
            actor=actor,
            now=now,
        )
        return book_held(appointment=appointment, actor=actor, now=now)


def book_held(*, appointment: Appointment, actor=None, now: datetime | None = None) -> Appointment:
    """The patient said yes: their held time becomes an appointment (reminders scheduled).

    A hold past its expiry is still theirs while nobody else has taken the time: an expired
    hold is released only when another booking needs its time (or by beat, holds_release).
    """
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != Status.HELD:
            raise NotAllowed(f"the appointment is {appointment.status}, not held")
        replaced = _replaced_by(appointment)
        _set_status(appointment, Status.BOOKED, "booked", actor, hold_expires_at=None)
        if replaced is not None:
            reminders.reminders_cancel(appointment=replaced)
            _set_status(replaced, Status.CANCELLED, "moved", actor)
        reminders.reminders_schedule(appointment=appointment, now=now or clock.now())
    return appointment


def confirm(*, appointment: Appointment, actor=None) -> Appointment:
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status == Status.CONFIRMED:
            return appointment
        if appointment.status != Status.BOOKED:
            raise NotAllowed(f"the appointment is {appointment.status}, not booked")
        _set_status(appointment, Status.CONFIRMED, "confirmed", actor)
    return appointment


def cancel(*, appointment: Appointment, actor=None, action: str = "cancelled") -> Appointment:
    """Cancel an active appointment: its time is free at once and its reminders are cancelled."""
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status == Status.CANCELLED:
            return appointment
        if appointment.status not in Appointment.ACTIVE:
            raise NotAllowed(f"the appointment is {appointment.status}")
        _set_status(appointment, Status.CANCELLED, action, actor, hold_expires_at=None)
        reminders.reminders_cancel(appointment=appointment)
    return appointment


def hold_move(
    *,
    calendar: Calendar,
    appointment: Appointment,
    slot: slots.Slot,
    now: datetime | None = None,
) -> Appointment:
    """Hold a new time for an appointment the patient wants to move; book_held() of the hold
    then moves it, releasing the old time in the same transaction."""
    return hold(
        calendar=calendar,
        conversation=appointment.conversation,
        service=appointment.service,
        slot=slot,
        now=now,
        replaces=appointment,
    )


def move(
    *,
    calendar: Calendar,
    appointment: Appointment,
    slot: slots.Slot,
    actor=None,
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment to `slot` at once (staff): the new time is taken before the old one
    is freed, in one transaction; reminders follow. Raises SlotTaken."""
    now = now or clock.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in (Status.BOOKED, Status.CONFIRMED):
            raise NotAllowed(f"the appointment is {appointment.status}")
        old_start = appointment.starts_at
        provider = _provider_locked(calendar.providers[slot.provider])
        _release_expired(provider, slot, now)
        appointment.provider, appointment.starts_at, appointment.ends_at = (
            provider,
            slot.start,
            slot.end,
        )
        _update(appointment)
        AppointmentChange.objects.create(
            appointment=appointment,
            actor=actor,
            action="moved",
            old_status=appointment.status,
            new_status=appointment.status,
            old_starts_at=old_start,
            new_starts_at=slot.start,
        )
        reminders.reminders_cancel(appointment=appointment)
        reminders.reminders_schedule(appointment=appointment, now=now)
    return appointment


def note(*, appointment: Appointment, action: str, actor=None) -> None:
    """Record something that happened to the appointment without changing it (a reminder the
    patient declined: staff see it in its history)."""
    _record(appointment, action, appointment.status, appointment.starts_at, actor)


def holds_release(*, now: datetime | None = None) -> int:
    """Cancel the holds whose patient did not say yes in time (beat, every minute)."""
    now = now or clock.now()
    released = 0
    for appointment in Appointment.objects.filter(status=Status.HELD, hold_expires_at__lte=now):
        with transaction.atomic():
            locked = _locked(appointment)
            if locked.status == Status.HELD and locked.hold_expires_at <= now:
                _set_status(locked, Status.CANCELLED, "hold expired", None, hold_expires_at=None)
                released += 1
    return released


# --- helpers ------------------------------------------------------------------------------------
def _replaced_by(held: Appointment) -> Appointment | None:
    """The active appointment a held move replaces, locked."""
    if held.replaces_id is None:
        return None
    old = Appointment.objects.select_for_update().get(pk=held.replaces_id)
    return old if old.is_active else None


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("conversation", "service", "provider", "clinic")
        .get(pk=appointment.pk)
    )


def _set_status(appointment: Appointment, status: str, action: str, actor, **fields) -> None:
    old = appointment.status
    appointment.status = status
    for name, value in fields.items():
        setattr(appointment, name, value)
    appointment.save(update_fields=["status", "updated_at", *fields])
    _record(appointment, action, old, appointment.starts_at, actor)


def _record(appointment: Appointment, action: str, old_status: str, old_start, actor) -> None:
    AppointmentChange.objects.create(
        appointment=appointment,
        actor=actor,
        action=action,
        old_status=old_status,
        new_status=appointment.status,
        old_starts_at=old_start,
        new_starts_at=appointment.starts_at,
    )


def _release_expired(provider: Provider, slot: slots.Slot, now: datetime) -> None:
    """Expired holds overlapping the slot give it up now, rather than at beat's next pass."""
    expired = Appointment.objects.select_for_update().filter(
        provider=provider,
        status=Status.HELD,
        hold_expires_at__lte=now,
        starts_at__lt=slot.end,
        ends_at__gt=slot.start,
    )
    for appointment in expired:
        _set_status(appointment, Status.CANCELLED, "hold expired", None, hold_expires_at=None)


def _overlapping(appointment: Appointment):
    return Appointment.objects.filter(
        provider=appointment.provider,
        status__in=Appointment.ACTIVE,
        starts_at__lt=appointment.ends_at,
        ends_at__gt=appointment.starts_at,
    ).exclude(pk=appointment.pk)


def _insert(appointment: Appointment) -> None:
    _write(appointment, appointment.save)


def _update(appointment: Appointment) -> None:
    _write(
        appointment,
        lambda: appointment.save(update_fields=["provider", "starts_at", "ends_at", "updated_at"]),
    )


def _write(appointment: Appointment, save) -> None:
    if connection.vendor != "postgresql" and _overlapping(appointment).exists():
        raise SlotTaken
    try:
        with transaction.atomic():  # a savepoint: the caller goes on after a refusal
            save()
    except IntegrityError as exc:
        if "appointment_no_double_booking" in str(exc):
            raise SlotTaken from None
        raise


def _provider_locked(provider: Provider) -> Provider:
    """Writers of one provider's calendar take turns. The exclusion constraint alone would
    still refuse a double booking, but two inserts of overlapping times each wait on the
    other's check, and PostgreSQL breaks such waits as deadlocks, failing whole transactions.
    In turn, the second writer simply meets the first's committed row and gets SlotTaken."""
    return Provider.objects.select_for_update().get(pk=provider.pk)
