"""Staff writing to a patient from the admin.

A staff message is journaled and queued in the conversation's ordered outbox like a bot reply
(conversations.outbox): claimed before it is sent, never sent twice, in order behind replies
still waiting, retried only when the gateway certainly did not send it. Stage B stores its
outcome (conversations.services.storage).
"""

import logging
import uuid
from datetime import UTC, datetime

from django.db import DatabaseError

from channels.echo import echo_field
from clinicbot.runtime import aio
from conversations import outbox
from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.journal import Journal, Kind, ReplyState, values_of
from conversations.models import ConversationSession, Message
from conversations.services.control import conversation_set_control
from conversations.services.storage import staff_send_row
from pricing.cache import version_key

logger = logging.getLogger(__name__)


def staff_message_token() -> str:
    """A fresh token for a staff message form: the same form submitted twice sends once."""
    return uuid.uuid4().hex


def staff_message_send(
    *, session: ConversationSession, text: str, token: str, take_control: bool = True
) -> bool:
    """Send `text` to the patient as staff; False when this form (`token`) was sent already.

    Staff writing means staff are in control: the bot goes silent here, as for a message staff
    write from the clinic's phone. Not so for a notice (`take_control=False`): a message the
    clinic sends for a change staff made elsewhere (an appointment booked from the calendar)
    starts no talk of staff's, and the bot goes on answering the patient's reply."""
    instance = session.clinic.whatsapp_instance
    journal = Journal(
        kind=Kind.STAFF_SEND,
        clinic_id=session.clinic_id,
        channel=session.clinic.channel_kind,
        session_id=session.pk,
        instance=instance,
        message_id=f"staff-{token}",
        conversation=conversation_key(instance, session.patient_phone),
        phone=session.patient_phone,
        reply_text=text,
        reply_state=ReplyState.READY,
        received_at=datetime.now(tz=UTC).timestamp(),
    )
    if take_control and session.control != ConversationSession.Control.STAFF:
        conversation_set_control(session=session, control=ConversationSession.Control.STAFF)
    key = message_key(instance, journal.message_id)
    if not aio.run(_staff_message_queue(key, journal)):
        return False
    try:
        # Shown on the conversation page at once; stage B stores it anyway, and brings its
        # delivery up to date (it may have done both already: tasks run inline in tests).
        Message.objects.bulk_create([staff_send_row(journal)], ignore_conflicts=True)
    except DatabaseError:
        logger.warning("staff message %s queued; stage B will store it", key)
    return True


async def _staff_message_queue(key: str, journal: Journal) -> bool:
    store = hot_store()
    # accept(): de-duplicates by the form's token, journals it and lists it for stage B.
    accepted = await store.accept(
        message=key,
        conversation=journal.conversation,
        journal=values_of(journal),
        prices_key=version_key(journal.clinic_id),
        take_ticket=False,
    )
    if accepted is None:
        return False
    # The gateway echoes what we send as a fromMe message: remember it is ours.
    await store.session_save(journal.conversation, {echo_field(journal.reply_text): "1"})
    await store.outbox_push(journal.conversation, key)
    await outbox.enqueue_drain(key)
    return True
