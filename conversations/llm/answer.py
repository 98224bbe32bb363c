"""One LLM-lane answer, bounded by a deadline: `llm_reply(key, journal=...) -> LLMResult`.

1. Read what the answer needs before the first call: the clinic's facts and price list (process
   caches), the conversation's recent messages (one or two queries), and pick the model.
2. Ask the model with the tools offered; run the tool calls it makes and ask again, at most
   MAX_ROUNDS times; the last round must answer in text. The clinic's own tools run in memory;
   tools other apps registered (conversations.llm.tools.register_tools: the booking tools) are
   bound to this message's patient and may read and write the database, within the deadline.
3. Past the deadline (settings.LLM_DEADLINE_S, 8 s, counted from the message's arrival), on
   any error, on an empty answer, or without an OPENAI_API_KEY, the patient gets a hand-off
   reply in their language that says truthfully when a colleague will look at the question
   (shortly inside the clinic's opening hours, else when it next opens). These hand-offs are
   soft: staff are asked (`attention` "question for staff") and the bot keeps the
   conversation, answering prices, booking and the rest meanwhile. When the model calls
   hand_to_staff, its own words go to the patient; staff take the conversation over
   (`handoff`) only for an urgent case (`attention` "urgent", and the clinic's emergency
   instructions are in the reply) or a patient who asked for a person; for any other reason
   the hand-off is soft.
   An answer that starts late through our own fault (the worker running it died and the
   message was handed to another, or it waited out the deadline in the task queue) gets a
   whole deadline from its start, if the message is at most LATE_ANSWER_WITHIN_S old. If it
   still fails, or the message is older, the hand-off is soft too ("late" in handoff_reason).
4. Past the model-call limits (conversations.llm.limits: per conversation per minute, per
   clinic per day) the model is not asked: the patient gets a polite reply, and the
   conversation stays with the bot (past the clinic's day, staff are asked, softly).

This never raises, and writes nothing but the call counters and what a registered tool does (an
appointment held or booked); conversations.tasks.llm_answer stores and sends the answer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from clinicbot.runtime import aio, clock
from conversations.decide import QUESTION_FOR_STAFF, URGENT
from conversations.directory import clinics
from conversations.journal import Journal
from conversations.llm.adapters import Completion, Deadline, describe
from conversations.llm.capabilities import Purpose, adapter_for, model_for
from conversations.llm.context import AnswerContext, answer_context, reply_overrides
from conversations.llm.limits import Limit, take_model_call
from conversations.llm.tools import URGENT_REASON, Toolbox
from nlu import ClinicInfo, Handoff, handoff_reply, too_many_questions_reply, urgent_reply

logger = logging.getLogger(__name__)

MAX_ROUNDS = 3
MAX_REPLY_CHARS = 1500
# A late answer still makes sense this long after the question: longer than the broker takes to
# hand a dead worker's task over (settings.CELERY_BROKER_TRANSPORT_OPTIONS' visibility_timeout).
LATE_ANSWER_WITHIN_S = 15 * 60


@dataclass(frozen=True, slots=True)
class LLMResult:
    text: str
    handoff: bool  # staff take the conversation over (urgent, or the patient asked for a person)
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_ms: float = 0.0
    error: str = ""  # the failure's class (and status), never a message text
    handoff_reason: str = ""  # hand_to_staff's reason (urgent, booking, ...), or "error"
    rounds: int = 0
    tools: tuple[str, ...] = ()
    # Why staff should look at the conversation (ConversationSession.attention), or "".
    attention: str = ""


@dataclass
class _Tally:
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rounds: int = 0

    def add(self, completion: Completion) -> None:
        self.model = completion.model or self.model
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.rounds += 1


def llm_reply(key: str, *, journal: Journal) -> LLMResult:
    """The answer to the journaled message `key` (instance:message id)."""
    started = time.perf_counter()
    late = _started_late(journal)
    # Late through our own fault, the model gets a whole deadline of its own from now.
    deadline = Deadline(settings.LLM_DEADLINE_S - (0.0 if late else _waited(journal)))
    language = journal.language or "en"
    now = clock.now()
    tally = _Tally()
    toolbox: Toolbox | None = None
    text, error = "", ""
    try:
        if not settings.OPENAI_API_KEY:
            error = "no_api_key"
        elif late and _waited(journal) > LATE_ANSWER_WITHIN_S:
            error = "too_late"  # the conversation has moved on: a colleague answers
        elif limit := _take_model_call(journal):
            return _over_limit(limit, journal, now)
        else:
            context = answer_context(journal)
            deadline.check()
            choice = model_for(Purpose.TOOLS, journal.clinic_id)
            tally.model = choice.name
            toolbox = Toolbox(
                context.clinic,
                context.prices,
                context.language,
                journal,
                deadline=deadline,
                now=now,
            )
            text = _converse(adapter_for(choice), context, toolbox, deadline, tally)
    except Exception as exc:  # noqa: BLE001  (any failure: the patient still gets a reply)
        error = describe(exc)
        logger.warning("LLM answer for %s failed (%s); asking staff, softly", key, error)
    if not text and not error:
        error = "empty_answer"
    handed = bool(toolbox and toolbox.handed_to_staff)
    urgent = handed and toolbox.handoff_reason == URGENT_REASON
    taken = handed and toolbox.takes_over
    clinic = toolbox.clinic if toolbox else _clinic_info(journal)
    if error:
        overrides = reply_overrides(journal)
        text = _fallback_reply(clinic, language, now, overrides, urgent=urgent, taken=taken)
    elif urgent and clinic is not None:
        text = _with_instructions(text, clinic, language)
    return LLMResult(
        text=text,
        handoff=taken,
        model=tally.model,
        prompt_tokens=tally.prompt_tokens,
        completion_tokens=tally.completion_tokens,
        llm_ms=(time.perf_counter() - started) * 1000,
        error=error,
        rounds=tally.rounds,
        tools=tuple(toolbox.calls) if toolbox else (),
        handoff_reason=_handoff_reason(error, late, toolbox if handed else None),
        attention=_attention(urgent=urgent, taken=taken, asked=handed or bool(error)),
    )


def _attention(*, urgent: bool, taken: bool, asked: bool) -> str:
    if urgent:
        return URGENT
    # A soft hand-off (the model could not answer, an error, the deadline): staff are asked.
    return QUESTION_FOR_STAFF if asked and not taken else ""


def _fallback_reply(
    clinic: ClinicInfo | None, language: str, now, overrides: dict, *, urgent: bool, taken: bool
) -> str:
    """The reply when the model's own words cannot go out: the emergency instructions for an
    urgent case, else when a colleague will answer (and, softly, that the bot answers on)."""
    if urgent and clinic is not None:
        return urgent_reply(clinic, language, now, overrides)
    kind = Handoff.TAKEN if taken else Handoff.SOFT
    return handoff_reply(language, clinic, now, kind, overrides)


def _with_instructions(text: str, clinic: ClinicInfo, language: str) -> str:
    """The clinic's own emergency instructions must reach an urgent patient, whatever the model
    made of them."""
    own = clinic.emergency_instructions or {}
    instructions = own.get(language) or own.get(clinic.default_language) or ""
    if not instructions or instructions in text:
        return text
    return f"{instructions}\n\n{text}"


def _clinic_info(journal: Journal) -> ClinicInfo | None:
    """The clinic's facts for a fallback reply (its hours and emergency instructions), from the
    process's clinic directory; None when it cannot say (the reply then says "shortly")."""
    try:
        clinic = aio.run(clinics.get(journal.channel, journal.instance))
    except Exception:  # noqa: BLE001  (a fallback must not fail: the patient still gets a reply)
        return None
    return clinic.info if clinic else None


