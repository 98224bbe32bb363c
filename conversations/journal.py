"""The journal of one accepted message: everything stage B stores of it, and its reply's state.

Each accepted message has one journal (a Redis hash, `cb:j:{instance}:{message id}`, kept by
conversations.hotstore). Stage A writes it, the LLM lane, the outbox and a late answer add to
it, and stage B stores it in the database. This module is its schema: the fields and their
types (`Journal`), the reply's states (`ReplyState`), the encoding of both into the hash's
strings, and the one conditional write that moves a reply from one state to another. Nobody
else names a field: they read a `Journal` and write through `changes(...)`. The fields that
identify the patient or hold what someone wrote (PHI_FIELDS) are sealed with the PHI key on the
way in and opened on the way out, so Redis never holds them in plaintext.

A reply's states:

    UNDECIDED ──> NONE                            (no reply: staff have the conversation, ...)
        ├──> PENDING ──> READY                    (the LLM lane writes it)
        ├──> READY ──> SENDING                    (queued, then claimed with a lease)
        └──> SENDING                              (stage A sends it at once, holding the turn)
    SENDING ──> SENT | UNKNOWN                    (the gateway answered, or never did)
    SENDING ──> FAILED ──> SENDING                (refused: tried again after its backoff)
    SENDING ──> GAVE_UP                           (refused too many times)

Only FAILED is sent again: UNKNOWN went out and no answer came back, so the patient may have it.
A SENDING reply whose lease ran out belongs to a sender that died: it becomes UNKNOWN.
"""

import enum
import logging
import time
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

from channels.registry import DEFAULT_KIND
from security import crypto

logger = logging.getLogger(__name__)


class Kind(enum.StrEnum):
    PATIENT = "patient"  # a patient's message
    STAFF = "staff"  # `fromMe`: someone at the clinic wrote from its phone
    OWN_ECHO = "own_echo"  # `fromMe`: our own reply, reported back by the gateway
    STAFF_SEND = "staff_send"  # written by staff in the admin, queued like a reply


class ReplyState(enum.StrEnum):
    UNDECIDED = ""  # accepted, reply not decided yet (a worker decides it if stage A died)
    NONE = "none"  # no reply
    PENDING = "pending"  # the LLM lane is writing it
    READY = "ready"  # decided, waiting for its turn in the outbox
    SENDING = "sending"  # claimed by one sender until `reply_lease`
    FAILED = "failed"  # the gateway certainly did not send it: it is tried again
    SENT = "sent"
    UNKNOWN = "unknown"  # the request went out and no answer came: never sent again
    GAVE_UP = "gave_up"  # refused too many times: stored as failed, for staff to see


SENDABLE = frozenset({ReplyState.READY, ReplyState.FAILED})
# Nothing more will happen to the reply: the outbox moves past it, stage B's last store is final.
SETTLED = frozenset({ReplyState.SENT, ReplyState.UNKNOWN, ReplyState.NONE, ReplyState.GAVE_UP})
# What a decision may change in the conversation's session. Stage B stores the first four and
# `attention` (why staff should look at the conversation); the booking lane stores `awaiting`
# itself, and `offered_service` (the service a price answer offered to book) and `topic` (what
# the last message asked, which a follow-up such as "and for two?" leans on) live only as long
# as the live session.
SESSION_CHANGES = (
    "language",
    "status",
    "control",
    "control_at",
    "awaiting",
    "offered_service",
    "topic",
    "attention",
)


