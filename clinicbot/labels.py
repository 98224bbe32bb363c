"""The console's names for our models and their fields, in the staff member's language.

Django names a model and a field after its attribute ("conversation session", "patient phone")
unless the code gives a verbose_name, and a name so derived is English only. Rather than spell
out a verbose_name for some 150 fields (and a migration altering every one of them),
`derived_names_translate` wraps each derived name in gettext_lazy when the apps are ready: the
text is unchanged, and migrations see no change (they read the field's own `_verbose_name` and
the model's `original_attrs`, untouched), while the admin shows the name through the catalogs.
makemessages finds the names in NAMES below; a test (conversations.tests.test_console_language)
fails when a model of ours gains a name that is not listed, so it cannot go untranslated
unnoticed. Names given in the code (verbose_name=_("..."), choices, help texts) are marked there.
"""

from django.apps import apps
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop

APPS = (
    "conversations",
    "pricing",
    "followups",
    "appointments",
    "knowledge",
    "notifications",
    "security",
)


def derived_names() -> list[tuple[object, str]]:
    """(owner, attribute) of every name Django derived for our models and their fields."""
    found = []
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            options = model._meta
            for attribute in ("verbose_name", "verbose_name_plural"):
                if attribute not in options.original_attrs:
                    found.append((options, attribute))
            # A field of the model's own (not the other side of a relation), named by Django.
            found += [
                (field, "verbose_name")
                for field in options.get_fields()
                if (field.concrete or not field.auto_created)
                and getattr(field, "_verbose_name", "") is None
            ]
    return found


def derived_names_translate() -> None:
    for owner, attribute in derived_names():
        setattr(owner, attribute, gettext_lazy(str(getattr(owner, attribute))))


def lazy_interpolated(message: str, **values) -> str:
    """A help text with values in it ("Any of %(codes)s."), translated when shown: gettext_lazy's
    own % would translate it once, at import. `message` is marked with gettext_noop where it is
    written; migrations see its English text, as with gettext_lazy."""
    return lazy(lambda: gettext(message) % values, str)()


