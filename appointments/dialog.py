"""The booking dialogue: one patient message in, the reply out, every appointment change made in
the database before the reply says so.

The conversation's BookingDialog remembers what the bot asked (which service? which time? yes to
this hold? which appointment? cancel it?) and what it offered, so the next message ("2", "yes",
"friday at 10") is read against it. Dates and times are the patient's own words, read by
nlu.when in the clinic's timezone. One transaction per message, with the dialog row locked:
two messages of one conversation are answered one after the other, and a redelivered message
(same key) gets the reply it got the first time without acting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db import transaction

from appointments import texts
from appointments.models import Appointment, BookingDialog
from appointments.services import calendar, reminders
from appointments.services.calendar import NotAllowed, SlotTaken
from appointments.slots import Slot
from clinicbot.runtime import clock
from conversations.decide import AWAITING_BOOKING, AWAITING_SERVICE
from conversations.models import Clinic, ConversationSession
from conversations.services.storage import conversation_get_or_create
from knowledge.models import ReplyText
from nlu import Intent
from nlu.when import When, read_when
from notifications.services import reminder_declined_event, staff_events_record
from pricing.models import Service

Step = BookingDialog.Step
OFFERED_TIMES = 3
LISTED_SERVICES = 9
# How far "at 10" with no day looks for a day when 10:00 is free.
DAYS_FOR_A_TIME = 7
AWAITING = {Step.NONE: "", Step.SERVICE: AWAITING_SERVICE}  # any other step: AWAITING_BOOKING


@dataclass(frozen=True, slots=True)
class Turn:
    """A patient message, as the booking lane reads it (from the message's journal)."""

    key: str  # the message's journal key: a redelivery has the same one
    clinic_id: int
    phone: str
    language: str
    intent: str
    service: str  # the service the message (or the price answer before it) named, or ""
    text: str
    quoted_id: str = ""  # the WhatsApp id of the message it quotes (answers), or ""
    lid: str = ""  # the patient's LID, when the message named it beside the phone


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    awaiting: str  # the session's `awaiting` after this reply (conversations.decide)


def booking_answer(turn: Turn) -> Answer:
    clinic = Clinic.objects.get(pk=turn.clinic_id)
    conversation = conversation_get_or_create(clinic_id=clinic.pk, phone=turn.phone, lid=turn.lid)
    with transaction.atomic():
        dialog = dialog_locked(conversation)
        if dialog.last_message == turn.key:
            return Answer(dialog.last_reply, awaiting_of(dialog))
        talk = Talk(clinic, conversation, dialog, turn)
        reply = talk.respond()
        dialog.last_message, dialog.last_reply = turn.key, reply
        dialog.save()
        awaiting = awaiting_of(dialog)
        if conversation.awaiting != awaiting:
            conversation.awaiting = awaiting
            conversation.save(update_fields=["awaiting", "updated_at"])
    return Answer(reply, awaiting)


def dialog_locked(conversation: ConversationSession) -> BookingDialog:
    """The conversation's dialogue row, locked: its messages are answered one at a time."""
    locked = BookingDialog.objects.select_for_update()
    dialog = locked.filter(conversation=conversation).first()
    if dialog is None:  # its first booking turn (a racing first turn may create it too)
        BookingDialog.objects.get_or_create(conversation=conversation)
        dialog = locked.get(conversation=conversation)
    return dialog


def awaiting_of(dialog: BookingDialog) -> str:
    return AWAITING.get(dialog.step, AWAITING_BOOKING)


class Talk:
    """One reply's worth of the dialogue."""

    def __init__(self, clinic, conversation, dialog, turn):
        self.clinic: Clinic = clinic
        self.conversation: ConversationSession = conversation
        self.dialog: BookingDialog = dialog
        self.turn: Turn = turn
        self.language = turn.language
        self.now = clock.now()
        self.tz = ZoneInfo(clinic.timezone)
        self.today = self.now.astimezone(self.tz).date()
        self.when: When = read_when(turn.text, turn.language, today=self.today)
        # The clinic's own words for the dialogue's texts (one query: this lane reads the
        # database anyway).
        self.overrides = ReplyText.overrides_of(clinic.pk)

    @cached_property
    def calendar(self) -> calendar.Calendar:
        # Read only by the turns that look for or hold a time: a yes, a cancel or "when is my
        # appointment?" needs none of it.
        return calendar.calendar_of(self.clinic)

    # --- the entry: what the message asks, against what the dialogue waits for -------------------
    def respond(self) -> str:
        intent, step = self.turn.intent, self.dialog.step
        reminded = self._quoted_reminder()
        if reminded is not None:
            return self.on_quoted_reminder(reminded)
        if intent == Intent.CANCEL:
            return self.cancel_start()
        if intent == Intent.RESCHEDULE:
            return self.move_start()
        if intent == Intent.APPOINTMENTS:
            return self.upcoming_list()
        if intent == Intent.BOOK and not self._book_it():
            return self.book_start(self._service_named())
        answer = {
            Step.SERVICE: self.on_service,
            Step.SLOT: self.on_time,
            Step.MOVE: self.on_time,
            Step.CONFIRM: self.on_hold_answer,
            Step.CHOOSE: self.on_choice,
            Step.CANCEL: self.on_cancel_answer,
            Step.REMINDER: self.on_reminder_answer,
        }.get(step)
        if answer is not None:
            return answer()
        if intent == Intent.CONFIRM and self.turn.service:
            return self.book_start(self._service_named())  # yes to "would you like to book?"
        return self.say("nothing_pending")

    def _book_it(self) -> bool:
        """ "Yes, book it" while a time is held: the yes to the hold, not a new booking."""
        return (
            self.dialog.step == Step.CONFIRM
            and not self.turn.service
            and self.when.empty
            and self._says_yes()
        )

    def _says_yes(self) -> bool:
        return self.turn.intent == Intent.CONFIRM or (
            self.turn.intent == Intent.BOOK and self.dialog.step == Step.CONFIRM
        )

    # --- booking --------------------------------------------------------------------------------
    def book_start(self, service: Service | None) -> str:
        self._release_my_hold()
        if service is None:
            return self.ask_service()
        self.dialog.service_code = service.code
        return self.offer(service, step=Step.SLOT)

    def ask_service(self) -> str:
        services = list(
            Service.objects.filter(clinic=self.clinic, active=True).order_by("code")[
                :LISTED_SERVICES
            ]
        )
        self.go(Step.SERVICE, offered=[s.code for s in services])
        names = [s.display_name(self.language) for s in services]
        return f"{self.say('ask_service')}\n{texts.numbered(names)}"

    def on_service(self) -> str:
        service = self._service_named()
        if service is None and self.when.choice:
            codes = self.dialog.offered
            if 1 <= self.when.choice <= len(codes):
                service = self._service(codes[self.when.choice - 1])
        if service is None:
            return self.ask_service()
        return self.book_start(service)

    def offer(self, service: Service, *, step: str, intro: str = "", replacing=None) -> str:
        """Hold the time asked for when it is free; else offer the nearest free ones."""
        exact, options = self._search(service)
        if exact is not None:
            return self.hold(service, exact, replacing=replacing)
        if not options:
            self.go(Step.NONE)
            return self.say("none_free", service=self._name(service))
        self.go(step, offered=[slot_json(slot) for slot in options], service=service.code)
        if self.when.at is not None:
            asked = datetime.combine(self._asked_day(), self.when.at)
            intro = self.say(
                "asked_taken", when=texts.when(asked, self.language), service=self._name(service)
            )
        intro = intro or self.say("offer", service=self._name(service))
        lines = [self._slot_line(slot) for slot in options]
        return f"{intro}\n{texts.numbered(lines)}\n{self.say('choose_hint')}"

    def on_time(self) -> str:
        """The patient answers offered times: a number, a time, another day, or no."""
        replacing = self.dialog.appointment if self.dialog.step == Step.MOVE else None
        if self.turn.intent == Intent.DECLINE:
            self.go(Step.NONE)
            if replacing is not None:  # no new time: the appointment stays where it is
                return self.say("kept", **self._describe(replacing))
            return self.say("let_go")
        service = self._service(self.dialog.service_code)
        chosen = self._chosen_offer()
        if chosen is not None and service is not None:
            return self.hold(service, chosen, replacing=replacing)
        if self.when.empty or service is None:
            return self.say("not_understood")
        return self.offer(service, step=self.dialog.step, replacing=replacing)

    def hold(self, service: Service, slot: Slot, *, replacing=None) -> str:
        try:
            held = self.take(service, slot, replacing=replacing)
        except SlotTaken:
            return self.offer_again(service, replacing)
        self.go(Step.CONFIRM, appointment=held, service=service.code)
        return self.say("hold", **self._describe(held))

    def take(self, service: Service, slot: Slot, *, replacing=None) -> Appointment:
        """Hold `slot` for the patient (a new time for `replacing`, when moving it), giving
        back the time held before. Raises SlotTaken."""
        self._release_my_hold()
        if replacing is not None:
            return calendar.hold_move(
                calendar=self.calendar, appointment=replacing, slot=slot, now=self.now
            )
        return calendar.hold(
            calendar=self.calendar,
            conversation=self.conversation,
            service=service,
            slot=slot,
            now=self.now,
        )

    def offer_again(self, service: Service, replacing: Appointment | None) -> str:
        """The time was taken under the patient's feet: say so, and offer the nearest others."""
        self.when = When()
        step = Step.MOVE if replacing is not None else Step.SLOT
        intro = f"{self.say('hold_lost')} {self.say('offer', service=self._name(service))}"
        return self.offer(service, step=step, intro=intro, replacing=replacing)

    def on_hold_answer(self) -> str:
        held = self.dialog.appointment
        service = self._service(self.dialog.service_code)
        if held is None or service is None:
            self.go(Step.NONE)
            return self.say("nothing_pending")
        if self.turn.intent == Intent.DECLINE:
            self._release_my_hold()
            self.go(Step.NONE)
            return self.say("let_go")
        if not self._says_yes():
            if not self.when.empty:  # another time instead
                return self.on_time_instead_of(held)
            return self.say("not_understood")
        try:
            booked = calendar.book_held(appointment=held, now=self.now)
        except NotAllowed:  # the hold ran out and another booking took its time
            return self.offer_again(service, held.replaces)
        self.go(Step.NONE)
        key = "moved" if booked.replaces_id else "booked"
        return self.say(key, **self._describe(booked))

    def on_time_instead_of(self, held: Appointment | None) -> str:
        replacing = held.replaces if held is not None else None
        self._release_my_hold()
        service = self._service(self.dialog.service_code)
        step = Step.MOVE if replacing is not None else Step.SLOT
        self.dialog.appointment = replacing
        return self.offer(service, step=step, replacing=replacing)

    # --- the patient's appointments -------------------------------------------------------------
    def upcoming_list(self) -> str:
        mine = self._upcoming(include_held=True)
        self.go(Step.NONE)
        if not mine:
            return self.say("no_upcoming")
        lines = [self._appointment_line(a) for a in mine]
        return f"{self.say('upcoming')}\n" + "\n".join(f"• {line}" for line in lines)

    def cancel_start(self) -> str:
        if self.dialog.step == Step.CONFIRM and self._release_my_hold():
            self.go(Step.NONE)
            return self.say("let_go")
        return self._pick_then("cancel")

    def move_start(self) -> str:
        self._release_my_hold()
        return self._pick_then("move")

    def _pick_then(self, then: str) -> str:
        mine = self._upcoming(include_held=False)
        if not mine:
            self.go(Step.NONE)
            return self.say("no_upcoming")
        if len(mine) == 1:
            return self._act_on(mine[0], then)
        self.go(Step.CHOOSE, offered=[a.pk for a in mine], then=then)
        lines = [self._appointment_line(a) for a in mine]
        return f"{self.say('which')}\n{texts.numbered(lines)}"

    def on_choice(self) -> str:
        ids = self.dialog.offered
        if self.turn.intent == Intent.DECLINE:
            self.go(Step.NONE)
            return self.say("let_go")
        if not self.when.choice or not 1 <= self.when.choice <= len(ids):
            return self.say("not_understood")
        chosen = Appointment.objects.filter(
            pk=ids[self.when.choice - 1], conversation=self.conversation
        ).first()
        if chosen is None or not chosen.is_active:
            return self._pick_then(self.dialog.then)
        self.when = When()  # the number chose the appointment; it names no time
        return self._act_on(chosen, self.dialog.then)

    def _act_on(self, appointment: Appointment, then: str) -> str:
        if then == "cancel":
            self.go(Step.CANCEL, appointment=appointment)
            return self.say("ask_cancel", **self._describe(appointment))
        self.go(Step.MOVE, appointment=appointment, service=appointment.service.code)
        intro = self.say("move_offer", **self._describe(appointment))
        return self.offer(appointment.service, step=Step.MOVE, intro=intro, replacing=appointment)

    def on_cancel_answer(self) -> str:
        appointment = self.dialog.appointment
        if self.turn.intent == Intent.DECLINE or appointment is None:
            self.go(Step.NONE)
            return (
                self.say("kept", **self._describe(appointment))
                if appointment
                else self.say("let_go")
            )
        if self.turn.intent != Intent.CONFIRM:
            return self.say("not_understood")
        try:
            cancelled = calendar.cancel(appointment=appointment)
        except NotAllowed:
            self.go(Step.NONE)
            return self.say("no_upcoming")
        self.go(Step.NONE)
        return self.say("cancelled", **self._describe(cancelled))

    def on_reminder_answer(self) -> str:
        appointment = self.dialog.appointment
        if appointment is None or not appointment.is_active:
            self.go(Step.NONE)
            return self.say("no_upcoming")
        if self.turn.intent == Intent.CONFIRM:
            confirmed = calendar.confirm(appointment=appointment)
            self.go(Step.NONE)
            return self.say("confirmed", **self._describe(confirmed))
        if self.turn.intent == Intent.DECLINE:
            return self._reminder_declined(appointment)
        return self.say("not_understood")

    def on_quoted_reminder(self, appointment: Appointment) -> str:
        """A yes or no quoting an appointment's reminder answers that reminder, whatever the
        dialogue moved on to since (another question, a second reminder)."""
        reminders.reminder_answered(
            conversation=self.conversation,
            gateway_id=self.turn.quoted_id,
            confirmed=self.turn.intent == Intent.CONFIRM,
        )
        if not appointment.is_active:
            return self.say("no_upcoming")
        if self.turn.intent == Intent.DECLINE:
            self._release_my_hold()  # a move of this appointment replaces what was asked
            return self._reminder_declined(appointment)
        try:
            confirmed = calendar.confirm(appointment=appointment)
        except NotAllowed:  # held, not booked: nothing to confirm
            return self.say("nothing_pending")
        if self.dialog.step == Step.REMINDER and self.dialog.appointment_id == appointment.pk:
            self.go(Step.NONE)  # this was the reminder the dialogue waited on
        # Else what the dialogue waits for (another reminder, a time) still waits.
        return self.say("confirmed", **self._describe(confirmed))

    def _reminder_declined(self, appointment: Appointment) -> str:
        calendar.note(appointment=appointment, action="reminder declined")
        staff_events_record(events=[self._declined_event(appointment)])  # "a colleague is told"
        self.go(Step.MOVE, appointment=appointment, service=appointment.service.code)
        intro = self.say("reminder_declined", service=self._name(appointment.service))
        return self.offer(appointment.service, step=Step.MOVE, intro=intro, replacing=appointment)

    def _declined_event(self, appointment: Appointment):
        return reminder_declined_event(
            clinic_id=appointment.clinic_id,
            conversation_id=self.conversation.pk,
            appointment_id=appointment.pk,
            at=clock.now(),
        )

    def _quoted_reminder(self) -> Appointment | None:
        """The appointment whose reminder this yes or no quotes, if it quotes one."""
        if not self.turn.quoted_id or self.turn.intent not in (Intent.CONFIRM, Intent.DECLINE):
            return None
        return reminders.reminded_appointment(
            conversation=self.conversation, gateway_id=self.turn.quoted_id
        )

    # --- reading what was asked -----------------------------------------------------------------
    def _search(self, service: Service) -> tuple[Slot | None, list[Slot]]:
        """The exact time asked for when free, else the nearest free times the words allow:
        the days named (and the day after), within the part of the day named."""
        days = list(self.when.days)
        if self.when.at is not None and not days:
            days = [self.today + timedelta(days=i) for i in range(DAYS_FOR_A_TIME)]
        if not days:
            return None, self._nearest(service)
        if self.when.at is not None:
            for day in days:
                for slot in self._day_times(service, day):
                    if slot.start.time() == self.when.at:
                        return slot, []
        named = [s for day in days for s in self._day_times(service, day) if self._fits(s)]
        if not named:
            following = days[-1] + timedelta(days=1)
            named = [s for s in self._day_times(service, following) if self._fits(s)]
        if self.when.at is not None:
            named.sort(key=lambda s: abs(_minutes(s.start.time()) - _minutes(self.when.at)))
            named = sorted(named[:OFFERED_TIMES], key=lambda s: s.start)
        return None, named[:OFFERED_TIMES] or self._nearest(service)

    def _day_times(self, service: Service, day) -> list[Slot]:
        tz = self.tz
        start = datetime.combine(day, time(0), tzinfo=tz)
        return list(self._times(service, start, start + timedelta(days=1)))

    def _times(self, service, start, end):
        return calendar.free_times(self.calendar, service, start=start, end=end, now=self.now)

    def _nearest(self, service: Service) -> list[Slot]:
        return calendar.nearest_free_times(self.calendar, service, OFFERED_TIMES, now=self.now)

    def _fits(self, slot: Slot) -> bool:
        local = slot.start.time()
        if self.when.earliest is not None and local < self.when.earliest:
            return False
        return self.when.latest is None or local < self.when.latest

    def _asked_day(self):
        return self.when.days[0] if self.when.days else self.today

    def _chosen_offer(self) -> Slot | None:
        offered = [slot_from_json(item, self.tz) for item in self.dialog.offered]
        if self.when.choice and 1 <= self.when.choice <= len(offered) and not self.when.days:
            return offered[self.when.choice - 1]
        if self.when.at is not None:
            for slot in offered:
                same_day = not self.when.days or slot.start.date() in self.when.days
                if same_day and slot.start.time() == self.when.at:
                    return slot
        return None

    def _service_named(self) -> Service | None:
        return self._service(self.turn.service) if self.turn.service else None

    def _service(self, code: str) -> Service | None:
        if not code:
            return None
        return Service.objects.filter(clinic=self.clinic, code=code, active=True).first()

    def _upcoming(self, *, include_held: bool) -> list[Appointment]:
        statuses = Appointment.ACTIVE if include_held else ("booked", "confirmed")
        return list(
            Appointment.objects.filter(
                conversation=self.conversation, status__in=statuses, starts_at__gte=self.now
            )
            .exclude(status="held", hold_expires_at__lte=self.now)
            .select_related("service", "provider")
            .order_by("starts_at")[:LISTED_SERVICES]
        )

    def _release_my_hold(self) -> bool:
        """A new request replaces what the patient was asked to confirm: its time goes back."""
        held = self.dialog.appointment
        if self.dialog.step != Step.CONFIRM or held is None or held.status != "held":
            return False
        calendar.cancel(appointment=held, action="hold released")
        self.dialog.appointment = held.replaces
        return True

    # --- saying it ------------------------------------------------------------------------------
    def go(self, step: str, *, offered=None, appointment=None, service=None, then=None) -> None:
        self.dialog.step = step
        self.dialog.offered = offered if offered is not None else []
        if appointment is not None or step == Step.NONE:
            self.dialog.appointment = appointment
        if service is not None:
            self.dialog.service_code = service
        if then is not None:
            self.dialog.then = then

    def say(self, key: str, **values) -> str:
        return texts.text(key, self.language, self.overrides, **values)

    def _name(self, service: Service) -> str:
        return service.display_name(self.language)

    def _describe(self, appointment: Appointment) -> dict:
        provider = appointment.provider
        with_provider = (
            ""
            if provider.is_clinic_chair
            else self.say("with", provider=provider.name_in(self.language))
        )
        local = appointment.starts_at.astimezone(self.tz)
        return {
            "service": self._name(appointment.service),
            "when": texts.when(local, self.language),
            "with_provider": with_provider,
        }

    def _slot_line(self, slot: Slot) -> str:
        line = texts.when(slot.start, self.language)
        provider = self.calendar.providers[slot.provider]
        return line if provider.is_clinic_chair else f"{line} ({provider.name_in(self.language)})"

    def _appointment_line(self, appointment: Appointment) -> str:
        described = self._describe(appointment)
        line = f"{described['when']}: {described['service']}{described['with_provider']}"
        if appointment.status == "held":
            line += f" {self.say('held_line')}"
        return line


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def slot_json(slot: Slot) -> dict:
    return {"provider": slot.provider, "start": slot.start.isoformat(), "end": slot.end.isoformat()}


def slot_from_json(item: dict, tz) -> Slot:
    return Slot(
        provider=item["provider"],
        start=datetime.fromisoformat(item["start"]).astimezone(tz),
        end=datetime.fromisoformat(item["end"]).astimezone(tz),
    )