@dataclass(slots=True)
class Journal:
    # Written at acceptance.
    clinic_id: int = 0
    channel: str = DEFAULT_KIND
    instance: str = ""
    message_id: str = ""
    conversation: str = ""  # conversations.hotstore.conversation_key: no phone in key names
    phone: str = ""
    name: str = ""
    text: str = ""
    kind: Kind = Kind.PATIENT
    has_media: bool = False
    lid: str = ""  # the patient's LID when the message named it beside the phone
    media_kind: str = ""  # channels.base.Media, as the message's row stores it
    media_mime: str = ""
    media_size: int | None = None
    media_content: str = ""
    is_transcript: bool = False  # `text` is a voice note's transcript
    quoted_id: str = ""
    choice_id: str = ""
    received_at: float = 0.0
    ticket: int = 0  # the conversation's arrival order
    session_id: int | None = None  # a staff send: its stored conversation
    control_at: float | None = None  # a staff echo: when staff took the conversation over
    # The decision.
    intent: str = ""
    lane: str = ""
    language: str = ""
    service: str = ""
    session_changes: dict[str, str] = field(default_factory=dict)
    # The reply.
    reply_state: ReplyState = ReplyState.UNDECIDED
    reply_text: str = ""
    reply_lease: float = 0.0
    reply_attempts: int = 0  # sends the gateway refused
    reply_retry_at: float | None = None  # a refused reply's next try, not before
    reply_detail: str = ""
    reply_gateway_id: str = ""
    reply_sent_at: float | None = None
    # Stage A's timings (stored as the MessageMetric).
    fast_lane_ms: float | None = None
    db_ms: float | None = None
    send_ms: float | None = None
    total_ms: float | None = None
    cache_hits: int = 0
    # The LLM lane's answer.
    llm_ms: float | None = None
    llm_model: str = ""
    llm_prompt_tokens: int | None = None
    llm_completion_tokens: int | None = None
    llm_rounds: int = 0
    llm_tools: str = ""
    llm_error: str = ""
    llm_handoff: bool = False
    llm_handoff_reason: str = ""
    llm_started_at: float | None = None
    llm_ready_at: float | None = None
    # The booking lane's answer: how long its database work took.
    booking_ms: float | None = None
    # Bookkeeping of stage B and the sweeps.
    stored_state: str = ""  # the reply state stage B last stored
    late_asked_at: float | None = None
    outbox_due_at: float | None = None

    @property
    def is_patient(self) -> bool:
        return self.kind == Kind.PATIENT

    def lease_expired(self) -> bool:
        return self.reply_lease <= time.time()


# --- encoding: every value is a string in the hash --------------------------------------------

# The fields that say who the patient is or what someone wrote: Redis holds them sealed with the
# PHI key (security.crypto, AES-256-GCM), never in plaintext. The associated data names the
# field, so a value copied into another field (or a database column) does not open.
PHI_FIELDS = frozenset(
    {"phone", "lid", "name", "text", "media_content", "reply_text", "llm_handoff_reason"}
)
PHI_SCOPE = "cb:j"  # the associated data is "cb:j.<field>"


# What a journal keeps once stage B stored it with its reply settled: everything else (its PHI
# among it) is shed. The small hash left, no journal to `decode`, still says "accepted before"
# until it expires.
KEPT_ONCE_STORED = ("reply_state", "stored_state")


def _seal(name: str, value: object) -> str:
    text = _encode(value)
    return crypto.encrypt(text, table=PHI_SCOPE, column=name) if text else ""


def _open(name: str, text: str) -> str:
    """A sealed field's plaintext. A value that is not a token was written before journals were
    sealed (an older version, during a deploy): it is read as it is."""
    if not crypto.is_encrypted(text):
        return text
    return crypto.decrypt(text, table=PHI_SCOPE, column=name)


def _encode(value: object) -> str:
    kind = type(value)
    if kind is str:  # most values, on the webhook's path: no further checks
        return value
    if value is None:
        return ""
    if kind is bool:
        return "1" if value else ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _decoder(annotation):
    """The function that reads one field's string back, from its annotation."""
    arguments = typing.get_args(annotation)
    optional = isinstance(annotation, types.UnionType) and type(None) in arguments
    base = next(a for a in arguments if a is not type(None)) if optional else annotation
    if base is bool:
        return lambda text: text not in ("", "0")
    if base in (int, float):
        if optional:
            return lambda text: base(float(text)) if text else None
        return lambda text: base(float(text)) if text else base()
    if isinstance(base, type) and issubclass(base, enum.Enum):
        # A value this version does not know (written by a newer one, before a rollback) stays
        # the string it is: it matches none of the states the code acts on.
        known = {member.value: member for member in base}
        return lambda text: known.get(text, text)
    return base


