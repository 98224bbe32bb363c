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
    # The keys are computed here: reading session.clinic may query, which the event loop must
    # not. A patient WhatsApp also names by a LID may write under either key.
    instance = session.clinic.whatsapp_instance
    names = [session.patient_phone, session.patient_lid]
    conversations = [conversation_key(instance, name) for name in names if name]
    aio.run(_session_state_write(conversations, session, now.timestamp()))


async def _session_state_write(conversations: list[str], session, at: float) -> None:
    # The whole state, not just control: a partial hash would hide e.g. an opt-out.
    state = {
        "control": session.control,
        "control_at": at,
        "status": session.status,
        "language": session.language,
    }
    for conversation in conversations:
        await hot_store().session_save(conversation, state)
