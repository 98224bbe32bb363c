"""What a WhatsApp message says: its text, the reply a patient tapped, and what it carries besides
text, read from `data.message` of an Evolution webhook (Baileys' `proto.Message`, as JSON).

Field names follow Baileys' WAProto (WAProto/WAProto.proto) and Evolution's `prepareMessage()`
(whatsapp.baileys.service.ts): from 2.2.0 Evolution turns `extendedTextMessage` into
`conversation` and `documentWithCaptionMessage` into `documentMessage`; 1.8 sends both raw. Neither
unwraps `ephemeralMessage` or the view-once wrappers, so this module does.
"""

import json
import re
from dataclasses import dataclass

from channels.base import (
    AUDIO_UPLOAD_MAX,
    MESSAGE_ID_MAX,
    TEXT_MAX,
    MalformedPayload,
    Media,
    MediaKind,
    free_text,
    identifier,
)

# Envelopes around the real content (WAProto's FutureProofMessage: `{"message": {...}}`): a
# disappearing-messages chat, a view-once photo, 1.8's captioned document, an edit's envelope.
WRAPPERS = (
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
    "documentWithCaptionMessage",
    "editedMessage",
)
# Deeper than any client nests them (an ephemeral view-once is two); a hostile body stops here.
MAX_WRAPPING = 4

