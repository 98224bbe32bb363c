"""The LLM lane's booking tools: check_availability, hold_appointment, book_appointment,
my_appointments, cancel_appointment and reschedule_appointment (registered with
conversations.llm.tools by AppointmentsConfig.ready).

Bound to one patient: the tools of an answer work on the conversation of the message being
answered (its clinic and phone). An appointment id the model passes must be one of that
conversation's; any other id, another patient's or none at all, gets the same error, so the
model cannot even learn that it exists.

One dialogue with the rule lane: every call runs appointments.dialog's pieces on the
conversation's BookingDialog row, locked for the call's one transaction, and leaves it as the
rule dialogue would (times offered, a time held and waiting for a yes, times offered for a
move), with the conversation's `awaiting` to match. The patient's next "2", "yes" or "no" is
then read against it whichever lane it reaches: a plain "yes" to a hold goes to the booking lane
(conversations.decide), which books it there.

Dates are the patient's own words (`when`), read by nlu.when on the clinic's date in the
patient's language (then in English, for words the model translated); the model never computes
a date, and options are numbers into the last list offered.

book_appointment books only the conversation's held time, and only on the patient's own yes:
the message being answered arrived after the hold was made and says yes, as a whole (its
intent, journal.intent, is `confirm`) or in one of its sentences ("Yes please. Will it
hurt?"), with no sentence saying no, cancel or move and no other day or time in it. What the
model says the patient meant never counts; a yes in an earlier message went to the booking
lane, which booked the hold itself.

Bounded: one short transaction per call; on PostgreSQL its statements and lock waits are cut
to the answer's time left less a reserve for the model's reply, and no call starts when less
than MIN_CALL_S would be left. Results and logs carry no phone number and no name: an
appointment is its id, service, time and provider.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from django.db import DatabaseError, connection, transaction

from appointments import texts

# The rule dialogue's own pieces, so both lanes read and leave the dialogue the same way.
from appointments.dialog import Talk, Turn, awaiting_of, dialog_locked, slot_from_json, slot_json
from appointments.models import Appointment, BookingDialog
from appointments.services import calendar
from appointments.services.calendar import HOLD_FOR, NotAllowed, SlotTaken
from appointments.slots import Slot
from clinicbot.runtime import aio
from conversations.hotstore import hot_store, message_key
from conversations.llm.tools import Toolbox, register_tools
from conversations.models import Clinic
from conversations.services.storage import conversation_get_or_create
from nlu import Intent, understand
from nlu.lexicon import LANGUAGES
from nlu.when import When, read_when
from pricing.models import Service

logger = logging.getLogger(__name__)

Step = BookingDialog.Step
Status = Appointment.Status
# The model still has to write its reply after a tool: the tool leaves it this much time.
REPLY_RESERVE_S = 1.5
# A call that would have less than this is not started (nothing half done at the deadline).
MIN_CALL_S = 0.5
# Never more than the connection's own statement timeout (clinicbot.runtime.dbconfig).
STATEMENT_CAP_S = 5.0
SERVICES_LISTED = 10
# Where a message splits into sentences for reading a yes in it.
_SENTENCES = re.compile(r"[.!?;,\n]+")
# A sentence that reads as one of these takes the yes back ("Yes. No, cancel it").
_NOT_A_YES = frozenset({Intent.DECLINE, Intent.CANCEL, Intent.RESCHEDULE})

_WHEN = {
    "type": "string",
    "description": (
        "When the patient wants to come, in the patient's own words and language, copied "
        "from their message (e.g. 'tomorrow after 3', 'в пятницу утром'). Never a date you "
        "worked out. Empty for the soonest free times."
    ),
}
_APPOINTMENT_ID = {
    "type": "integer",
    "description": "The appointment's id, from my_appointments.",
}


def _schema(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


SCHEMAS: list[dict] = [
    _schema(
        "check_availability",
        "Free times for a service, numbered. Offer only these times. A new search lets a time "
        "held in this conversation go.",
        {
            "service": {"type": "string", "description": "The service as the patient named it."},
            "when": _WHEN,
        },
        ["service"],
    ),
    _schema(
        "hold_appointment",
        "Hold one of the times the last check_availability or reschedule_appointment offered, "
        "for 10 minutes, while you ask the patient to confirm it with a yes. Holding is not "
        "booking.",
        {"option": {"type": "integer", "description": "The option's number in that list."}},
        ["option"],
    ),
    _schema(
        "book_appointment",
        "Book the time held in this conversation (or move the appointment it replaces). Call it "
        "only when the patient's message says yes to the held time; it is refused otherwise.",
        {},
        [],
    ),
    _schema(
        "my_appointments",
        "The patient's upcoming appointments (and a time held for them), with their ids.",
        {},
        [],
    ),
    _schema(
        "cancel_appointment",
        "Cancel one of the patient's appointments, when they asked to cancel it.",
        {"appointment_id": _APPOINTMENT_ID},
        ["appointment_id"],
    ),
    _schema(
        "reschedule_appointment",
        "Free times to move one of the patient's appointments to, numbered. Then "
        "hold_appointment holds the new time while the old one stays booked, and "
        "book_appointment, after the patient's yes, moves it.",
        {"appointment_id": _APPOINTMENT_ID, "when": _WHEN},
        ["appointment_id"],
    ),
]

RULE = (
    "Appointments: book, move, cancel and list them with the booking tools. Give the tools the "
    "patient's own words for the day and time; never work out a date yourself. Offer only "
    "times a tool returned. Hold the time the patient picks, ask them to confirm it, and call "
    "book_appointment only after they say yes. Say a time is held, booked, moved or cancelled "
    "only when a tool's result says so."
)


def llm_tools_register() -> None:
    """Offer the booking tools to the LLM lane (AppointmentsConfig.ready)."""
    register_tools(SCHEMAS, BookingTools, rule=RULE)


class BookingTools:
    """The booking tools of one answer, bound to the patient of the message it answers: the
    executor conversations.llm.tools calls with (tool name, arguments). The clinic and the
    conversation are looked up on the first call and kept for the answer's later calls."""

    def __init__(self, toolbox: Toolbox):
        self.toolbox = toolbox
        self.journal = toolbox.journal
        self.deadline = toolbox.deadline
        self.language = toolbox.language if toolbox.language in LANGUAGES else "en"
        self._clinic: Clinic | None = None
        self._conversation = None
        self._unread_when = False  # this call's `when` had words, and nlu read nothing in them

    def __call__(self, name: str, arguments: dict) -> dict:
        budget = self._budget()
        if budget is not None and budget < MIN_CALL_S:
            return {
                "error": "No time is left to use the calendar in this answer; nothing was "
                "changed. Tell the patient a colleague will reply soon."
            }
        tool = getattr(self, f"_{name}")
        try:
            with transaction.atomic():
                self._bound(budget)
                talk = self._talk(str(arguments.get("when") or ""))
                before = _state(talk.dialog)
                result = tool(talk, arguments)
                awaiting = self._save(talk) if _state(talk.dialog) != before else None
        except DatabaseError as exc:  # a statement or lock wait cut by the bound, or worse
            logger.warning("booking tool %s: database error (%s)", name, type(exc).__name__)
            return {"error": "The calendar could not be used in time; nothing was changed."}
        if awaiting is not None:
            self._publish(awaiting)
        return result

    # --- the tools ------------------------------------------------------------------------------
    def _check_availability(self, talk: Talk, arguments: dict) -> dict:
        service, problem = self._service(talk, str(arguments.get("service") or ""))
        if problem is not None:
            return problem
        talk._release_my_hold()  # a new search lets the held time go, as the rule lane does
        return self._offer(talk, service, step=Step.SLOT)

    def _hold_appointment(self, talk: Talk, arguments: dict) -> dict:
        dialog = talk.dialog
        offered = dialog.offered if dialog.step in (Step.SLOT, Step.MOVE, Step.CONFIRM) else []
        if not offered:
            return {
                "error": "No times are on offer in this conversation: call check_availability "
                "(or reschedule_appointment) first."
            }
        option = _number(arguments.get("option"))
        if option is None or not 1 <= option <= len(offered):
            return {"error": f"option must be a number from 1 to {len(offered)}."}
        service = talk._service(dialog.service_code)
        if service is None:
            return {"error": "The service is no longer offered: call check_availability again."}
        replacing = _replacing(dialog)
        slot = slot_from_json(offered[option - 1], talk.calendar.tz)
        return self._hold(talk, service, slot, offered, replacing)

    def _book_appointment(self, talk: Talk, arguments: dict) -> dict:
        held = talk.dialog.appointment if talk.dialog.step == Step.CONFIRM else None
        if held is None or held.status != Status.HELD:
            return _not_booked(
                "There is no held time in this conversation to book: check availability, hold "
                "the time the patient picks and ask them to confirm it."
            )
        if not self._said_yes_to(held, talk):
            return _not_booked(
                "The patient has not said yes to the held time in their message (a yes must "
                "come from the patient after the hold was made). Ask them to confirm it.",
                held=self._appointment(talk, held),
            )
        try:
            booked = calendar.book_held(appointment=held, now=talk.now)
        except NotAllowed:  # the hold ran out and another booking took its time
            talk.go(Step.NONE)
            return _not_booked("The hold ran out and the time was taken: check availability.")
        talk.go(Step.NONE)
        result = {"status": booked.status, **self._appointment(talk, booked)}
        if booked.replaces_id:
            old = Appointment.objects.select_related("service", "provider").get(
                pk=booked.replaces_id
            )
            result["moved_from"] = self._appointment(talk, old)
        return result

    def _my_appointments(self, talk: Talk, arguments: dict) -> dict:
        mine = talk._upcoming(include_held=True)
        result = {"appointments": [self._appointment(talk, a) for a in mine]}
        if not mine:
            result["note"] = "The patient has no upcoming appointments."
        return result

    def _cancel_appointment(self, talk: Talk, arguments: dict) -> dict:
        appointment, problem = self._mine(talk, arguments.get("appointment_id"))
        if problem is not None:
            return problem
        if not appointment.is_active:
            return {"error": f"That appointment is {appointment.status}: nothing to cancel."}
        # A new time held to move it goes with it: booking that hold would bring it back.
        moves = list(
            Appointment.objects.filter(
                replaces=appointment, status=Status.HELD, conversation=talk.conversation
            )
        )
        for held in moves:
            calendar.cancel(appointment=held, action="hold released")
        action = "hold released" if appointment.status == Status.HELD else "cancelled"
        cancelled = calendar.cancel(appointment=appointment, action=action)
        if talk.dialog.appointment_id in {appointment.pk, *(held.pk for held in moves)}:
            talk.go(Step.NONE)
        return {"status": cancelled.status, **self._appointment(talk, cancelled)}

    def _reschedule_appointment(self, talk: Talk, arguments: dict) -> dict:
        appointment, problem = self._mine(talk, arguments.get("appointment_id"))
        if problem is not None:
            return problem
        upcoming = appointment.starts_at >= talk.now
        if appointment.status not in (Status.BOOKED, Status.CONFIRMED) or not upcoming:
            return {"error": "Only an upcoming booked appointment can be moved."}
        talk._release_my_hold()
        result = self._offer(talk, appointment.service, step=Step.MOVE, moving=appointment)
        return {"moving": self._appointment(talk, appointment), **result}

    # --- offering and holding -------------------------------------------------------------------
    def _offer(self, talk: Talk, service: Service, *, step: str, moving=None, note="") -> dict:
        """The free times the `when` words ask for (the exact time when it is free), kept in
        the dialogue as the options hold_appointment takes."""
        exact, nearest = talk._search(service)
        slots = [exact] if exact is not None else nearest
        result: dict = {"service": service.display_name(self.language)}
        if not slots:
            talk.go(Step.NONE)
            return result | {"options": [], "note": "No free time then: ask for another day."}
        offered = [slot_json(slot) for slot in slots]
        talk.go(step, offered=offered, appointment=moving, service=service.code)
        result["options"] = [
            {"option": number, **self._slot(talk, slot)} for number, slot in enumerate(slots, 1)
        ]
        if not note and self._unread_when:
            note = "No day or time could be read in `when`: these are the soonest free times."
        elif not note and exact is None and talk.when.at is not None:
            note = "The exact time asked for is not free: these are the nearest free times."
        result["note"] = note or "Offer these; hold the one the patient picks by its number."
        return result

    def _hold(self, talk: Talk, service: Service, slot: Slot, offered: list, replacing) -> dict:
        try:
            held = talk.take(service, slot, replacing=replacing)  # the time held before goes back
        except SlotTaken:
            talk.when = When()  # the soonest times instead
            step = Step.MOVE if replacing is not None else Step.SLOT
            taken = "That time has just been taken; nothing is held. The nearest free times:"
            return {"status": "taken"} | self._offer(
                talk, service, step=step, moving=replacing, note=taken
            )
        # The options stay: the patient may still pick another of them instead.
        talk.go(Step.CONFIRM, offered=offered, appointment=held, service=service.code)
        result = {
            "status": "held",
            **self._appointment(talk, held),
            "held_for_minutes": int(HOLD_FOR.total_seconds() // 60),
            "note": "Not booked yet: ask the patient to confirm it with a yes.",
        }
        if replacing is not None:
            result["replaces"] = self._appointment(talk, replacing)
        return result

    # --- the patient's yes ----------------------------------------------------------------------
    def _said_yes_to(self, held: Appointment, talk: Talk) -> bool:
        """The message being answered came after the hold was made and says yes."""
        journal = self.journal
        if not journal.received_at:
            return False
        received = datetime.fromtimestamp(journal.received_at, tz=UTC)
        if held.created_at >= received:
            return False  # held while answering this very message: the yes is still to come
        if journal.intent == Intent.CONFIRM:
            return True
        return says_yes(journal.text, self.language, today=talk.today)

    # --- helpers ----------------------------------------------------------------------------------
    def _budget(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline.remaining() - REPLY_RESERVE_S

    def _bound(self, budget: float | None) -> None:
        """No statement or lock wait of this transaction outlives the answer's budget."""
        if budget is None or connection.vendor != "postgresql":
            return
        limit = f"{int(min(max(budget, MIN_CALL_S), STATEMENT_CAP_S) * 1000)}ms"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true), "
                "set_config('lock_timeout', %s, true)",
                [limit, limit],
            )

    def _talk(self, when_words: str) -> Talk:
        """The rule dialogue's view of this conversation, with its row locked until commit."""
        clinic, conversation = self._patient()
        dialog = dialog_locked(conversation)
        journal = self.journal
        turn = Turn(
            key=message_key(journal.instance, journal.message_id),
            clinic_id=clinic.pk,
            phone=journal.phone,
            language=self.language,
            intent=journal.intent,
            service="",
            text="",
        )
        talk = Talk(clinic, conversation, dialog, turn)
        talk.when = self._read_when(when_words, talk)
        return talk

    def _patient(self):
        if self._conversation is None:
            self._clinic = Clinic.objects.get(pk=self.journal.clinic_id)
            self._conversation = conversation_get_or_create(
                clinic_id=self._clinic.pk, phone=self.journal.phone, lid=self.journal.lid
            )
        return self._clinic, self._conversation

    def _read_when(self, words: str, talk: Talk) -> When:
        self._unread_when = False
        if not words.strip():
            return When()
        when = read_when(words, self.language, today=talk.today)
        if when.empty and self.language != "en":
            when = read_when(words, "en", today=talk.today)
        self._unread_when = when.empty
        return when

    def _save(self, talk: Talk) -> str:
        """Store the dialogue and the conversation's `awaiting` (what routes the next
        message); the awaiting to publish after commit."""
        talk.dialog.save()
        awaiting = awaiting_of(talk.dialog)
        conversation = talk.conversation
        if conversation.awaiting != awaiting:
            conversation.awaiting = awaiting
            conversation.save(update_fields=["awaiting", "updated_at"])
        return awaiting

    def _publish(self, awaiting: str) -> None:
        """The live session routes the patient's next message: tell it, as the booking lane's
        answers do. Best effort, after the commit: the stored conversation has it either way,
        and the tool's result stands."""
        if not self.journal.conversation:
            return
        try:
            aio.run(_session_awaits(self.journal.conversation, awaiting), timeout=1.0)
        except Exception as exc:  # noqa: BLE001  (Redis down or slow: the result still stands)
            logger.warning("booking tool: session not updated (%s)", type(exc).__name__)

    def _service(self, talk: Talk, words: str) -> tuple[Service | None, dict | None]:
        """The one active service the words name, or the error that asks which."""
        entries = self.toolbox.services_named(words)
        codes = list(dict.fromkeys(entry.code for entry in entries)) or [words.strip().lower()]
        service = talk._service(codes[0]) if len(codes) == 1 else None
        if service is not None:
            return service, None
        listed = entries or list(self.toolbox.prices or [])
        names = [entry.name_in(self.language) for entry in listed[:SERVICES_LISTED]]
        return None, {"error": "Which service? Ask the patient to choose one.", "services": names}

    def _mine(self, talk: Talk, raw_id) -> tuple[Appointment | None, dict | None]:
        """The conversation's appointment of that id, or the error the model reads."""
        pk = _number(raw_id)
        appointment = (
            Appointment.objects.select_related("service", "provider")
            .filter(pk=pk, conversation=talk.conversation)
            .first()
            if pk is not None
            else None
        )
        if appointment is None:
            return None, {
                "error": "No appointment of this patient has that id: call my_appointments "
                "for their ids."
            }
        return appointment, None

    def _appointment(self, talk: Talk, appointment: Appointment) -> dict:
        local = appointment.starts_at.astimezone(talk.calendar.tz)
        described = {
            "appointment_id": appointment.pk,
            "service": appointment.service.display_name(self.language),
            "when": texts.when(local, self.language),
            "starts_at": local.isoformat(timespec="minutes"),
            "status": appointment.status,
        }
        if not appointment.provider.is_clinic_chair:
            described["with"] = appointment.provider.name_in(self.language)
        return described

    def _slot(self, talk: Talk, slot: Slot) -> dict:
        local = slot.start.astimezone(talk.calendar.tz)
        described = {
            "when": texts.when(local, self.language),
            "starts_at": local.isoformat(timespec="minutes"),
        }
        provider = talk.calendar.providers[slot.provider]
        if not provider.is_clinic_chair:
            described["with"] = provider.name_in(self.language)
        return described


