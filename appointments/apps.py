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

        # The LLM lane's booking tools, bound in each answer to the patient it answers.
        from appointments.llm_tools import llm_tools_register

        llm_tools_register()