MEDIA_KINDS = {
    "imageMessage": MediaKind.IMAGE,
    "videoMessage": MediaKind.VIDEO,
    "ptvMessage": MediaKind.VIDEO,  # a round video note
    "audioMessage": MediaKind.AUDIO,  # MediaKind.VOICE when `ptt`
    "documentMessage": MediaKind.DOCUMENT,
    "stickerMessage": MediaKind.STICKER,
    "locationMessage": MediaKind.LOCATION,
    "liveLocationMessage": MediaKind.LOCATION,
    "contactMessage": MediaKind.CONTACT,
    "contactsArrayMessage": MediaKind.CONTACT,
}
# Evolution's speech-to-text writes "[audio] <transcript>" (`messageRaw.message.speechToText`).
TRANSCRIPT_PREFIX = "[audio]"
MIME_MAX = 100  # conversations.models.Message.media_mime
CONTENT_MAX = 4096  # a location's or contact cards' text, as stored for staff
INT64_END = 2**63  # past the largest bigint (Message.media_size)
# What 2.3.x's speechToText leaves after the prefix when its transcription failed
# (`[audio] ${null}`): no transcript, so clinicbot transcribes the file itself.
NO_TRANSCRIPT = frozenset({"", "null", "undefined"})
_VCARD_TEL = re.compile(r"^(?:item\d+\.)?TEL[^:]*:(.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Content:
    """A message's content, read: what the patient wrote or tapped, and what it carries."""

    text: str = ""
    choice_id: str = ""
    quoted_id: str = ""
    media: Media | None = None


def unwrap(message: dict) -> dict:
    """The content inside every wrapper (`{"ephemeralMessage": {"message": {...}}}`...)."""
    for _ in range(MAX_WRAPPING):
        inner = next(
            (
                wrapped["message"]
                for name in WRAPPERS
                if isinstance(wrapped := message.get(name), dict)
                and isinstance(wrapped.get("message"), dict)
            ),
            None,
        )
        if inner is None:
            return message
        message = inner
    return message


def read_content(outer: dict, inner: dict, context: object) -> Content:
    """`outer` is `data.message` as sent (Evolution adds `speechToText` and `base64` there),
    `inner` the unwrapped content, `context` Evolution's `data.contextInfo`."""
    reply = _reply_text(inner)
    text, choice_id = reply if reply else (_typed_text(inner), "")
    media = _media(outer, inner)
    if not text and media is not None and media.transcript:
        text = media.transcript  # answered as if typed
    return Content(
        text=free_text(text.strip(), TEXT_MAX),
        choice_id=_optional_id("choice_id", choice_id),
        quoted_id=_optional_id("contextInfo.stanzaId", _quoted_id(inner, context)),
        media=media,
    )


def _typed_text(inner: dict) -> str:
    if isinstance(inner.get("conversation"), str):
        return inner["conversation"]
    for name in ("extendedTextMessage", *MEDIA_KINDS):
        part = inner.get(name)
        if not isinstance(part, dict):
            continue
        for field in ("text", "caption"):  # a caption is the patient's text
            if isinstance(part.get(field), str):
                return part[field]
    return ""


def _reply_text(inner: dict) -> tuple[str, str] | None:
    """(the text the patient saw, the id of the choice) of a tapped button, list row, template
    button or native-flow reply; None for any other message. WAProto: ButtonsResponseMessage,
    ListResponseMessage, TemplateButtonReplyMessage, InteractiveResponseMessage."""
    if isinstance(part := inner.get("buttonsResponseMessage"), dict):
        return _shown(part.get("selectedDisplayText"), part.get("selectedButtonId"))
    if isinstance(part := inner.get("listResponseMessage"), dict):
        selected = part.get("singleSelectReply")
        row = selected.get("selectedRowId") if isinstance(selected, dict) else None
        return _shown(part.get("title"), row)
    if isinstance(part := inner.get("templateButtonReplyMessage"), dict):
        return _shown(part.get("selectedDisplayText"), part.get("selectedId"))
    if isinstance(part := inner.get("interactiveResponseMessage"), dict):
        body = part.get("body")
        flow = part.get("nativeFlowResponseMessage")
        shown = body.get("text") if isinstance(body, dict) else None
        return _shown(shown, _flow_choice(flow) if isinstance(flow, dict) else None)
    return None


def _shown(text: object, choice: object) -> tuple[str, str]:
    choice = choice if isinstance(choice, str) else ""
    # A button with no display text (ButtonsResponseMessage.Type UNKNOWN): its id is all we have.
    return (text if isinstance(text, str) and text.strip() else choice), choice


def _flow_choice(flow: dict) -> str:
    """The `id` in a native-flow reply's `paramsJson` (a JSON text the flow's sender defines)."""
    try:
        params = json.loads(flow.get("paramsJson") or "")
    except (TypeError, ValueError, RecursionError):
        return ""
    choice = params.get("id") if isinstance(params, dict) else None
    return choice if isinstance(choice, str) else ""


def _quoted_id(inner: dict, context: object) -> str:
    """The quoted message's id: Evolution moves the content's contextInfo to data.contextInfo
    (prepareMessage); 1.8 and the wrappers leave it inside the content."""
    for candidate in (context, *(part.get("contextInfo") for part in _parts(inner))):
        if isinstance(candidate, dict) and isinstance(candidate.get("stanzaId"), str):
            return candidate["stanzaId"]
    return ""


def _parts(inner: dict):
    return (part for part in inner.values() if isinstance(part, dict))


def _optional_id(field: str, value: str) -> str:
    """An id the reply can do without: one the database cannot hold is left out, not refused
    (Evolution does not retry a refused body, and the patient's text would be lost with it)."""
    try:
        return identifier(field, value, MESSAGE_ID_MAX) if value else ""
    except MalformedPayload:
        return ""


def _media(outer: dict, inner: dict) -> Media | None:
    name = next((name for name in MEDIA_KINDS if isinstance(inner.get(name), dict)), None)
    if name is None:
        return None
    part = inner[name]
    kind = MEDIA_KINDS[name]
    if kind == MediaKind.AUDIO and part.get("ptt") is True:
        kind = MediaKind.VOICE
    audio = kind in (MediaKind.AUDIO, MediaKind.VOICE)
    return Media(
        kind=kind,
        mime_type=_mime(part.get("mimetype")),
        size=long_value(part.get("fileLength")),
        seconds=long_value(part.get("seconds")),
        content=free_text(_described(name, part), CONTENT_MAX),
        transcript=_transcript(outer.get("speechToText")) if audio else "",
        # Only a voice note's file is kept (to transcribe it); an image's is fetched on demand.
        base64=_audio_file(outer.get("base64")) if audio else None,
    )


def _mime(value: object) -> str:
    if isinstance(value, str) and value.isprintable():
        return value[:MIME_MAX]
    return ""


def long_value(value: object) -> int | None:
    """A protobuf int64 as Evolution writes it: a number, a decimal string (1.8 to 2.3.5), or
    2.3.6's Long `{"low", "high", "unsigned"}` (32-bit halves, `low` signed as JavaScript keeps
    it). None for anything else, or for a value the database's bigint cannot hold (accepted, the
    message would be answered and then never stored)."""
    if isinstance(value, dict):
        value = _long_halves(value.get("low"), value.get("high"))
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 <= number < INT64_END else None


def _long_halves(low: object, high: object) -> int | None:
    if not (isinstance(low, int) and isinstance(high, int)):
        return None
    if not (-(2**31) <= low < 2**32 and 0 <= high < 2**32):
        return None
    return (high << 32) | (low & 0xFFFFFFFF)


def _described(name: str, part: dict) -> str:
    """What staff read of a document, location or contact card (PHI: stored encrypted)."""
    if name == "documentMessage":
        return _str(part.get("fileName")) or _str(part.get("title"))
    if name in ("locationMessage", "liveLocationMessage"):
        return _location(part)
    if name == "contactMessage":
        return _contact(part)
    if name == "contactsArrayMessage":
        cards = part.get("contacts")
        cards = cards if isinstance(cards, list) else []
        return "; ".join(filter(None, (_contact(c) for c in cards if isinstance(c, dict))))
    return ""


def _location(part: dict) -> str:
    """ "lat, lng: name, address" (the name and address when the sender picked a place)."""
    latitude, longitude = part.get("degreesLatitude"), part.get("degreesLongitude")
    if not (_number(latitude) and _number(longitude)):
        return ""
    place = ", ".join(filter(None, (_str(part.get("name")), _str(part.get("address")))))
    point = f"{latitude}, {longitude}"
    return f"{point}: {place}" if place else point


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _contact(card: dict) -> str:
    """ "Name: +7 900 123-45-67, +7 495 ..." from a contact card's displayName and vCard."""
    vcard = _str(card.get("vcard"))
    numbers = [match.strip() for match in _VCARD_TEL.findall(vcard) if match.strip()]
    name = _str(card.get("displayName"))
    if not numbers:
        return name
    return f"{name}: {', '.join(numbers)}" if name else ", ".join(numbers)


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _transcript(value: object) -> str:
    text = _str(value).removeprefix(TRANSCRIPT_PREFIX).strip()
    return "" if text in NO_TRANSCRIPT else free_text(text, TEXT_MAX)


def _audio_file(value: object) -> bytes | memoryview | None:
    """The audio's base64 text, when the transcription can take the file it holds."""
    text = _file(value)
    return text if text is not None and len(text) * 3 // 4 <= AUDIO_UPLOAD_MAX else None


def _file(value: object) -> bytes | memoryview | None:
    """The file's base64 text as the body carried it, not decoded here: a str (kept as its ASCII
    bytes) or the bytes/view the body's decoder left in its place. Anything else is dropped (the
    file can still be fetched from the gateway)."""
    if isinstance(value, bytes | memoryview):
        return value
    if isinstance(value, str) and value and value.isascii():
        return value.encode("ascii")
    return None
