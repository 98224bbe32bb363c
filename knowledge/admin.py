from datetime import datetime

from babel.dates import format_datetime
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from conversations.staff_scope import ClinicScopedAdmin
from knowledge.models import ClinicFacts, FaqEntry, ReplyText
from knowledge.reply_texts import fixed_text, fixed_texts, placeholder_problems
from nlu import BABEL_LOCALES

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

    @admin.display(description=_("question"))
    def first_question(self, entry):
        variants = next(iter(entry.questions.values()), []) if entry.questions else []
        return variants[0] if variants else "—"

    @admin.display(description=_("languages"))
    def languages(self, entry):
        return ", ".join(sorted(entry.answers)) or "—"


@admin.register(ClinicFacts)
class ClinicFactsAdmin(ClinicScopedAdmin):
    list_display = ["clinic", "payment_methods", "insurance_accepted", "updated_at"]
    list_filter = [("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic"]
    raw_id_fields = ["clinic"]
    readonly_fields = ["doctors", "updated_at"]

    @admin.display(description=_("doctors (the clinic's providers, edited in its clinic file)"))
    def doctors(self, facts):
        names = [str(p) for p in facts.clinic.providers.filter(active=True, is_clinic_chair=False)]
        return ", ".join(names) or "—"


# --- the clinic's own reply texts -----------------------------------------------------------------

# What the preview fills a text's placeholders with ("when" in the text's language).
SAMPLE_VALUES = {
    "service": "Professional cleaning",
    "provider": "Dr. Ivanova",
    "with_provider": " (Dr. Ivanova)",
    "clinic": "Smile Clinic",
    "old_when": "Monday, 7 December, 16:30",
}
SAMPLE_MOMENT = datetime(2026, 12, 8, 10, 0)  # noqa: DTZ001  (a wall-clock time, shown as is)
LIST_CHARS = 80


def sample_values(language: str, clinic=None) -> dict[str, str]:
    locale = BABEL_LOCALES.get(language, "en_US")
    when = format_datetime(SAMPLE_MOMENT, "EEEE, d MMMM, HH:mm", locale=locale)
    clinic_name = clinic.name if clinic is not None else SAMPLE_VALUES["clinic"]
    return SAMPLE_VALUES | {"when": when, "clinic": clinic_name}


def _shortened(text: str) -> str:
    return text if len(text) <= LIST_CHARS else text[: LIST_CHARS - 1] + "…"


def _as_written(text: str):
    """A text as the patient reads it: its line breaks kept, right to left in Hebrew."""
    return format_html('<div dir="auto" style="white-space: pre-wrap">{}</div>', text)


def _every_key():
    """On the add page, before a key is chosen: what each one is for and may say."""
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((f.key, f.description, _braced(f.placeholders)) for f in fixed_texts()),
    )
    return format_html(
        '<table id="reply-keys"><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>',
        gettext("key"),
        gettext("what it is for"),
        gettext("placeholders"),
        rows,
    )


def _braced(names) -> str:
    return ", ".join(f"{{{name}}}" for name in names) or gettext("none")


@admin.register(ReplyText)
class ReplyTextAdmin(ClinicScopedAdmin):
    """A clinic's own words for a fixed reply, beside the default it replaces. Placeholders are
    checked on save (ReplyText.clean); the preview shows the text as a patient would get it."""

    list_display = ["clinic", "key", "language", "own_text", "default_text", "updated_at"]
    list_display += ["updated_by"]
    list_filter = ["language", "key", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic", "updated_by"]
    search_fields = ["key", "text"]
    fields = ["clinic", "key", "language", "text", "description", "placeholders", "default"]
    fields += ["preview", "updated_at", "updated_by"]
    readonly_fields = ["description", "placeholders", "default", "preview"]
    readonly_fields += ["updated_at", "updated_by"]

    @admin.display(description=_("text"))
    def own_text(self, reply: ReplyText) -> str:
        return _shortened(reply.text)

    @admin.display(description=_("default"))
    def default_text(self, reply: ReplyText) -> str:
        fixed = fixed_text(reply.key)
        return _shortened(fixed.default(reply.language)) if fixed else "—"

    @admin.display(description=_("what it is for"))
    def description(self, reply: ReplyText):
        fixed = fixed_text(reply.key)
        return fixed.description if fixed else _every_key()

    @admin.display(description=_("placeholders"))
    def placeholders(self, reply: ReplyText) -> str:
        fixed = fixed_text(reply.key)
        if fixed is None:
            return "—"
        return gettext("allowed: %(allowed)s; required: %(required)s") % {
            "allowed": _braced(fixed.placeholders),
            "required": _braced(fixed.required),
        }

    @admin.display(description=_("default text"))
    def default(self, reply: ReplyText):
        fixed = fixed_text(reply.key)
        return _as_written(fixed.default(reply.language or "en")) if fixed else "—"

    @admin.display(description=_("preview (sample values)"))
    def preview(self, reply: ReplyText):
        """The text being edited (also after a refused save) with sample values filled in."""
        fixed = fixed_text(reply.key)
        if fixed is None or not reply.text:
            return "—"
        problems = placeholder_problems(reply.key, reply.text)
        if problems:
            return format_html_join("", "<p>{}</p>", ((problem,) for problem in problems))
        clinic = reply.clinic if reply.clinic_id else None
        return _as_written(fixed.render(reply.text, sample_values(reply.language, clinic)))

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
