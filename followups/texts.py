"""What a follow-up says, in the patient's language. Appointment times are formatted by Babel in
the clinic's timezone."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from django.utils.dateparse import parse_datetime

from followups.kinds import Kind
from knowledge.reply_texts import reply_text
from nlu.catalog import BABEL_LOCALES

REMINDER = {
    "ru": "Здравствуйте! Напоминаем о приёме в {clinic}: {when}. Ответьте «да», чтобы "
    "подтвердить, или «нет», если не получится прийти.",
    "en": 'Hello! A reminder of your appointment at {clinic}: {when}. Reply "yes" to confirm '
    'or "no" if you can\'t make it.',
    "es": "¡Hola! Le recordamos su cita en {clinic}: {when}. Responda «sí» para confirmar o "
    "«no» si no puede venir.",
    "pt": 'Olá! Lembramos da sua consulta na {clinic}: {when}. Responda "sim" para confirmar '
    'ou "não" se não puder vir.',
    "uk": "Вітаємо! Нагадуємо про прийом у {clinic}: {when}. Відповідайте «так», щоб "
    "підтвердити, або «ні», якщо не зможете прийти.",
    "he": 'שלום! תזכורת לתור שלך ב-{clinic}: {when}. השב/י "כן" לאישור או "לא" אם לא תוכל/י להגיע.',
}
PRICE_NUDGE = {
    "ru": "Вы спрашивали у нас о стоимости лечения. Хотите записаться? Подберём удобное время.",
    "en": "You asked us about prices recently. Would you like to book? We'll find a time that "
    "suits you.",
    "es": "Hace poco nos preguntó por precios. ¿Quiere reservar una cita? Buscamos un horario "
    "que le venga bien.",
    "pt": "Você nos perguntou sobre preços. Quer agendar? Encontramos um horário bom para você.",
    "uk": "Ви нещодавно питали про вартість лікування. Бажаєте записатися? Підберемо зручний час.",
    "he": "שאלת אותנו לאחרונה על מחירים. רוצה לקבוע תור? נמצא זמן שנוח לך.",
}
AFTERCARE = {
    "ru": "Здравствуйте! Как вы себя чувствуете после процедуры? Если что-то беспокоит, "
    "напишите нам — врач подскажет.",
    "en": "Hello! How are you feeling after your procedure? If anything worries you, write to "
    "us and the dentist will advise.",
    "es": "¡Hola! ¿Cómo se encuentra después del tratamiento? Si algo le preocupa, escríbanos "
    "y el dentista le orientará.",
    "pt": "Olá! Como você está depois do procedimento? Se algo incomodar, escreva para nós e o "
    "dentista vai orientar.",
    "uk": "Вітаємо! Як ви почуваєтеся після процедури? Якщо щось турбує, напишіть нам — лікар "
    "підкаже.",
    "he": "שלום! איך את/ה מרגיש/ה אחרי הטיפול? אם משהו מטריד, כתבו לנו והרופא ייעץ.",
}

BY_KIND = {
    Kind.APPOINTMENT_REMINDER: REMINDER,
    Kind.PRICE_NUDGE: PRICE_NUDGE,
    Kind.AFTERCARE_CHECKIN: AFTERCARE,
}
# What each text is for, as the admin shows it beside a clinic's own words for it (a clinic
# overrides "followup.<kind>"; knowledge.reply_texts).
DESCRIPTIONS = {
    Kind.APPOINTMENT_REMINDER.value: "The reminder of an appointment, asking for a yes or a no.",
    Kind.PRICE_NUDGE.value: "A nudge to book, after a price question left unanswered.",
    Kind.AFTERCARE_CHECKIN.value: "A check-in after a procedure.",
}


def default_of(kind: str, language: str) -> str:
    return BY_KIND[kind][language]


def _when(value, timezone: str, language: str) -> str:
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    local = moment.astimezone(ZoneInfo(timezone))
    return format_datetime(local, "d MMMM, HH:mm", locale=BABEL_LOCALES.get(language, "en_US"))


def followup_text(
    *,
    kind: str,
    context: dict,
    language: str,
    clinic_name: str,
    timezone: str,
    overrides=None,
) -> str:
    """`overrides`: the clinic's own texts ({(key, language): text},
    knowledge.models.ReplyText.overrides_of)."""
    language = language if language in REMINDER else "en"
    texts = BY_KIND.get(kind)
    if texts is None:  # a custom message: staff wrote it
        return str(context["text"])
    values = {}
    if kind == Kind.APPOINTMENT_REMINDER:
        values = {
            "clinic": clinic_name,
            "when": _when(context["appointment_at"], timezone, language),
        }
    return reply_text(f"followup.{kind}", language, texts[language], values, overrides)
