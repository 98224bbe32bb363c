"""What notifications tells the apps above it, without knowing them.

`staff_whatsapp_sending(clinic=Clinic, numbers=[digits, ...], text=str)` is sent just before a
notification goes to on-duty numbers through the clinic's own WhatsApp number. The gateway
reports each such send back as a `fromMe` message in a chat with that number: conversations
listens and remembers the text as its own (channels.echo), so that the echo is not taken for
staff writing, and no conversation is stored for it.
"""

from django.dispatch import Signal

staff_whatsapp_sending = Signal()
