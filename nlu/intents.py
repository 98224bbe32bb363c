"""What a patient message may want, and everything that differs from one intent to another.

One row per intent in TABLE: the router, the replies, the conversation's session and the
follow-ups all read it, so an intent is added with one row here plus its cue phrases and its
reply in each language's lexicon module. Compiling the lexicons checks both ways: a cue for an
intent without a row, or a row whose reply template a language lacks, is an error at import
instead of an intent that is silently never chosen or never answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum


class Intent(StrEnum):
    GREETING = "greeting"
    PRICE_QUERY = "price_query"
    BOOK = "book"
    APPOINTMENTS = "appointments"
    CONFIRM = "confirm"
    DECLINE = "decline"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HUMAN = "human"
    CLINIC_INFO = "clinic_info"
    THANKS = "thanks"
    # Answered from the clinic's own FAQ or facts (nlu.faq): never read from a lexicon cue, the
    # reply layer (conversations.decide) chooses it when the clinic's FAQ matches confidently.
    FAQ = "faq"
    OTHER = "other"


class CueKind(StrEnum):
    """What a lexicon phrase may stand for besides an intent: signals the router weighs, never
    an answer of their own."""

    BLOCK = "block"  # a hard LLM-lane topic (pain, insurance, after-care)
    SOFT_BLOCK = "soft_block"  # an LLM-lane word a plain price question may carry (doctor)
    RESCHEDULE_TO = "reschedule_to"  # "move it to": a reschedule only before a day or a time
    NEUTRAL = "neutral"  # takes its words from other cues and says nothing itself
    ASKS_WHETHER = "asks_whether"  # "can I", "is it ok": may a procedure be done?
    CONDITION = "condition"  # "if I have": opens a conditional clause


class Reply(Enum):
    """How the fast lane answers an intent."""

    NONE = "none"  # no fast answer: the LLM lane replies
    TEMPLATE = "template"  # the language's REPLIES[template]
    CLINIC_CARD = "clinic_card"  # the clinic's address, phone and opening hours
    PRICE_LIST = "price_list"  # the prices of the services named, or the list
    # The booking lane answers: its reply reads or changes appointments, so it needs the
    # database and never comes from the fast lane (which promises nothing it did not do).
    BOOKING = "booking"


@dataclass(frozen=True, slots=True)
class IntentRow:
    intent: str
    # When a message carries cues of several intents, the lowest wins: the one that matters (an
    # opt-out over anything, a price question over the greeting in front of it). None: never
    # read from a cue (`other`, the answer when nothing else fits).
    priority: int | None
    reply: Reply = Reply.NONE
    # The REPLIES key of a template reply; the intent's own name when not given.
    template: str | None = None
    # What the message sets in the conversation's session (field -> value).
    session: Mapping[str, str] = field(default_factory=dict)
    # Follow-ups react to it even in a conversation with none pending (a nudge after a price
    # question, an answer to a reminder, an opt-out).
    followups_react: bool = False
    # Small talk: it does not outweigh another cue's weak reading ("привет, сколько стоит").
    social: bool = False
    # A short answer ("да", "ok", "спасибо"): a couple of extra words may come with it, and a
    # question whether a procedure may be done is not one.
    short_answer: bool = False
    # A request about the appointment or the conversation itself: naming the doctor or the child
    # ("отменить приём у доктора Иванова") does not make it a medical question.
    administrative: bool = False
    # A negation just before its cue makes it something else ("I'm not cancelling").
    negatable: bool = False

    @property
    def template_key(self) -> str:
        return self.template or self.intent

    @property
    def template_keys(self) -> tuple[str, ...]:
        """The REPLIES keys every language must have for this row."""
        if self.reply is Reply.TEMPLATE:
            return (self.template_key,)
        return ()


TABLE: dict[str, IntentRow] = {
    row.intent: row
    for row in (
        IntentRow(
            Intent.OPT_OUT,
            priority=10,
            reply=Reply.TEMPLATE,
            session={"status": "opted_out"},
            followups_react=True,
            administrative=True,
        ),
        IntentRow(
            Intent.OPT_IN,
            priority=20,
            reply=Reply.TEMPLATE,
            session={"status": "active"},
            administrative=True,
        ),
        IntentRow(
            Intent.HUMAN,
            priority=30,
            reply=Reply.TEMPLATE,
            session={"control": "staff"},
            administrative=True,
            negatable=True,
        ),
        IntentRow(
            Intent.CANCEL, priority=40, reply=Reply.BOOKING, administrative=True, negatable=True
        ),
        IntentRow(Intent.APPOINTMENTS, priority=45, reply=Reply.BOOKING, administrative=True),
        IntentRow(
            Intent.RESCHEDULE,
            priority=50,
            reply=Reply.BOOKING,
            administrative=True,
            negatable=True,
        ),
        # Above a price question ("запишите на чистку, сколько стоит?"), below a cancel or a
        # reschedule.
        IntentRow(Intent.BOOK, priority=60, reply=Reply.BOOKING, administrative=True),
        # Below a cancel, a move or a booking that names the appointment ("cancel my
        # appointment" is a cancel).
        IntentRow(Intent.APPOINTMENTS, priority=65, reply=Reply.BOOKING, administrative=True),
        IntentRow(Intent.PRICE_QUERY, priority=70, reply=Reply.PRICE_LIST, followups_react=True),
        IntentRow(Intent.CLINIC_INFO, priority=80, reply=Reply.CLINIC_CARD),
        IntentRow(
            Intent.DECLINE,
            priority=90,
            reply=Reply.TEMPLATE,
            followups_react=True,
            short_answer=True,
        ),
        # A yes with nothing pending: the reply acknowledges and claims nothing. A yes to an
        # offer or a reminder goes to the booking lane (conversations.decide).
        IntentRow(
            Intent.CONFIRM,
            priority=100,
            reply=Reply.TEMPLATE,
            followups_react=True,
            short_answer=True,
        ),
        IntentRow(
            Intent.THANKS, priority=110, reply=Reply.TEMPLATE, social=True, short_answer=True
        ),
        IntentRow(
            Intent.GREETING, priority=120, reply=Reply.TEMPLATE, social=True, short_answer=True
        ),
        # No cue and no template: the answer is the clinic's FAQ entry (nlu.faq.FaqIndex).
        IntentRow(Intent.FAQ, priority=None),
        IntentRow(Intent.OTHER, priority=None),
    )
}


def row_of(intent: str) -> IntentRow:
    """The intent's row; `other`'s for a name the table does not know."""
    return TABLE.get(intent) or TABLE[Intent.OTHER]


def intents_where(column: str) -> frozenset[str]:
    """The intents whose row has this flag set, as the table stands now."""
    return frozenset(row.intent for row in TABLE.values() if getattr(row, column))


def priority_order() -> tuple[str, ...]:
    """Intents and cue kinds that compete for a message, the one that wins first."""
    ranked = [(row.priority, row.intent) for row in TABLE.values() if row.priority is not None]
    return tuple(name for _, name in sorted(ranked))


class IntentTableError(ValueError):
    """The intent table and the lexicons disagree."""


def check_row(row: IntentRow) -> None:
    """A new row must not take an intent's name or another's priority (the order among cues
    would then depend on which came first)."""
    if row.intent in TABLE:
        raise IntentTableError(f"the intent '{row.intent}' already has a row")
    taken = {r.priority: r.intent for r in TABLE.values() if r.priority is not None}
    if row.priority is not None and row.priority in taken:
        raise IntentTableError(
            f"the intent '{row.intent}' has the priority {row.priority} of '{taken[row.priority]}'"
        )
