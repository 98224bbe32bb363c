"""Staff taking a conversation over, and giving it back to the bot."""

from datetime import UTC, datetime

from clinicbot.runtime import aio
from conversations.hotstore import conversation_key, hot_store
from conversations.models import ConversationSession


def conversation_set_control(*, session: ConversationSession, control: str) -> None:
    """Put a conversation under staff control or give it back to the bot, in the database and in
    the request path's Redis state at once (so the very next patient message sees it)."""
    now = datetime.now(tz=UTC)
    ConversationSession.objects.filter(pk=session.pk).update(
        control=control, control_changed_at=now
    )
    session.control, session.control_changed_at = control, now
    # The key is computed here: reading session.clinic may query, which the event loop must not.
    conversation = conversation_key(session.clinic.whatsapp_instance, session.patient_phone)
    aio.run(_session_state_write(conversation, session, now.timestamp()))


async def _session_state_write(conversation: str, session: ConversationSession, at: float) -> None:
    # The whole state, not just control: a partial hash would hide e.g. an opt-out.
    await hot_store().session_save(
        conversation,
        {
            "control": session.control,
            "control_at": at,
            "status": session.status,
            "language": session.language,
        },
    )
