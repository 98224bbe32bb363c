"""What the patient is told when staff change their appointment from the calendar, in the
patient's language, and its sending through the conversation's ordered outbox.

A notice goes out as a staff message (conversations.services.staff_messages) under the staff
form's token, so a form submitted twice tells the patient once. It leaves the conversation with
whoever has it: a notice informs, and the bot stays free to answer the patient's reply to it
("can I come later?") in its booking lane.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from appointments import texts
from appointments.models import Appointment
from conversations.services.staff_messages import staff_message_send
from knowledge.models import ReplyText
from knowledge.reply_texts import reply_text

BOOKED, MOVED, CANCELLED = "booked", "moved", "cancelled"

NOTICES: dict[str, dict[str, str]] = {
    "en": {
        BOOKED: "The clinic has booked you in: {service}{with_provider}, {when}. We'll send you "
        "a reminder before the visit.",
        MOVED: "The clinic has moved your appointment: {service}{with_provider} is now {when} "
        "(it was {old_when}).",
        CANCELLED: "The clinic has cancelled your appointment: {service}, {when}. Write to us "
        "here if you'd like another time.",
    },
    "ru": {
        BOOKED: "Клиника записала вас: «{service}»{with_provider}, {when}. Перед визитом "
        "пришлём напоминание.",
        MOVED: "Клиника перенесла вашу запись: «{service}»{with_provider} теперь {when} "
        "(было: {old_when}).",
        CANCELLED: "Клиника отменила вашу запись: «{service}», {when}. Напишите нам здесь, если "
        "хотите выбрать другое время.",
    },
    "uk": {
        BOOKED: "Клініка записала вас: «{service}»{with_provider}, {when}. Перед візитом "
        "надішлемо нагадування.",
        MOVED: "Клініка перенесла ваш запис: «{service}»{with_provider} тепер {when} "
        "(було: {old_when}).",
        CANCELLED: "Клініка скасувала ваш запис: «{service}», {when}. Напишіть нам тут, якщо "
        "бажаєте обрати інший час.",
    },
    "es": {
        BOOKED: "La clínica te ha dado cita: {service}{with_provider}, {when}. Te enviaremos un "
        "recordatorio antes de la visita.",
        MOVED: "La clínica ha cambiado tu cita: {service}{with_provider} ahora es {when} "
        "(antes: {old_when}).",
        CANCELLED: "La clínica ha cancelado tu cita: {service}, {when}. Escríbenos aquí si "
        "quieres otro horario.",
    },
    "pt": {
        BOOKED: "A clínica agendou sua consulta: {service}{with_provider}, {when}. Enviaremos um "
        "lembrete antes da consulta.",
        MOVED: "A clínica remarcou sua consulta: {service}{with_provider} agora é {when} "
        "(antes: {old_when}).",
        CANCELLED: "A clínica cancelou sua consulta: {service}, {when}. Escreva para nós aqui se "
        "quiser outro horário.",
    },
    "he": {
        BOOKED: "המרפאה קבעה לך תור: {service}{with_provider}, {when}. נשלח תזכורת לפני הביקור.",
        MOVED: "המרפאה הזיזה את התור שלך: {service}{with_provider} עכשיו ב{when} "
        "(במקום {old_when}).",
        CANCELLED: "המרפאה ביטלה את התור שלך: {service}, {when}. כתבו לנו כאן אם תרצו מועד אחר.",
    },
}

# What each notice is for, as the admin shows it beside a clinic's own words for it (a clinic
# overrides "notice.<kind>"; knowledge.reply_texts).
DESCRIPTIONS = {
    BOOKED: "Staff booked the patient in from the calendar.",
    MOVED: "Staff moved the patient's appointment from the calendar.",
    CANCELLED: "Staff cancelled the patient's appointment from the calendar.",
}


def default_of(kind: str, language: str) -> str:
    return NOTICES[language][kind]


def language_of(appointment: Appointment) -> str:
    language = appointment.conversation.language or appointment.clinic.default_language
    return language if language in NOTICES else "en"


def notice_text(kind: str, appointment: Appointment, *, old_start: datetime | None = None) -> str:
    """The notice of `kind` about `appointment` as it stands now (a move: `old_start` was its
    start), dates in the clinic's timezone."""
    language = language_of(appointment)
    tz = ZoneInfo(appointment.clinic.timezone)
    overrides = ReplyText.overrides_of(appointment.clinic_id)
    provider = appointment.provider
    with_provider = (
        ""
        if provider.is_clinic_chair
        else texts.text("with", language, overrides, provider=provider.name_in(language))
    )
    values = {
        "service": appointment.service.display_name(language),
        "with_provider": with_provider,
        "when": texts.when(appointment.starts_at.astimezone(tz), language),
    }
    if old_start is not None:
        values["old_when"] = texts.when(old_start.astimezone(tz), language)
    return reply_text(f"notice.{kind}", language, NOTICES[language][kind], values, overrides)


def notice_send(
    kind: str, appointment: Appointment, *, token: str, old_start: datetime | None = None
) -> bool:
    """Tell the patient; False when this form (`token`) has told them already."""
    return staff_message_send(
        session=appointment.conversation,
        text=notice_text(kind, appointment, old_start=old_start),
        token=token,
        take_control=False,
    )
