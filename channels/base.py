"""What every channel speaks: the inbound message, the outcome of a send, a file fetched from the
gateway, and the protocols a channel implements (its webhook and its sender, and optionally the
fetching of a message's file)."""

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class MalformedPayload(ValueError):
    """The body is not a webhook the channel can read; the message names the field, never the
    patient's text."""


# What the database holds of an inbound message (conversations.models: Message.wa_message_id,
# Clinic.whatsapp_instance). A value it cannot hold is refused before the message is accepted:
# accepted, it would be answered and then never stored.
MESSAGE_ID_MAX = 128
INSTANCE_MAX = 100
# WhatsApp's own limit on a text message. A longer text is cut to it before the language layer,
# whose work grows with the text (megabytes of it would hold the event loop for seconds).
TEXT_MAX = 65_536
NAME_MAX = 200

# A UTF-16 half with no other half (valid in JSON's \u escapes, but no UTF-8 encoding exists for
# it, so neither Redis nor the database could take a string holding one), and NUL, which no
# PostgreSQL text column holds.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def identifier(field: str, value: object, limit: int) -> str:
    """An id or name the database stores and logs: a printable string of at most `limit`
    characters (no NUL, no control character, no lone surrogate), else MalformedPayload."""
    if not isinstance(value, str) or not value:
        raise MalformedPayload(f"{field}: missing")
    if len(value) > limit:
        raise MalformedPayload(f"{field}: over {limit} characters")
    if not value.isprintable():
        raise MalformedPayload(f"{field}: holds characters that cannot be stored")
    return value


def free_text(value: str, limit: int) -> str:
    """A patient's text or name, cut to `limit` characters, with any lone surrogate or NUL
    replaced by U+FFFD: what was readable of it is kept."""
    return _UNSTORABLE.sub("\ufffd", value[:limit])


@dataclass(frozen=True, slots=True)
class Ignored:
    """An event or message the bot does not answer (a status update, a group message...)."""

    reason: str
    instance: str = ""


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"  # an audio file
    VOICE = "voice"  # a voice note (push-to-talk)
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class Media:
    """What a message carries besides (or instead of) text."""

    kind: MediaKind
    mime_type: str = ""
    size: int | None = None  # bytes, as the gateway reports them
    seconds: int | None = None  # audio and video
    # PHI, stored encrypted: a document's file name, a location ("lat, lng: name, address"), or
    # the contact cards' names and numbers.
    content: str = ""
    # A voice note's text, when the gateway transcribed it already (Evolution's speechToText).
    transcript: str = ""
    # The file itself, when the body carried it (base64 text, a view into the body): only a
    # voice note's is kept, to transcribe it; other media are fetched from the gateway on demand.
    base64: bytes | memoryview | None = None


LID_SUFFIX = "@lid"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: str  # the kind of channel it came through (the registry's key)
    instance: str  # the clinic's number on that channel (Evolution: the instance name)
    message_id: str  # WhatsApp's id for the message, unique per instance
    # Who the patient is and where the reply goes: the phone's digits, or, for a patient
    # WhatsApp shows only by their LID (a privacy id), "<lid digits>@lid".
    phone: str
    push_name: str
    text: str  # "" for media without a caption
    from_me: bool  # written from the clinic's own number (staff, or our echo)
    has_media: bool
    timestamp: int | None
    # The patient's LID ("<digits>@lid") when the payload names it beside the phone: the pair
    # is learned, so that a later message carrying only the LID joins the same conversation.
    lid: str = ""
    media: Media | None = None
    quoted_id: str = ""  # the WhatsApp id of the message this one quotes (answers)
    choice_id: str = ""  # a tapped button's or list row's id (the text is what it showed)
    # Sent from the clinic's number by the gateway itself (a call's auto-reply), not by a
    # person: it never takes the conversation over.
    automated: bool = False

    @property
    def lid_only(self) -> bool:
        return self.phone.endswith(LID_SUFFIX)


