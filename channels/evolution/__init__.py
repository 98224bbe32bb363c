"""Evolution API (https://github.com/EvolutionAPI/evolution-api): a WhatsApp Web session per
clinic number ("instance"), posting every event to POST /webhooks/evolution (or, with "webhook
by events", /webhooks/evolution/<event>) and sending with POST /message/sendText/{instance}.

Its gateway reports our own sends back as `fromMe` messages: channels.echo tells them apart from
staff writing from the clinic's phone.
"""

from collections.abc import Mapping

from django.conf import settings

from channels.base import Event, Sender
from channels.evolution.credentials import credentials_valid
from channels.evolution.payload import KIND, read_webhook
from channels.evolution.sender import EvolutionSender
from channels.senders import ConsoleSender


class EvolutionChannel:
    kind = KIND
    webhook = "evolution"

    def __init__(self):
        self._sender: Sender | None = None
        self._sender_settings: tuple[str, str] | None = None

    def authenticate(self, headers: Mapping[str, str], body: bytes, subpath: str) -> bool:
        return credentials_valid(headers, body)

    def parse(self, payload: object, subpath: str) -> list[Event]:
        # With "webhook by events", Evolution posts to /webhooks/evolution/<event>: the path's
        # last segment (a secret in the path comes before it).
        return read_webhook(payload, path_event=subpath.rstrip("/").rsplit("/", 1)[-1])

    def sender(self) -> Sender:
        """Evolution's API when EVOLUTION_API_URL is set, else the console (development); built
        again when those settings change (tests point it at a fake gateway)."""
        current = (settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
        if self._sender is None or current != self._sender_settings:
            self._sender = EvolutionSender(*current) if current[0] else ConsoleSender()
            self._sender_settings = current
        return self._sender
