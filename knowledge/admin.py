from django.contrib import admin

from conversations.staff_scope import ClinicScopedAdmin
from knowledge.models import ClinicFacts, FaqEntry

# --- the clinic's FAQ and facts -------------------------------------------------------------------
# A saved entry or fact reaches the bot on the patient's next message: their post_save bumps the
# clinic's cache version after commit (knowledge.apps, pricing.cache).


@admin.register(FaqEntry)
class FaqEntryAdmin(ClinicScopedAdmin):
    list_display = ["key", "clinic", "first_question", "languages", "active", "updated_at"]
    list_filter = ["active", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic"]
    search_fields = ["key", "questions", "answers", "tags"]
    raw_id_fields = ["clinic"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="question")
    def first_question(self, entry):
        variants = next(iter(entry.questions.values()), []) if entry.questions else []
        return variants[0] if variants else "—"

    @admin.display(description="languages")
    def languages(self, entry):
        return ", ".join(sorted(entry.answers)) or "—"


@admin.register(ClinicFacts)
class ClinicFactsAdmin(ClinicScopedAdmin):
    list_display = ["clinic", "payment_methods", "insurance_accepted", "updated_at"]
    list_filter = [("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic"]
    raw_id_fields = ["clinic"]
    readonly_fields = ["doctors", "updated_at"]

    @admin.display(description="doctors (the clinic's providers, edited in its clinic file)")
    def doctors(self, facts):
        names = [str(p) for p in facts.clinic.providers.filter(active=True, is_clinic_chair=False)]
        return ", ".join(names) or "—"


# --- the clinic's own reply texts -----------------------------------------------------------------
