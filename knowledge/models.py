from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from knowledge.reply_texts import fixed_text, key_choices, language_choices, placeholder_problems

# --- the clinic's FAQ and facts -------------------------------------------------------------------

# --- the clinic's own reply texts -----------------------------------------------------------------


class ReplyText(models.Model):
    """A clinic's own words for one of the bot's fixed replies in one language (the defaults
    and their placeholders: knowledge.reply_texts)."""

    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="reply_texts"
    )
    key = models.CharField(max_length=64, choices=key_choices)
    language = models.CharField(max_length=2, choices=language_choices)
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "key", "language"], name="one_reply_text_per_clinic_key_language"
            )
        ]
        ordering = ["clinic_id", "key", "language"]  # by the id: no join to the clinic

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"

    def clean(self):
        if fixed_text(self.key) is None:
            return  # the key's own validation says so
        problems = placeholder_problems(self.key, self.text)
        if problems:
            raise ValidationError({"text": problems})

    @classmethod
    def overrides_of(cls, clinic_id: int) -> dict[tuple[str, str], str]:
        """{(key, language): text} of the clinic's texts that fit their reply (a text saved
        before its default changed, or written around the admin, is left out)."""
        rows = (
            cls.objects.filter(clinic_id=clinic_id)
            .order_by()  # a dict: any order, and no join to the clinic for its name
            .values_list("key", "language", "text")
        )
        return {
            (key, language): fixed_text(key).served(text)
            for key, language, text in rows
            if fixed_text(key) is not None and not placeholder_problems(key, text)
        }
