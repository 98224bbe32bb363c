"""Which lane answers a patient message, and with what: pure, in memory, no I/O.

The fast lane answers what the language layer understands with confidence. The booking lane
answers what reads or changes appointments (it needs the database, so it is never the fast lane):
a booking, a cancel, a move, "when is my appointment?", and the patient's next word in a booking
dialogue ("2", "yes", "friday at 10"). Everything else goes to the LLM lane. Nobody answers where
staff have taken the conversation over.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime

from conversations.directory import ClinicSnapshot
from conversations.journal import ReplyState
from conversations.models import Lane
from nlu import (
    Handoff,
    Intent,
    PriceIndex,
    Reply,
    compose_reply,
    handoff_reply,
    is_urgent,
    text_required_reply,
    understand,
    urgent_reply,
)
from nlu.context import Topic, next_topic
from nlu.faq import FaqMatch
from nlu.intents import row_of
from nlu.router import Understanding
from nlu.when import names_a_day_or_time

STAFF = "staff"
# Why a conversation is flagged for staff (ConversationSession.attention). Stage B tells the
# clinic's on-duty staff about the urgent ones and the questions (notifications).
VOICE_NOT_TRANSCRIBED = "voice note not transcribed"
URGENT = "urgent"  # an urgent symptom: handed to staff at once
QUESTION_FOR_STAFF = "question for staff"  # a soft hand-off: staff asked, the bot answers on
# A fast-lane reply waits in the outbox unless stage A sends it at once (it then claims it).
INITIAL_REPLY_STATE = {
    Lane.NONE: ReplyState.NONE,
    Lane.LLM: ReplyState.PENDING,
    Lane.BOOKING: ReplyState.PENDING,
    Lane.FAST: ReplyState.READY,
}
# The session's `awaiting` while a booking dialogue waits for the patient's answer
# (appointments.dialog sets it); "booking:service" when it asked which service.
AWAITING_BOOKING = "booking"
AWAITING_SERVICE = "booking:service"
# Set after a price answer about one service, which asks "would you like to book?": a yes then
# books that service.
OFFERED_SERVICE = "offered_service"
# What the last message asked ("price_query crown"; nlu.context.Topic), for a follow-up to lean
# on: after a crown's price, "а если два?" asks for two crowns and "ok" books nothing.
TOPIC = "topic"
# Answers the booking dialogue reads; anything else mid-dialogue (a greeting, a question for
# the LLM lane, "stop", "a person please") goes where it would have gone anyway.
_DIALOGUE_ANSWERS = frozenset({Intent.CONFIRM, Intent.DECLINE, Intent.OTHER})
# Fast answers the clinic's FAQ may stand in for when it matches the message confidently.
_FAQ_MAY_REPLACE = frozenset(
    {Intent.CLINIC_INFO, Intent.GREETING, Intent.THANKS, Intent.CONFIRM, Intent.DECLINE}
)


@dataclass(frozen=True, slots=True)
class Decision:
    intent: str
    lane: str
    language: str
    text: str | None = None
    service: str | None = None
    # What this message changes in the conversation (language, opt-out, hand-off to staff).
    session_changes: dict = field(default_factory=dict)

    def journal_values(self) -> dict:
        """What the message's journal records of the decision (conversations.journal)."""
        return {
            "intent": self.intent,
            "lane": self.lane,
            "language": self.language,
            "service": self.service or "",
            "reply_text": self.text or "",
            "reply_state": INITIAL_REPLY_STATE[self.lane],
            "session_changes": self.session_changes,
        }


def reply_decide(
    *,
    text: str,
    has_media: bool,
    clinic: ClinicSnapshot,
    session: dict,
    prices: PriceIndex | None,
    quotes: bool = False,
    voice_unheard: bool = False,
    now: datetime | None = None,
) -> Decision:
    """`quotes`: the message quotes (answers) an earlier message of the conversation.
    `voice_unheard`: the message is a voice note nobody could transcribe (conversations.voice):
    the patient is asked to type, and the conversation is flagged for staff.
    `now`: the clinic's clock (clinicbot.runtime.clock), which says whether a hand-off reply
    may promise an answer shortly or names when the clinic opens; None: it says shortly."""
    known_language = session.get("language") or None
    overrides = _reply_overrides(prices)
    changes = {}
    if session.get("control") == STAFF and _staff_time_is_up(session, clinic):
        # Staff took over long enough ago: the bot answers again (and says so in the journal).
        session = session | {"control": "bot"}
        changes = {"control": "bot", "control_at": time.time()}
    if voice_unheard:
        changes["attention"] = VOICE_NOT_TRANSCRIBED
    if has_media and not text:
        language = known_language or clinic.default_language
        # Control before anything else: where staff are writing, the bot answers nothing.
        if session.get("control") == STAFF:
            return Decision(Intent.OTHER, Lane.NONE, language, None, None, changes)
        reply = text_required_reply(language, overrides)
        return Decision(Intent.OTHER, Lane.FAST, language, reply, None, changes)
    topic = Topic.decode(session.get(TOPIC))
    understood = understand(
        text,
        catalog=prices,
        conversation_language=known_language,
        default_language=clinic.default_language,
        topic=topic,
    )
    service = understood.service_codes[0] if understood.service_codes else None
    changes |= _session_changes(understood.intent, understood.language)
    changes |= _topic_change(understood, topic, session)
    if is_urgent(text, understood.language):
        return _urgent(understood.language, clinic, session, now, service, changes, overrides)
    if session.get("control") == STAFF:
        return Decision(understood.intent, Lane.NONE, understood.language, None, service, changes)
    if _for_the_booking_lane(understood, session, text, quotes):
        service = service or session.get(OFFERED_SERVICE) or None
        return Decision(
            understood.intent, Lane.BOOKING, understood.language, None, service, changes
        )
    reply = compose_reply(understood, catalog=prices, clinic=clinic.info, overrides=overrides)
    if understood.intent == Intent.HUMAN:  # says when a colleague will answer, truthfully
        reply = handoff_reply(understood.language, clinic.info, now, Handoff.REQUESTED, overrides)
    intent, language = understood.intent, understood.language
    if faq := _faq_match(text, understood, prices, reply):
        intent, language, reply = Intent.FAQ, faq.language, faq.answer
        changes["language"] = language
    lane = Lane.LLM if reply is None else Lane.FAST
    offered = _offered(understood) if lane == Lane.FAST else ""
    if offered != session.get(OFFERED_SERVICE, ""):  # written only when it changes
        changes[OFFERED_SERVICE] = offered
    return Decision(intent, lane, language, reply, service, changes)