_FIELD_TYPES = typing.get_type_hints(Journal)
_DECODERS = {
    f.name: _decoder(_FIELD_TYPES[f.name]) for f in fields(Journal) if f.name != "session_changes"
}
_SESSION_KEYS = {f"session_{name}": name for name in SESSION_CHANGES}
TICKET = "ticket"  # named for conversations.hotstore's acceptance script, which sets it


def changes(**values) -> dict[str, str]:
    """The hash fields for `values` (field names of `Journal`); an unknown name is an error, so
    a typo cannot write a field nobody reads."""
    encoded = {}
    for name, value in values.items():
        if name == "session_changes":
            encoded |= {f"session_{k}": _encode(v) for k, v in _session_changes(value).items()}
        elif name in PHI_FIELDS:
            encoded[name] = _seal(name, value)
        elif name in _DECODERS:
            encoded[name] = _encode(value)
        else:
            raise TypeError(f"the journal has no field {name!r}")
    return encoded


def values_of(journal: Journal) -> dict[str, object]:
    """The journal's fields that differ from a new Journal's: what a hash of it must hold."""
    blank = Journal()
    return {
        f.name: getattr(journal, f.name)
        for f in fields(Journal)
        if getattr(journal, f.name) != getattr(blank, f.name)
    }


def _session_changes(values: Mapping[str, object]) -> Mapping[str, object]:
    unknown = set(values) - set(SESSION_CHANGES)
    if unknown:
        raise TypeError(f"a decision cannot change the session's {sorted(unknown)}")
    return values


def decode(raw: Mapping) -> Journal | None:
    """The journal from its hash (bytes or strings); None when the hash is gone (expired), or
    holds only fields written after it expired (it never had its acceptance's)."""
    if not raw:
        return None
    journal = Journal()
    for key, value in raw.items():
        name = key.decode() if isinstance(key, bytes) else key
        text = value.decode() if isinstance(value, bytes) else value
        if name in _DECODERS:
            _set(journal, name, text)
        elif name in _SESSION_KEYS and text:
            journal.session_changes[_SESSION_KEYS[name]] = text
        # Other names: written by an older version during a deploy; nothing reads them.
    return journal if journal.message_id else None


def _set(journal: Journal, name: str, text: str) -> None:
    try:
        if name in PHI_FIELDS and text:
            text = _open(name, text)
        setattr(journal, name, _DECODERS[name](text))
    except ValueError:  # crypto.DecryptionError too: it names the field and key id only
        # One unreadable value must not stop stage B, which reads journals oldest first.
        logger.error("journal field %s unreadable; left at its default", name)


# --- the one conditional write: move a reply from one state to another ------------------------

# KEYS: journal; ARGV: number of states n, state 1 .. n, field, value, ...
# Writes the fields when the journal exists and its reply is in one of the states; 1 if it did.
TRANSITION_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local state = redis.call('HGET', KEYS[1], 'reply_state') or ''
local n = tonumber(ARGV[1])
for i = 2, n + 1 do
  if state == ARGV[i] then
    redis.call('HSET', KEYS[1], unpack(ARGV, n + 2))
    return 1
  end
end
return 0
"""


def transition_args(from_states: Iterable[ReplyState], fields_: Mapping[str, str]) -> list[str]:
    states = [str(state.value) for state in from_states]
    return [str(len(states)), *states, *(item for pair in fields_.items() for item in pair)]


def transition_allowed(raw: Mapping[str, str], from_states: Iterable[ReplyState]) -> bool:
    """TRANSITION_SCRIPT's rule, for the embedded store (which holds the same strings)."""
    return bool(raw) and raw.get("reply_state", "") in {state.value for state in from_states}
