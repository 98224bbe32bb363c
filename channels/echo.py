"""Recognising our own replies when the gateway reports them back.

Evolution reports every message sent from the clinic's number as `fromMe`: a person at the clinic
writing (staff take the conversation over) or our own reply coming back. Each reply we send is
remembered in the conversation's session state under `echo_field(text)`; a `fromMe` message with
a remembered text is ours.
"""

import hashlib
from collections.abc import Mapping

from channels.base import InboundMessage


def echo_field(text: str) -> str:
    """The session field that remembers a reply text, without keeping the text itself."""
    return "echo:" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def is_own_echo(message: InboundMessage, session: Mapping[str, str]) -> bool:
    return message.from_me and bool(message.text) and bool(session.get(echo_field(message.text)))
