from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Clinic knowledge")

    def ready(self):
        from conversations.signals import clinic_imported
        from knowledge.models import ClinicFacts, FaqEntry, ReplyText
        from knowledge.selectors import faq_index_load
        from knowledge.services import faq_import
        from pricing.cache import bump_on_change, register_companion

        # The clinic's FAQ and facts ride in memory beside its prices (index.extras["faq"]),
        # and an edit of either makes the clinic's cache stale on every worker.
        register_companion("faq", faq_index_load)
        bump_on_change(FaqEntry)
        bump_on_change(ClinicFacts)
        # The clinic file's `faq` is ours; it is imported in the clinic's transaction.
        clinic_imported.connect(faq_import, dispatch_uid="knowledge")
        # The fast lane answers in the clinic's own words from memory, beside its prices; an
        # edit makes the clinic's cache stale, so the next message reads the new text.
        register_companion("replies", ReplyText.overrides_of)
        bump_on_change(ReplyText)
