from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"

    def ready(self):
        from knowledge.models import ReplyText
        from pricing.cache import bump_on_change, register_companion

        # The fast lane answers in the clinic's own words from memory, beside its prices; an
        # edit makes the clinic's cache stale, so the next message reads the new text.
        register_companion("replies", ReplyText.overrides_of)
        bump_on_change(ReplyText)