@dataclass(frozen=True, slots=True)
class MessageEdited:
    """The patient (or staff) edited a message: its new text."""

    channel: str
    instance: str
    message_id: str
    text: str


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    """A message deleted for everyone."""

    channel: str
    instance: str
    message_id: str


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The clinic's number connected to or disconnected from WhatsApp on its gateway."""

    channel: str
    instance: str
    state: str  # "open", "connecting", "close", "refused"
    reason: int | None = None  # the gateway's status code for it
    # When the gateway reported it (Evolution's `date_time`, seconds since the epoch), when the
    # body says: a report arriving after a later one is then not recorded over it.
    at: float | None = None


# Everything a channel's parser gives the webhook view.
Event = InboundMessage | MessageEdited | MessageDeleted | ConnectionChanged | Ignored


class Outcome(enum.StrEnum):
    """Only NOT_SENT may be retried: UNKNOWN means the request went out and no answer came back
    in time, so the patient may have the message already."""

    SENT = "sent"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    gateway_id: str = ""
    detail: str = ""


class Sender(Protocol):
    """Sends a text to a patient, from an event loop (sync code runs it on clinicbot.runtime.aio's
    loop)."""

    async def asend(self, *, instance: str, number: str, text: str) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """A message's file, as the gateway gave it. PHI: the bytes and the file name are never
    logged, queued or kept in Redis."""

    data: bytes
    mime_type: str  # "type/subtype", without parameters; application/octet-stream if unknown
    file_name: str  # the sender's name for it, or one the gateway made up; may be ""


# The largest file a channel fetches (WhatsApp sends documents up to 2 GB; staff and the
# transcription need far less, and the whole file is held in memory).
MEDIA_MAX = 64 * 1024 * 1024
# The largest audio file the transcription takes (OpenAI's upload limit): a voice note's file is
# kept from a webhook body only up to it (a bigger one would be held and queued for nothing).
AUDIO_UPLOAD_MAX = 25 * 1024 * 1024
# The longest a fetch_media takes, whatever the gateway does.
MEDIA_FETCH_MAX_S = 75.0


class MediaFetcher(Protocol):
    """A channel whose gateway keeps the files of its messages (images, documents, voice notes)
    has this too; one that has not (check with `hasattr(channel, "fetch_media")`) offers none."""

    async def fetch_media(self, *, instance: str, message_id: str) -> FetchedMedia | None:
        """The file of message `message_id` (WhatsApp's id) of the clinic `instance`; None when
        the gateway cannot give it (down, the message unknown to it or without a file, larger
        than MEDIA_MAX). Returns within MEDIA_FETCH_MAX_S; never raises for the gateway's
        failures."""
        ...


class Channel(Protocol):
    """A channel's inbound side and its sender.

    The webhook view (conversations.api) owns what every channel shares: the size limits, the
    answers and their status codes, and handing each message to the pipeline. A channel answers
    three questions about a request to `/webhooks/<webhook>[/<subpath>]`: whether it is
    authentic, what its body says (decoded, then parsed) and who sends the replies. A channel
    whose gateway keeps its messages' files is a MediaFetcher as well."""

    kind: str  # the clinic's `channel_kind` and the registry's key
    webhook: str  # the path segment of its webhook: POST /webhooks/<webhook>

    def authenticate(self, headers: Mapping[str, str], body: bytes, subpath: str) -> bool:
        """Whether the raw request carries this channel's credentials (checked before parsing)."""
        ...

    def decode(self, body: bytes) -> object:
        """The authenticated body's JSON (for most channels, json.loads(body)). Raises what
        json.loads raises for a body that is not JSON (ValueError, UnicodeDecodeError,
        RecursionError). A channel whose bodies carry files keeps them out of the parse here."""
        ...

    def parse(self, payload: object, subpath: str) -> list[Event]:
        """The messages and events of a decoded body; raises MalformedPayload."""
        ...

    def sender(self) -> Sender:
        """The sender for replies to patients of clinics on this channel."""
        ...