NAMES = (
    gettext_noop("LLM models"),
    gettext_noop("action"),
    gettext_noop("active"),
    gettext_noop("actor"),
    gettext_noop("address"),
    gettext_noop("aliases"),
    gettext_noop("answers"),
    gettext_noop("appointment"),
    gettext_noop("appointment change"),
    gettext_noop("appointment changes"),
    gettext_noop("appointments"),
    gettext_noop("at"),
    gettext_noop("attempts"),
    gettext_noop("attention"),
    gettext_noop("attention at"),
    gettext_noop("audit checkpoint"),
    gettext_noop("audit checkpoints"),
    gettext_noop("audit event"),
    gettext_noop("audit events"),
    gettext_noop("audit head"),
    gettext_noop("audit heads"),
    gettext_noop("awaiting"),
    gettext_noop("booking dialog"),
    gettext_noop("booking dialogs"),
    gettext_noop("booking rules"),
    gettext_noop("business hours"),
    gettext_noop("cache hits"),
    gettext_noop("changed at"),
    gettext_noop("changed by"),
    gettext_noop("channel"),
    gettext_noop("channel kind"),
    gettext_noop("children"),
    gettext_noop("choice id"),
    gettext_noop("claimed at"),
    gettext_noop("clinic"),
    gettext_noop("clinics"),
    gettext_noop("closure"),
    gettext_noop("closures"),
    gettext_noop("code"),
    gettext_noop("connection changed at"),
    gettext_noop("connection reason"),
    gettext_noop("connection state"),
    gettext_noop("context"),
    gettext_noop("context window"),
    gettext_noop("control"),
    gettext_noop("control changed at"),
    gettext_noop("conversation"),
    gettext_noop("conversation session"),
    gettext_noop("conversation sessions"),
    gettext_noop("created at"),
    gettext_noop("currency"),
    gettext_noop("db ms"),
    gettext_noop("dedupe key"),
    gettext_noop("default language"),
    gettext_noop("deleted at"),
    gettext_noop("delivery status"),
    gettext_noop("detail"),
    gettext_noop("details"),
    gettext_noop("direction"),
    gettext_noop("due at"),
    gettext_noop("duration minutes"),
    gettext_noop("edited at"),
    gettext_noop("email"),
    gettext_noop("emergency instructions"),
    gettext_noop("ends at"),
    gettext_noop("external org id"),
    gettext_noop("fast lane ms"),
    gettext_noop("first day"),
    gettext_noop("follow up"),
    gettext_noop("follow ups"),
    gettext_noop("from staff"),
    gettext_noop("gateway id"),
    gettext_noop("handoff release hours"),
    gettext_noop("head mac"),
    gettext_noop("hold expires at"),
    gettext_noop("horizon days"),
    gettext_noop("hours"),
    gettext_noop("idempotency key"),
    gettext_noop("insurance accepted"),
    gettext_noop("intent"),
    gettext_noop("is clinic chair"),
    gettext_noop("is transcript"),
    gettext_noop("key"),
    gettext_noop("key fingerprint"),
    gettext_noop("kind"),
    gettext_noop("lane"),
    gettext_noop("language"),
    gettext_noop("last day"),
    gettext_noop("last inbound at"),
    gettext_noop("last message"),
    gettext_noop("last reply"),
    gettext_noop("llm completion tokens"),
    gettext_noop("llm model"),
    gettext_noop("llm ms"),
    gettext_noop("llm prompt tokens"),
    gettext_noop("mac"),
    gettext_noop("max output tokens"),
    gettext_noop("media content"),
    gettext_noop("media kind"),
    gettext_noop("media mime"),
    gettext_noop("media size"),
    gettext_noop("message"),
    gettext_noop("message metric"),
    gettext_noop("message metrics"),
    gettext_noop("messages"),
    gettext_noop("min notice minutes"),
    gettext_noop("name"),
    gettext_noop("names"),
    gettext_noop("new price"),
    gettext_noop("new starts at"),
    gettext_noop("new status"),
    gettext_noop("object id"),
    gettext_noop("object type"),
    gettext_noop("offered"),
    gettext_noop("old price"),
    gettext_noop("old starts at"),
    gettext_noop("old status"),
    gettext_noop("on"),
    gettext_noop("outcome"),
    gettext_noop("parking"),
    gettext_noop("patient lid"),
    gettext_noop("patient lid index"),
    gettext_noop("patient name"),
    gettext_noop("patient phone"),
    gettext_noop("patient phone index"),
    gettext_noop("payment methods"),
    gettext_noop("phone"),
    gettext_noop("prev mac"),
    gettext_noop("price"),
    gettext_noop("price change"),
    gettext_noop("price changes"),
    gettext_noop("provider"),
    gettext_noop("providers"),
    gettext_noop("questions"),
    gettext_noop("quiet hours"),
    gettext_noop("quoted wa id"),
    gettext_noop("rank"),
    gettext_noop("reason"),
    gettext_noop("received at"),
    gettext_noop("reminders before minutes"),
    gettext_noop("replaces"),
    gettext_noop("reply text"),
    gettext_noop("reply texts"),
    gettext_noop("reply to"),
    gettext_noop("responded at"),
    gettext_noop("response"),
    gettext_noop("scheduled followup at"),
    gettext_noop("send ms"),
    gettext_noop("sent at"),
    gettext_noop("seq"),
    gettext_noop("service"),
    gettext_noop("service code"),
    gettext_noop("services"),
    gettext_noop("session"),
    gettext_noop("signature"),
    gettext_noop("slot step minutes"),
    gettext_noop("slug"),
    gettext_noop("source"),
    gettext_noop("source ip"),
    gettext_noop("staff"),
    gettext_noop("staff notification"),
    gettext_noop("staff notifications"),
    gettext_noop("starts at"),
    gettext_noop("state"),
    gettext_noop("status"),
    gettext_noop("step"),
    gettext_noop("supports streaming"),
    gettext_noop("supports tools"),
    gettext_noop("tags"),
    gettext_noop("text"),
    gettext_noop("then"),
    gettext_noop("timezone"),
    gettext_noop("total ms"),
    gettext_noop("transcription model"),
    gettext_noop("updated at"),
    gettext_noop("updated by"),
    gettext_noop("urgent"),
    gettext_noop("wa message id"),
    gettext_noop("whatsapp"),
    gettext_noop("whatsapp instance"),
)
