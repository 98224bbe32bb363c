"""What staff are told, in the clinic's default language. Never a patient's name, phone or
words: the event, the clinic, when, and a link to the conversation in the admin."""

EVENT_NAMES = {
    "en": {
        "urgent": "URGENT hand-off",
        "handoff": "Hand-off: a patient waits for a person",
        "cancel_request": "Cancel or reschedule request",
        "reminder_declined": "Appointment reminder declined",
        "send_refused": "A reply could not be delivered",
        "disconnected": "WhatsApp disconnected",
    },
    "ru": {
        "urgent": "СРОЧНО: передача администратору",
        "handoff": "Пациент ждёт ответа администратора",
        "cancel_request": "Просьба отменить или перенести запись",
        "reminder_declined": "Пациент отказался от записи в ответ на напоминание",
        "send_refused": "Ответ не удалось доставить",
        "disconnected": "WhatsApp отключён",
    },
    "uk": {
        "urgent": "ТЕРМІНОВО: передача адміністратору",
        "handoff": "Пацієнт чекає відповіді адміністратора",
        "cancel_request": "Прохання скасувати або перенести запис",
        "reminder_declined": "Пацієнт відмовився від запису у відповідь на нагадування",
        "send_refused": "Відповідь не вдалося доставити",
        "disconnected": "WhatsApp відключено",
    },
    "es": {
        "urgent": "URGENTE: un paciente necesita a una persona",
        "handoff": "Un paciente espera a una persona",
        "cancel_request": "Solicitud de cancelar o cambiar una cita",
        "reminder_declined": "Recordatorio de cita rechazado",
        "send_refused": "No se pudo entregar una respuesta",
        "disconnected": "WhatsApp desconectado",
    },
    "pt": {
        "urgent": "URGENTE: um paciente precisa de uma pessoa",
        "handoff": "Um paciente aguarda uma pessoa",
        "cancel_request": "Pedido de cancelar ou remarcar consulta",
        "reminder_declined": "Lembrete de consulta recusado",
        "send_refused": "Não foi possível entregar uma resposta",
        "disconnected": "WhatsApp desconectado",
    },
    "he": {
        "urgent": "דחוף: מטופל צריך נציג",
        "handoff": "מטופל ממתין לנציג",
        "cancel_request": "בקשה לבטל או להזיז תור",
        "reminder_declined": "מטופל דחה תזכורת לתור",
        "send_refused": "לא ניתן היה למסור תשובה",
        "disconnected": "WhatsApp מנותק",
    },
}

LINES = {
    "en": {"conversation": "Conversation", "digest": "While quiet hours lasted"},
    "ru": {"conversation": "Разговор", "digest": "Пока действовали тихие часы"},
    "uk": {"conversation": "Розмова", "digest": "Поки тривали тихі години"},
    "es": {"conversation": "Conversación", "digest": "Durante las horas de silencio"},
    "pt": {"conversation": "Conversa", "digest": "Durante o horário silencioso"},
    "he": {"conversation": "שיחה", "digest": "בזמן השעות השקטות"},
}


def event_name(kind: str, language: str) -> str:
    return EVENT_NAMES.get(language, EVENT_NAMES["en"])[kind]


def line(name: str, language: str) -> str:
    return LINES.get(language, LINES["en"])[name]