def _handoff_reason(error: str, late: bool, handed_by: Toolbox | None) -> str:
    if error:
        return "late" if late else "error"
    return handed_by.handoff_reason if handed_by else ""


def _take_model_call(journal: Journal) -> Limit:
    if _rerun(journal):
        return Limit.NONE  # the run that died counted this answer
    return take_model_call(journal.conversation, journal.clinic_id)


def _rerun(journal: Journal) -> bool:
    """An earlier run of the answer started and wrote nothing: its worker died (or was killed)
    and the broker handed the message over again."""
    return journal.llm_started_at is not None


def _started_late(journal: Journal) -> bool:
    """The answer starts after the time it was due through our own fault: its worker died mid
    answer, or the message waited out the deadline in the task queue."""
    return _rerun(journal) or _waited(journal) >= settings.LLM_DEADLINE_S


def _over_limit(limit: Limit, journal: Journal, now) -> LLMResult:
    """The model is not asked. A patient writing too fast is asked to wait a minute; past the
    clinic's day, the question is left to staff (a soft hand-off). Neither takes the
    conversation from the bot: its other answers do not need the model."""
    language = journal.language or "en"
    error = f"limit:{limit}"
    if limit == Limit.CONVERSATION:
        return LLMResult(
            text=too_many_questions_reply(language, reply_overrides(journal)),
            handoff=False,
            error=error,
        )
    overrides = reply_overrides(journal)
    text = handoff_reply(language, _clinic_info(journal), now, Handoff.SOFT, overrides)
    return LLMResult(text=text, handoff=False, error=error, attention=QUESTION_FOR_STAFF)


def _waited(journal: Journal) -> float:
    """How long ago the patient's message arrived: the deadline counts from then, so time spent
    waiting for the conversation's turn or in the task queue is not given to the model again."""
    if not journal.received_at:
        return 0.0
    return max(0.0, time.time() - journal.received_at)


def _converse(adapter, context: AnswerContext, toolbox: Toolbox, deadline, tally) -> str:
    messages = list(context.messages)
    for round_number in range(1, MAX_ROUNDS + 1):
        last = round_number == MAX_ROUNDS
        completion = adapter.generate_with_tools(
            messages, toolbox.schemas, deadline=deadline, tool_choice="none" if last else "auto"
        )
        tally.add(completion)
        if not completion.tool_calls or last:
            return _clean(completion.text)
        messages.append(completion.assistant_message())
        for call in completion.tool_calls:
            messages.append({"role": "tool", "tool_call_id": call.id, "content": toolbox.run(call)})
    return ""


def _clean(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_REPLY_CHARS:
        text = text[:MAX_REPLY_CHARS].rsplit(" ", 1)[0].rstrip() + "…"
    return text
