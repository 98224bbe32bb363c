"""Reading Evolution API webhook bodies (1.8 to 2.3.6) into what clinicbot acts on.

Each rule follows what Evolution's source sends (src/api/integrations/channel/whatsapp/
whatsapp.baileys.service.ts in 2.x, src/api/services/channels/whatsapp.baileys.service.ts in 1.8)
and the Baileys version each pins. Gateway payloads are parsed leniently (Evolution adds fields
between versions) but every field we depend on is checked; a body we cannot read raises
MalformedPayload naming the field, never quoting the patient's text.
"""

from datetime import UTC, datetime

from channels.base import (
    INSTANCE_MAX,
    LID_SUFFIX,
    MESSAGE_ID_MAX,
    NAME_MAX,
    ConnectionChanged,
    Event,
    Ignored,
    InboundMessage,
    MalformedPayload,
    MessageDeleted,
    MessageEdited,
    free_text,
    identifier,
)
from channels.evolution.content import long_value, read_content, unwrap

KIND = "evolution"
USER_SUFFIX = "@s.whatsapp.net"
# More messages than one body holds in any version (each holds one; some builds wrap it in a
# list): a longer list is not a gateway's.
MAX_MESSAGES = 100
STATE_MAX = 32
DATE_TIME_MAX = 40  # an ISO 8601 time, with room for its offset

# Content that is not a message to answer, and why.
NOT_MESSAGES = {
    "reactionMessage": "reaction",
    "encReactionMessage": "reaction",
    "pollUpdateMessage": "poll vote",
    "pollCreationMessage": "poll",
    "pollCreationMessageV2": "poll",
    "pollCreationMessageV3": "poll",
}
# WAProto Message.ProtocolMessage.Type: JSON carries the number (protobufjs' enum value); a
# build that writes enums by name gives the name.
REVOKE = (0, "REVOKE")
MESSAGE_EDIT = (14, "MESSAGE_EDIT")
# Baileys' WebMessageInfo.Status as Evolution names it (src/utils/renderStatus.ts).
PENDING = "PENDING"


def event_name(body: dict) -> str:
    return _normal_event(str(body.get("event", "")))


def _normal_event(name: str) -> str:
    # Always lower-case and dotted in the body; by-events URLs use the kebab form.
    return name.lower().replace("-", ".").replace("_", ".")


def read_webhook(body: object, path_event: str = "") -> list[Event]:
    """One webhook body; `path_event` is the event a by-events URL names (`messages-upsert`)."""
    if not isinstance(body, dict):
        raise MalformedPayload("body: expected a JSON object")
    instance = identifier("instance", body.get("instance"), INSTANCE_MAX)
    event = event_name(body) or _normal_event(path_event)
    data = body.get("data")
    own = _own_number(body.get("sender"))
    if event in ("messages.upsert", "send.message"):
        return [_read_message(instance, item, event, own) for item in _messages(data)]
    if event == "messages.edited":
        return [_read_protocol(instance, _object(data, "data"))]
    if event == "messages.delete":
        return [_read_delete(instance, _object(data, "data"))]
    if event == "connection.update":
        return [_read_connection(instance, _object(data, "data"), body.get("date_time"))]
    # Everything else, messages.update included: receipts and poll votes (no version reports a
    # delete there; the handler that sees one sends messages.delete instead).
    return [Ignored(f"event {event or 'unknown'}", instance)]


def _messages(data: object) -> list[dict]:
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_MESSAGES:
        raise MalformedPayload("data: expected a message")
    return [_object(item, "data") for item in items]


def _object(value: object, field: str) -> dict:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{field}: expected an object")
    return value


def _own_number(sender: object) -> str:
    """The clinic's own number: the envelope's `sender` is the instance's JID (its wuid)."""
    if isinstance(sender, str) and sender.endswith(USER_SUFFIX):
        return _user(sender.removesuffix(USER_SUFFIX))
    return ""


# ---------------------------------------------------------------------------------------------
# Messages: messages.upsert (received, or typed on the clinic's phone) and send.message (sent
# through Evolution's API, by us or by another client such as Chatwoot or Evolution Manager).


