from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("follow-ups")

    def ready(self):
        from conversations.signals import patient_messages_stored
        from followups.services import followups_after_stored_messages

        # Stage B stores patients' messages; follow-ups react in the same transaction.
        patient_messages_stored.connect(followups_after_stored_messages, dispatch_uid="followups")

        # The clinic may put the follow-ups in its own words (knowledge.reply_texts).
        from followups.texts import DESCRIPTIONS, default_of
        from knowledge.reply_texts import fixed_texts_register

        fixed_texts_register(prefix="followup", descriptions=DESCRIPTIONS, default_of=default_of)
