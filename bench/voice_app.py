"""clinicbot's web app for `make bench`, reading voice notes as the Evolution channel's parser is
to read them (issue 18) wherever this checkout's parser does not yet.

The voice-note run (bench.voice_notes) posts Evolution `audioMessage` bodies with their base64
(the instance's webhook_base64 on). A parser that already gives such a message a voice `Media`
with the base64 is left alone and this module is the production app itself; otherwise each such
message gets that `Media` here, as the parser will (`message.base64`, `audioMessage.ptt`), and
nothing else changes. Only the benchmark's web processes import this module.
"""

import dataclasses

from channels.base import InboundMessage, Media, MediaKind
from channels.evolution import EvolutionChannel
from clinicbot.asgi import application  # noqa: F401  (the app gunicorn serves; sets Django up)

SAMPLE = {
    "event": "messages.upsert",
    "instance": "bench",
    "data": {
        "key": {"remoteJid": "79000000000@s.whatsapp.net", "fromMe": False, "id": "SAMPLE"},
        "message": {"audioMessage": {"mimetype": "audio/ogg", "ptt": True}, "base64": "AAAA"},
        "messageType": "audioMessage",
    },
}


def _reads_voice_notes(parse) -> bool:
    messages = [m for m in parse(EvolutionChannel(), SAMPLE, "") if isinstance(m, InboundMessage)]
    media = messages[0].media if messages else None
    return media is not None and media.kind == MediaKind.VOICE and bool(media.base64)


def _with_voice_media(parse):
    def parsing(self, payload, subpath):
        events = parse(self, payload, subpath)
        data = payload.get("data") if isinstance(payload, dict) else None
        content = data.get("message") if isinstance(data, dict) else None
        audio = content.get("audioMessage") if isinstance(content, dict) else None
        if not isinstance(audio, dict):
            return events
        media = Media(
            MediaKind.VOICE if audio.get("ptt") else MediaKind.AUDIO,
            mime_type=str(audio.get("mimetype") or ""),
            base64=content.get("base64") or None,
        )
        return [
            dataclasses.replace(event, media=media)
            if isinstance(event, InboundMessage) and event.media is None
            else event
            for event in events
        ]

    return parsing


if not _reads_voice_notes(EvolutionChannel.parse):
    EvolutionChannel.parse = _with_voice_media(EvolutionChannel.parse)
