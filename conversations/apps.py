from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from conversations.services.staff_alerts import staff_sends_remember
        from notifications.signals import staff_whatsapp_sending

        # Staff notifications come back from the gateway as fromMe messages: ours, not staff's.
        staff_whatsapp_sending.connect(staff_sends_remember, dispatch_uid="conversations")