# `automated`: the gateway's own messages.upsert of a message it generated itself. Evolution's
# call handler (eventHandler, `events.call`, 2.2.x to 2.3.6) answers a call with
# `client.sendMessage(call.from, {text: settings.msgCall})` and emits the result as
# messages.upsert. Baileys builds that message with generateWAMessageFromContent, whose status
# is PENDING (src/Utils/messages.ts), and prepareMessage keeps it (`status[message.status]`). A
# message typed on the clinic's phone reaches Baileys through decodeMessageNode, which sets
# SERVER_ACK on every fromMe message (src/Utils/decode-wa-message.ts); API sends come as
# send.message, never as an upsert (the socket has emitOwnEvents off). 1.8 leaves `status` out of
# its messages.upsert, so its call auto-reply cannot be told from staff and counts as staff.


def _read_message(instance: str, data: dict, event: str, own: str) -> Event:
    key = data.get("key")
    if not isinstance(key, dict):
        raise MalformedPayload("data.key: missing")
    message_id = identifier("data.key.id", key.get("id"), MESSAGE_ID_MAX)
    if reason := _not_a_patients_chat_reason(str(key.get("remoteJid") or "")):
        return Ignored(reason, instance)
    outer = data.get("message")
    if not isinstance(outer, dict):
        return Ignored("no message content", instance)
    inner = unwrap(outer)
    if reason := next((why for name, why in NOT_MESSAGES.items() if name in inner), ""):
        return Ignored(reason, instance)
    if isinstance(inner.get("protocolMessage"), dict):
        # 1.8 passes an edit on as a message (`editedMessage` around a protocolMessage); 2.x
        # sends it as messages.edited instead.
        return _read_protocol(instance, inner["protocolMessage"])
    from_me = event == "send.message" or key.get("fromMe") is True
    phone, lid = _patient_address(key, from_me, own)
    if not phone:
        return Ignored("no phone number in key", instance)
    content = read_content(outer, inner, data.get("contextInfo"))
    if not content.text and content.media is None:
        return Ignored("unsupported message type", instance)
    return InboundMessage(
        channel=KIND,
        instance=instance,
        message_id=message_id,
        phone=phone,
        push_name="" if from_me else free_text(str(data.get("pushName") or ""), NAME_MAX),
        text=content.text,
        from_me=from_me,
        has_media=content.media is not None,
        timestamp=_timestamp(data.get("messageTimestamp")),
        lid=lid,
        media=content.media,
        quoted_id=content.quoted_id,
        choice_id=content.choice_id,
        automated=event == "messages.upsert" and from_me and data.get("status") == PENDING,
    )


def _not_a_patients_chat_reason(chat: str) -> str:
    if chat.endswith("@g.us"):
        return "group message"
    if chat.endswith("@broadcast"):
        return "status update" if chat == "status@broadcast" else "broadcast"
    if chat.endswith("@newsletter"):
        return "channel (newsletter) message"
    return ""


def _timestamp(value: object) -> int | None:
    # v1 sends a string, v2 a number, 2.3.6 may send a Long; JSON's 1e999 reads as infinity.
    return long_value(value)


# ---------------------------------------------------------------------------------------------
# Who the patient is. The key's fields per version:
# - 2.3.5-2.3.6 (Baileys 7, decodeMessageNode): `remoteJid` the chat as WhatsApp addresses it,
#   `remoteJidAlt` its other form (a LID chat's phone when WhatsApp gave one; a phone chat's
#   LID), `addressingMode` "lid" or "pn".
# - 2.3.3-2.3.4: the same, with `remoteJid` of a LID chat overwritten by `remoteJidAlt` (its
#   LID then lost).
# - 2.3.1-2.3.2 (Baileys 6.7.19): `senderPn` / `senderLid`; a LID chat's `remoteJid` overwritten
#   by `senderPn`, the LID kept in `previousRemoteJid`.
# - 2.2.x and 1.8 (EvolutionAPI's Baileys fork): `remoteJid` only; a LID chat has no phone.
PHONE_FIELDS = ("remoteJidAlt", "senderPn", "remoteJid")
LID_FIELDS = ("remoteJid", "remoteJidAlt", "senderLid", "previousRemoteJid")


def _patient_address(key: dict, from_me: bool, own: str) -> tuple[str, str]:
    """(phone digits, or "<lid>@lid" when no field gives them; the LID, when the key names one).

    A message from the clinic's number is addressed from our side: Baileys fills the `Alt` and
    `senderPn` fields from the sender's attributes, often the clinic's own, so such a message
    trusts `remoteJid` for the LID and drops a phone that is the clinic's own. When the body
    does not say which number is the clinic's, only the chat's own remoteJid names the phone."""
    phones = PHONE_FIELDS if own or not from_me else _chat_phone_field(key)
    lids = ("remoteJid", "previousRemoteJid") if from_me else LID_FIELDS
    phone = next((p for f in phones if (p := _jid_user(key, f, USER_SUFFIX)) and p != own), "")
    lid = next((f"{u}{LID_SUFFIX}" for f in lids if (u := _jid_user(key, f, LID_SUFFIX))), "")
    return phone or lid, lid


