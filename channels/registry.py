"""The channels clinicbot speaks, by kind; a clinic names its kind in `Clinic.channel_kind`.

Adding a channel is a folder (`channels/<kind>/`) and one row here. Rows are dotted paths,
imported on first use, like Django's backends.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from channels.base import Channel, Sender

CHANNELS: dict[str, str] = {
    "evolution": "channels.evolution.EvolutionChannel",
}
DEFAULT_KIND = "evolution"
# settings.CHANNEL_SENDER_OVERRIDE replaces every channel's sender in this process: the `chat`
# command and the tests keep replies in memory, whatever channel the clinic is on.
OVERRIDE_SENDERS = {
    "console": "channels.senders.ConsoleSender",
    "locmem": "channels.senders.LocmemSender",
}

_loaded: dict[str, object] = {}


class UnknownChannel(LookupError):
    pass


def _load(path: str):
    instance = _loaded.get(path)
    if instance is None:
        instance = _loaded[path] = import_string(path)()
    return instance


def kinds() -> tuple[str, ...]:
    return tuple(CHANNELS)


def channel(kind: str) -> Channel:
    try:
        return _load(CHANNELS[kind])
    except KeyError:
        raise UnknownChannel(kind) from None


def by_webhook(name: str) -> Channel | None:
    """The channel whose webhook is POST /webhooks/<name>."""
    for path in CHANNELS.values():
        candidate = _load(path)
        if candidate.webhook == name:
            return candidate
    return None


def senders() -> list[Sender]:
    """Every channel's sender, built now (a gateway's sender loads its TLS trust store when it is
    built: the processes' warm-up does that rather than the first patient's send)."""
    return [sender_for(kind) for kind in kinds()]


def sender_for(kind: str) -> Sender:
    """The sender of replies to a patient of a clinic on channel `kind`."""
    override = getattr(settings, "CHANNEL_SENDER_OVERRIDE", "")
    if override:
        return _load(OVERRIDE_SENDERS[override])
    return channel(kind).sender()