def says_yes(text: str, language: str, *, today) -> bool:
    """The patient's message says yes: one of its sentences reads as `confirm`, none as a
    no, a cancel or a move, and it names no other day, time or option."""
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    intents = {
        understand(
            s, catalog=None, conversation_language=language, default_language=language
        ).intent
        for s in sentences
    }
    if Intent.CONFIRM not in intents or not intents.isdisjoint(_NOT_A_YES):
        return False
    return read_when(text, language, today=today).empty


async def _session_awaits(conversation: str, awaiting: str) -> None:
    # The hot store belongs to the event loop it is used on: aio.run's.
    await hot_store().session_save(conversation, {"awaiting": awaiting})


def _state(dialog: BookingDialog) -> tuple:
    return (
        dialog.step,
        list(dialog.offered),
        dialog.appointment_id,
        dialog.service_code,
        dialog.then,
    )


def _replacing(dialog: BookingDialog) -> Appointment | None:
    """The appointment a hold of the offered times would move: the one offered for a move,
    or the one the current hold already moves."""
    if dialog.step == Step.MOVE:
        return dialog.appointment
    if dialog.step == Step.CONFIRM and dialog.appointment is not None:
        return dialog.appointment.replaces
    return None


def _number(value) -> int | None:
    """A whole number the model passed (as a number or digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _not_booked(reason: str, **more) -> dict:
    return {"error": f"Not booked. {reason}", "booked": False, **more}
