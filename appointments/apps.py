from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self):
        from appointments.services.clinic_file import booking_import
        from appointments.services.reminders import reminders_sent
        from conversations.signals import clinic_imported
        from followups.signals import followups_sent

        # The clinic file's booking part is ours; it is imported in the clinic's transaction.
        clinic_imported.connect(booking_import, dispatch_uid="appointments")
        # A reminder went out: the patient's next yes or no answers it.
        followups_sent.connect(reminders_sent, dispatch_uid="appointments")

        # The clinic's facts name its providers as its doctors (knowledge): a provider's change
        # makes the clinic's cache stale, as a price change does.
        from appointments.models import Provider
        from pricing.cache import bump_on_change

        bump_on_change(Provider)

        # The LLM lane's booking tools, bound in each answer to the patient it answers.
        from appointments.llm_tools import llm_tools_register

        llm_tools_register()

        # The clinic may put the dialogue's texts in its own words (knowledge.reply_texts).
        from appointments import notices
        from appointments import texts as booking_texts
        from knowledge.reply_texts import fixed_texts_register

        fixed_texts_register(
            prefix="booking",
            descriptions=booking_texts.DESCRIPTIONS,
            default_of=booking_texts.default_of,
        )
        fixed_texts_register(
            prefix="notice", descriptions=notices.DESCRIPTIONS, default_of=notices.default_of
        )
