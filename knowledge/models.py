from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from clinicbot.labels import lazy_interpolated
from knowledge.reply_texts import fixed_text, key_choices, language_choices, placeholder_problems
from nlu import LANGUAGES

# --- the clinic's FAQ and facts -------------------------------------------------------------------

ANSWER_LANGUAGES = LANGUAGES  # the bot's six
PAYMENT_METHOD_CHOICES = [
    ("cash", _("Cash")),
    ("card", _("Card")),
    ("bank_transfer", _("Bank transfer")),
    ("installments", _("Installments")),
    ("mobile", _("Mobile wallet (Apple Pay, Google Pay...)")),
]
PAYMENT_METHODS = [code for code, _label in PAYMENT_METHOD_CHOICES]


def faq_problems(questions, answers) -> dict[str, str]:
    """What is wrong with an FAQ entry's questions and answers, by field; {} when nothing.
    Every language with questions needs an answer: the bot answers an entry only in the
    language the patient wrote in (nlu.faq)."""
    problems = {}
    if not isinstance(questions, dict) or not all(
        isinstance(v, list) and all(isinstance(q, str) for q in v) for v in questions.values()
    ):
        return {"questions": gettext('Use {"en": ["Is there parking?", ...], ...}.')}
    if not isinstance(answers, dict) or not all(isinstance(a, str) for a in answers.values()):
        return {"answers": gettext('Use {"en": "Free parking behind the building.", ...}.')}
    for field, value in (("questions", questions), ("answers", answers)):
        if unknown := sorted(set(value) - set(ANSWER_LANGUAGES)):
            problems[field] = gettext("unknown language %(unknown)s; use %(languages)s") % {
                "unknown": ", ".join(unknown),
                "languages": ANSWER_LANGUAGES,
            }
    asked = {lang for lang, variants in questions.items() if any(q.strip() for q in variants)}
    answered = {lang for lang, text in answers.items() if text.strip()}
    if not asked:
        problems.setdefault("questions", gettext("at least one question is needed"))
    if not answered:
        problems.setdefault("answers", gettext("at least one answer is needed"))
    elif missing := sorted(asked - answered):
        problems.setdefault(
            "answers",
            gettext("no answer in %(languages)s, which has questions")
            % {"languages": ", ".join(missing)},
        )
    return problems


class FaqEntry(models.Model):
    """A question the clinic answers in its own words, with the ways patients ask it."""

    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="faq_entries"
    )
    key = models.SlugField(max_length=64, help_text=_("Unique per clinic, e.g. parking."))
    # {"en": ["Is there parking?", "where can I park"], "ru": ["Есть ли парковка?"]}
    questions = models.JSONField(default=dict)
    # {"en": "Free parking behind the building.", "ru": "Бесплатная парковка за зданием."}
    answers = models.JSONField(default=dict)
    # Topics it covers; a tag naming a fact (payment, insurance, parking, children, doctors)
    # replaces the bot's built-in answer from the clinic's facts.
    tags = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clinic", "key"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="faq_key_per_clinic")]

    def __str__(self):
        return self.key

    def clean(self):
        self.tags = self.tags or []  # a blank admin field is None
        problems = faq_problems(self.questions, self.answers)
        if not isinstance(self.tags, list) or not all(isinstance(t, str) for t in self.tags):
            problems["tags"] = gettext('Use a list of words, e.g. ["parking"].')
        if problems:
            raise ValidationError(problems)


class ClinicFacts(models.Model):
    """What patients ask every clinic about. Doctors are the clinic's active providers
    (appointments), never copied here."""

    clinic = models.OneToOneField(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="facts"
    )
    payment_methods = models.JSONField(
        default=list,
        blank=True,
        help_text=lazy_interpolated(gettext_noop("Any of %(codes)s."), codes=PAYMENT_METHODS),
    )
    insurance_accepted = models.JSONField(
        default=list, blank=True, help_text=_('Insurers\' names, e.g. ["Clalit", "Maccabi"].')
    )
    # Per language, the clinic's own text: {"en": "Free parking behind the building."}. A
    # language without a text is answered by the LLM lane.
    parking = models.JSONField(default=dict, blank=True)
    children = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("clinic facts")
        verbose_name_plural = _("clinic facts")

    def __str__(self):
        return gettext("facts of %(clinic)s") % {"clinic": self.clinic}

    def clean(self):
        # A blank admin field is None: nothing said on that topic.
        self.payment_methods = self.payment_methods or []
        self.insurance_accepted = self.insurance_accepted or []
        self.parking = self.parking or {}
        self.children = self.children or {}
        problems = {}
        methods = set(PAYMENT_METHODS)
        if not isinstance(self.payment_methods, list) or not set(self.payment_methods) <= methods:
            problems["payment_methods"] = gettext("Use a list of %(codes)s.") % {
                "codes": sorted(methods)
            }
        if not isinstance(self.insurance_accepted, list) or not all(
            isinstance(name, str) and name.strip() for name in self.insurance_accepted
        ):
            problems["insurance_accepted"] = gettext('Use a list of names, e.g. ["Clalit"].')
        for field in ("parking", "children"):
            value = getattr(self, field)
            if not isinstance(value, dict) or not set(value) <= set(ANSWER_LANGUAGES):
                problems[field] = gettext(
                    'Use {"en": "...", ...} with languages among %(languages)s.'
                ) % {"languages": ANSWER_LANGUAGES}
        if problems:
            raise ValidationError(problems)


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
