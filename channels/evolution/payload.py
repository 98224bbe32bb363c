"""Reading Evolution API webhook bodies (v1.8 and v2.x) into what clinicbot acts on.

Gateway payloads are parsed leniently (Evolution adds fields between versions) but every field we
depend on is checked; a body we cannot read raises MalformedPayload naming the field, never
quoting the patient's text.
"""

from channels.base import (
    INSTANCE_MAX,
    MESSAGE_ID_MAX,
    NAME_MAX,
    TEXT_MAX,
    Ignored,
    InboundMessage,
    MalformedPayload,
    free_text,
    identifier,
)

KIND = "evolution"
USER_SUFFIX = "@s.whatsapp.net"
MEDIA_TYPES = ("imageMessage", "videoMessage", "audioMessage", "documentMessage", "stickerMessage")
CAPTIONED_TYPES = ("imageMessage", "videoMessage", "documentMessage")


def event_name(body: dict) -> str:
    return _normal_event(str(body.get("event", "")))


def _normal_event(name: str) -> str:
    # Always lower-case and dotted in the body; by-events URLs use the kebab form.
    return name.lower().replace("-", ".").replace("_", ".")


def read_webhook(body: object, path_event: str = "") -> InboundMessage | Ignored:
    """One webhook body; `path_event` is the event a by-events URL names (`messages-upsert`)."""
    if not isinstance(body, dict):
        raise MalformedPayload("body: expected a JSON object")
    instance = identifier("instance", body.get("instance"), INSTANCE_MAX)
    event = event_name(body) or _normal_event(path_event)
    if event != "messages.upsert":
        return Ignored(f"event {event or 'unknown'}", instance)
    data = body.get("data")
    if isinstance(data, list) and len(data) == 1:  # some builds wrap a single message
        data = data[0]
    if not isinstance(data, dict):
        raise MalformedPayload("data: expected an object")
    return _read_message(instance, data)


def _read_message(instance: str, data: dict) -> InboundMessage | Ignored:
    key = data.get("key")
    if not isinstance(key, dict):
        raise MalformedPayload("data.key: missing")
    message_id = identifier("data.key.id", key.get("id"), MESSAGE_ID_MAX)
    remote = str(key.get("remoteJid") or "")
    if remote.endswith("@g.us"):
        return Ignored("group message", instance)
    if remote == "status@broadcast" or remote.endswith("@broadcast"):
        return Ignored("status update", instance)
    content = data.get("message")
    if not isinstance(content, dict):
        return Ignored("no message content", instance)
    if "reactionMessage" in content:
        return Ignored("reaction", instance)
    if "protocolMessage" in content:
        return Ignored("protocol message (edit or delete)", instance)
    phone = _patient_phone(key)
    if not phone:
        return Ignored("no phone number in key", instance)
    text = _text_of(content)
    has_media = any(kind in content for kind in MEDIA_TYPES)
    if not text and not has_media:
        return Ignored("unsupported message type", instance)
    return InboundMessage(
        channel=KIND,
        instance=instance,
        message_id=message_id,
        phone=phone,
        push_name=free_text(str(data.get("pushName") or ""), NAME_MAX),
        text=free_text(text, TEXT_MAX),
        from_me=bool(key.get("fromMe")),
        has_media=has_media,
        timestamp=_int_or_none(data.get("messageTimestamp")),
    )


def _patient_phone(key: dict) -> str:
    """The first phone JID among remoteJidAlt, senderPn, remoteJid (LID addressing puts an
    opaque `@lid` id in remoteJid and the phone in remoteJidAlt)."""
    for field in ("remoteJidAlt", "senderPn", "remoteJid"):
        value = key.get(field)
        if isinstance(value, str) and value.endswith(USER_SUFFIX):
            digits = value.removesuffix(USER_SUFFIX).split(":", 1)[0]
            if digits.isdigit() and not digits.isascii():
                # WhatsApp writes 0-9 only; other scripts' digits would be another spelling
                # of some patient's number, or of none (an empty blind index, shared by all).
                raise MalformedPayload(f"data.key.{field}: digits other than 0-9")
            if digits.isdigit():
                return digits
    return ""


def _text_of(content: dict) -> str:
    if isinstance(content.get("conversation"), str):
        return content["conversation"].strip()
    extended = content.get("extendedTextMessage")
    if isinstance(extended, dict) and isinstance(extended.get("text"), str):
        return extended["text"].strip()
    for kind in CAPTIONED_TYPES:
        media = content.get(kind)
        if isinstance(media, dict) and isinstance(media.get("caption"), str):
            return media["caption"].strip()
    return ""


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # v1 sends a string, v2 a number
    except (TypeError, ValueError, OverflowError):  # JSON's 1e999 reads as infinity
        return None
