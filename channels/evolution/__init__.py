"""Evolution API (https://github.com/EvolutionAPI/evolution-api): a WhatsApp Web session per
clinic number ("instance"), posting every event to POST /webhooks/evolution (or, with "webhook
by events", /webhooks/evolution/<event>; either behind /t/<secret> for a gateway that sends no
headers, channels.evolution.credentials), sending with POST /message/sendText/{instance}, and
fetching a message's file with POST /chat/getBase64FromMediaMessage/{instance}
(channels.evolution.media).

With "webhook base64" on, a media message's body carries the file: channels.evolution.body
decodes it without copying the file.

Its gateway reports our own sends back as `fromMe` messages: channels.echo tells them apart from
staff writing from the clinic's phone.
"""

import logging
from collections.abc import Mapping

from django.conf import settings

from channels.base import Event, FetchedMedia, Sender
from channels.evolution.body import decode as decode_body
from channels.evolution.credentials import credentials_valid, split_subpath
from channels.evolution.media import EvolutionMedia
from channels.evolution.payload import KIND, read_webhook
from channels.evolution.sender import EvolutionSender
from channels.senders import ConsoleSender

logger = logging.getLogger(__name__)


class EvolutionChannel:
    kind = KIND
    webhook = "evolution"

    def __init__(self):
        self._sender: Sender | None = None
        self._sender_settings: tuple[str, str] | None = None
        self._media: EvolutionMedia | None = None
        self._media_settings: tuple[str, str] | None = None

    def authenticate(self, headers: Mapping[str, str], body: bytes, subpath: str) -> bool:
        path_secret, _ = split_subpath(subpath)
        return credentials_valid(headers, body, path_secret)

    def decode(self, body: bytes) -> object:
        # A media message's file (webhook base64) stays in the body, as a memoryview.
        return decode_body(body)

    def parse(self, payload: object, subpath: str) -> list[Event]:
        # With "webhook by events", Evolution posts to /webhooks/evolution[/t/<secret>]/<event>.
        _, path_event = split_subpath(subpath)
        return read_webhook(payload, path_event=path_event)

    def sender(self) -> Sender:
        """Evolution's API when EVOLUTION_API_URL is set, else the console (development); built
        again when those settings change (tests point it at a fake gateway)."""
        current = (settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
        if self._sender is None or current != self._sender_settings:
            self._sender = EvolutionSender(*current) if current[0] else ConsoleSender()
            self._sender_settings = current
        return self._sender

    async def fetch_media(self, *, instance: str, message_id: str) -> FetchedMedia | None:
        """The message's file from Evolution's API; None without EVOLUTION_API_URL (development:
        the console sender has no files) or when the gateway cannot give it."""
        fetcher = self._media_fetcher()
        if fetcher is None:
            logger.warning("media of message %s not fetched: no EVOLUTION_API_URL", message_id)
            return None
        return await fetcher.fetch_media(instance=instance, message_id=message_id)

    def _media_fetcher(self) -> EvolutionMedia | None:
        current = (settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
        if current != self._media_settings:
            self._media = EvolutionMedia(*current) if current[0] else None
            self._media_settings = current
        return self._media