def _chat_phone_field(key: dict) -> tuple[str, ...]:
    """("remoteJid",) when it is the chat's own address, () when Evolution put a sender-side
    field there: 2.3.1-2.3.2 overwrite a LID chat's remoteJid with `senderPn` (keeping the LID
    in `previousRemoteJid`), 2.3.3-2.3.4 with `remoteJidAlt` (the key still says "lid")."""
    if key.get("previousRemoteJid") or key.get("addressingMode") == "lid":
        return ()
    return ("remoteJid",)


def _jid_user(key: dict, field: str, suffix: str) -> str:
    """The digits of `key[field]` when it is a JID with `suffix`, without a device (`:12`)."""
    value = key.get(field)
    if not isinstance(value, str) or not value.endswith(suffix):
        return ""
    user = _user(value.removesuffix(suffix))
    if user.isdigit() and not user.isascii():
        # WhatsApp writes 0-9 only; other scripts' digits would be another spelling of some
        # patient's number, or of none (an empty blind index, shared by all).
        raise MalformedPayload(f"data.key.{field}: digits other than 0-9")
    return user if user.isdigit() else ""


def _user(user: str) -> str:
    return user.split(":", 1)[0]


# ---------------------------------------------------------------------------------------------
# Edits and deletes, the connection's state.


def _read_protocol(instance: str, message: dict) -> Event:
    """A protocolMessage: messages.edited's `data` (2.2.x-2.3.0: an edit; 2.3.1 on: any protocol
    message, a delete for everyone included), or the content of 1.8's edit message."""
    kind = message.get("type")
    key = message.get("key")
    if kind not in REVOKE + MESSAGE_EDIT or not isinstance(key, dict):
        return Ignored("protocol message", instance)
    if _not_a_patients_chat(key):
        return Ignored("group message", instance)
    message_id = identifier("data.key.id", key.get("id"), MESSAGE_ID_MAX)
    if kind in REVOKE:
        return MessageDeleted(KIND, instance, message_id)
    edited = message.get("editedMessage")
    if not isinstance(edited, dict):
        return Ignored("edit without its new content", instance)
    inner = unwrap(edited)
    text = read_content(edited, inner, None).text
    return MessageEdited(KIND, instance, message_id, text)


def _not_a_patients_chat(key: dict) -> bool:
    return bool(_not_a_patients_chat_reason(str(key.get("remoteJid") or "")))


def _read_delete(instance: str, data: dict) -> Event:
    """messages.delete: the deleted message's key (messages.update handler), or, for a delete
    through Evolution's API (deleteMessage, 2.2.x on), its stored row with the key inside."""
    key = data.get("key") if isinstance(data.get("key"), dict) else data
    if _not_a_patients_chat(key):
        return Ignored("group message", instance)
    return MessageDeleted(KIND, instance, identifier("data.key.id", key.get("id"), MESSAGE_ID_MAX))


def _read_connection(instance: str, data: dict, date_time: object) -> Event:
    """connection.update: `{instance, state, statusReason, ...}` (connectionUpdate())."""
    state = identifier("data.state", data.get("state"), STATE_MAX)
    reason = data.get("statusReason")
    valid = isinstance(reason, int) and not isinstance(reason, bool)
    return ConnectionChanged(KIND, instance, state, reason if valid else None, _sent_at(date_time))


def _sent_at(date_time: object) -> float | None:
    """The envelope's `date_time` in seconds since the epoch, read as written. Evolution writes
    its local time with a "Z" (channel.service.ts: `new Date(Date.now() - tzoffset)
    .toISOString()`), so it is not the true UTC; it is only compared with the same gateway's
    other reports, which share the offset."""
    if not isinstance(date_time, str) or len(date_time) > DATE_TIME_MAX:
        return None
    try:
        sent = datetime.fromisoformat(date_time)
    except ValueError:
        return None
    return (sent if sent.tzinfo else sent.replace(tzinfo=UTC)).timestamp()