def _faq_match(
    text: str, understood: Understanding, prices: PriceIndex | None, reply: str | None
) -> FaqMatch | None:
    """The clinic's FAQ entry (or fact) the message asks for, when the index is confident and
    nothing better answers: a message for the LLM lane (`other`, or a topic blocked for it such
    as insurance), or one read as the clinic card or a short social word that the clinic's own
    words match ("is there parking?" may read as clinic_info, "¿hay aparcamiento?" as "hey").
    A price, booking or any other fast answer is never replaced."""
    faq = prices.extras.get("faq") if prices is not None else None
    if not faq or understood.also:
        return None
    if reply is not None and understood.intent not in _FAQ_MAY_REPLACE:
        return None
    if reply is None and row_of(understood.intent).reply is not Reply.NONE:
        return None  # a price question without a price list: the LLM lane, as before
    return faq.match(text, understood.language)


def _urgent(
    language: str,
    clinic: ClinicSnapshot,
    session: dict,
    now: datetime | None,
    service: str | None,
    changes: dict,
    overrides: dict,
) -> Decision:
    """An urgent symptom, whatever else the message asks (a price, a booking): staff take the
    conversation and are flagged at once, and the patient gets the clinic's emergency
    instructions. Where staff have the conversation already, the bot still says nothing."""
    changes["attention"] = URGENT
    if session.get("control") == STAFF:
        return Decision(Intent.HUMAN, Lane.NONE, language, None, service, changes)
    changes |= _session_changes(Intent.HUMAN, language)
    reply = urgent_reply(clinic.info, language, now, overrides)
    return Decision(Intent.HUMAN, Lane.FAST, language, reply, service, changes)


def _reply_overrides(prices: PriceIndex | None) -> dict:
    """The clinic's own words for fixed replies, held in memory beside its prices
    (knowledge.apps registers them with pricing.cache)."""
    return prices.extras.get("replies", {}) if prices is not None else {}


def _for_the_booking_lane(
    understood: Understanding, session: dict, text: str, quotes: bool
) -> bool:
    intent = understood.intent
    if row_of(intent).reply is Reply.BOOKING:
        return True
    if quotes and intent in (Intent.CONFIRM, Intent.DECLINE):
        # A yes or no quoting a message may answer an appointment's reminder, whatever the
        # dialogue waits for now: which message it quotes only the database can say.
        return True
    awaiting = session.get("awaiting") or ""
    if awaiting.startswith(AWAITING_BOOKING):
        if intent in (Intent.CONFIRM, Intent.DECLINE):
            return True
        if awaiting == AWAITING_SERVICE and intent == Intent.PRICE_QUERY:
            return True  # "a cleaning", answering "which service?"
        if intent == Intent.OTHER:
            # A number, a day or a time answers the dialogue; another question does not.
            return names_a_day_or_time(text, understood.language)
    return intent == Intent.CONFIRM and bool(session.get(OFFERED_SERVICE))


def _topic_change(understood: Understanding, before: Topic | None, session: dict) -> dict:
    """The conversation's topic after this message, written only when it changes."""
    after = next_topic(understood, before)
    encoded = after.encode() if after else ""
    return {TOPIC: encoded} if encoded != session.get(TOPIC, "") else {}


def _offered(understood: Understanding) -> str:
    """The service a fast price answer offers to book, or "" (a later yes books nothing)."""
    if understood.intent == Intent.PRICE_QUERY and len(understood.service_codes) == 1:
        return understood.service_codes[0]
    return ""


def _staff_time_is_up(session: dict, clinic: ClinicSnapshot) -> bool:
    taken_at = float(session.get("control_at") or 0)
    return taken_at > 0 and time.time() - taken_at > clinic.handoff_release_hours * 3600


def _session_changes(intent: str, language: str) -> dict:
    """The language, and what the intent's row sets in the session; a hand-off to staff also
    notes when, so that the bot can take the conversation back after a while."""
    changes = {"language": language, **row_of(intent).session}
    if changes.get("control") == STAFF:
        changes["control_at"] = time.time()
    return changes
