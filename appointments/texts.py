"""What the booking dialogue says, in the patient's language. Dates and times are formatted by
Babel in the clinic's timezone; names of services and providers come from the clinic file."""

from datetime import datetime

from babel.dates import format_date, format_time

from knowledge.reply_texts import reply_text
from nlu import BABEL_LOCALES

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "ask_service": "Which service would you like to book? Reply with its number:",
        "offer": "Free times for {service}:",
        "asked_taken": "{when} is not free for {service}. The nearest free times:",
        "none_free": "Sorry, I found no free time for {service} then. Would another day suit you?",
        "choose_hint": "Reply with a number, or tell me another day and time.",
        "hold": "I'm holding {when} for {service}{with_provider} for 10 minutes. Shall I book "
        "it? Reply yes or no.",
        "booked": "Booked: {service}{with_provider}, {when}. We'll send you a reminder before "
        "the visit.",
        "moved": "Moved: your {service}{with_provider} is now {when}; the old time is free.",
        "hold_lost": "Sorry, that time has just been taken.",
        "let_go": "Okay, I've let that time go; nothing is booked. Tell me if another time "
        "suits you.",
        "not_understood": "Sorry, I didn't catch that. Reply with the number of a time from "
        "the list, or tell me a day and time.",
        "no_upcoming": "You have no upcoming appointments with us. Would you like to book one?",
        "upcoming": "Your upcoming appointments:",
        "held_line": "(held for you, waiting for your yes)",
        "which": "Which appointment? Reply with its number:",
        "ask_cancel": "Cancel your {service} appointment on {when}? Reply yes to cancel it.",
        "cancelled": "Cancelled: {service}, {when}. The time is free now. We'd be happy to see "
        "you another time!",
        "kept": "Okay, your appointment stays as it is: {service}, {when}.",
        "move_offer": "Free times to move your {service} ({when}) to:",
        "confirmed": "Thank you, your appointment is confirmed: {service}, {when}. See you then!",
        "reminder_declined": "Sorry you can't make it. A colleague has been told. Free times to "
        "move your {service} to:",
        "nothing_pending": "There's nothing waiting for your answer right now. Would you like to "
        "book an appointment? Tell me the service and a day that suits you.",
        "with": " with {provider}",
    },
    "ru": {
        "ask_service": "На какую услугу вас записать? Ответьте номером:",
        "offer": "Свободное время на «{service}»:",
        "asked_taken": "{when} на «{service}» занято. Ближайшее свободное время:",
        "none_free": "К сожалению, на «{service}» в это время мест нет. Подойдёт другой день?",
        "choose_hint": "Ответьте номером или напишите другой день и время.",
        "hold": "Держу для вас {when} на «{service}»{with_provider}; время сохранится 10 "
        "минут. Записать? Ответьте «да» или «нет».",
        "booked": "Записали: «{service}»{with_provider}, {when}. Перед визитом пришлём "
        "напоминание.",
        "moved": "Перенесли: «{service}»{with_provider} теперь {when}; прежнее время свободно.",
        "hold_lost": "К сожалению, это время только что заняли.",
        "let_go": "Хорошо, время отпустили, никакой записи нет. Напишите, если подойдёт другое "
        "время.",
        "not_understood": "Простите, не поняла. Ответьте номером времени из списка или "
        "напишите день и время.",
        "no_upcoming": "У вас нет предстоящих записей. Хотите записаться?",
        "upcoming": "Ваши предстоящие записи:",
        "held_line": "(держим для вас, ждём вашего «да»)",
        "which": "Какую запись? Ответьте номером:",
        "ask_cancel": "Отменить запись на «{service}», {when}? Ответьте «да», чтобы отменить.",
        "cancelled": "Отменили: «{service}», {when}. Время освободилось. Будем рады видеть вас "
        "в другой раз!",
        "kept": "Хорошо, запись остаётся: «{service}», {when}.",
        "move_offer": "Свободное время для переноса «{service}» ({when}):",
        "confirmed": "Спасибо, запись подтверждена: «{service}», {when}. Ждём вас!",
        "reminder_declined": "Жаль, что не получается. Мы передали администратору. Свободное "
        "время для переноса «{service}»:",
        "nothing_pending": "Сейчас ничего не ждёт вашего ответа. Хотите записаться? Напишите "
        "услугу и удобный день.",
        "with": ", специалист: {provider}",
    },
    "uk": {
        "ask_service": "На яку послугу вас записати? Відповідайте номером:",
        "offer": "Вільний час на «{service}»:",
        "asked_taken": "{when} на «{service}» зайнято. Найближчий вільний час:",
        "none_free": "На жаль, на «{service}» у цей час місць немає. Підійде інший день?",
        "choose_hint": "Відповідайте номером або напишіть інший день і час.",
        "hold": "Тримаю для вас {when} на «{service}»{with_provider}; час збережеться 10 "
        "хвилин. Записати? Відповідайте «так» або «ні».",
        "booked": "Записали: «{service}»{with_provider}, {when}. Перед візитом надішлемо "
        "нагадування.",
        "moved": "Перенесли: «{service}»{with_provider} тепер {when}; попередній час вільний.",
        "hold_lost": "На жаль, цей час щойно зайняли.",
        "let_go": "Добре, час відпустили, запису немає. Напишіть, якщо підійде інший час.",
        "not_understood": "Вибачте, не зрозуміла. Відповідайте номером часу зі списку або "
        "напишіть день і час.",
        "no_upcoming": "У вас немає майбутніх записів. Бажаєте записатися?",
        "upcoming": "Ваші майбутні записи:",
        "held_line": "(тримаємо для вас, чекаємо на ваше «так»)",
        "which": "Який запис? Відповідайте номером:",
        "ask_cancel": "Скасувати запис на «{service}», {when}? Відповідайте «так», щоб скасувати.",
        "cancelled": "Скасували: «{service}», {when}. Час звільнився. Будемо раді бачити вас "
        "іншим разом!",
        "kept": "Добре, запис лишається: «{service}», {when}.",
        "move_offer": "Вільний час для перенесення «{service}» ({when}):",
        "confirmed": "Дякуємо, запис підтверджено: «{service}», {when}. Чекаємо на вас!",
        "reminder_declined": "Шкода, що не виходить. Ми передали адміністратору. Вільний час "
        "для перенесення «{service}»:",
        "nothing_pending": "Зараз нічого не чекає на вашу відповідь. Бажаєте записатися? "
        "Напишіть послугу і зручний день.",
        "with": ", фахівець: {provider}",
    },
    "es": {
        "ask_service": "¿Para qué servicio quieres la cita? Responde con su número:",
        "offer": "Horarios libres para {service}:",
        "asked_taken": "{when} no está libre para {service}. Los horarios libres más cercanos:",
        "none_free": "Lo siento, no encontré horario libre para {service} entonces. ¿Te "
        "viene bien otro día?",
        "choose_hint": "Responde con un número, o dime otro día y hora.",
        "hold": "Te guardo {when} para {service}{with_provider} durante 10 minutos. ¿La "
        "reservo? Responde sí o no.",
        "booked": "Reservado: {service}{with_provider}, {when}. Te enviaremos un recordatorio "
        "antes de la visita.",
        "moved": "Cambiada: tu cita de {service}{with_provider} ahora es {when}; el horario "
        "anterior quedó libre.",
        "hold_lost": "Lo siento, ese horario se acaba de ocupar.",
        "let_go": "De acuerdo, he liberado ese horario; no hay nada reservado. Dime si te "
        "viene bien otro.",
        "not_understood": "Perdona, no lo entendí. Responde con el número de un horario de la "
        "lista, o dime un día y una hora.",
        "no_upcoming": "No tienes citas próximas con nosotros. ¿Quieres pedir una?",
        "upcoming": "Tus próximas citas:",
        "held_line": "(guardada para ti, esperando tu sí)",
        "which": "¿Qué cita? Responde con su número:",
        "ask_cancel": "¿Cancelar tu cita de {service} del {when}? Responde sí para cancelarla.",
        "cancelled": "Cancelada: {service}, {when}. El horario ha quedado libre. ¡Te esperamos "
        "en otra ocasión!",
        "kept": "De acuerdo, tu cita sigue igual: {service}, {when}.",
        "move_offer": "Horarios libres para cambiar tu cita de {service} ({when}):",
        "confirmed": "Gracias, tu cita está confirmada: {service}, {when}. ¡Te esperamos!",
        "reminder_declined": "Qué pena que no puedas venir. Ya avisamos a recepción. Horarios "
        "libres para cambiar tu cita de {service}:",
        "nothing_pending": "Ahora mismo no hay nada pendiente de tu respuesta. ¿Quieres pedir "
        "cita? Dime el servicio y un día que te venga bien.",
        "with": " con {provider}",
    },
    "pt": {
        "ask_service": "Para qual serviço você quer agendar? Responda com o número:",
        "offer": "Horários livres para {service}:",
        "asked_taken": "{when} não está livre para {service}. Os horários livres mais próximos:",
        "none_free": "Desculpe, não encontrei horário livre para {service} nesse período. "
        "Outro dia serve?",
        "choose_hint": "Responda com um número, ou diga outro dia e horário.",
        "hold": "Estou segurando {when} para {service}{with_provider} por 10 minutos. Posso "
        "agendar? Responda sim ou não.",
        "booked": "Agendado: {service}{with_provider}, {when}. Enviaremos um lembrete antes da "
        "consulta.",
        "moved": "Remarcado: {service}{with_provider} agora é {when}; o horário antigo ficou "
        "livre.",
        "hold_lost": "Desculpe, esse horário acabou de ser ocupado.",
        "let_go": "Tudo bem, liberei esse horário; nada foi agendado. Diga se outro horário serve.",
        "not_understood": "Desculpe, não entendi. Responda com o número de um horário da lista "
        "ou diga um dia e horário.",
        "no_upcoming": "Você não tem consultas marcadas conosco. Quer agendar uma?",
        "upcoming": "Suas próximas consultas:",
        "held_line": "(reservado para você, aguardando seu sim)",
        "which": "Qual consulta? Responda com o número:",
        "ask_cancel": "Cancelar sua consulta de {service} em {when}? Responda sim para cancelar.",
        "cancelled": "Cancelada: {service}, {when}. O horário está livre. Esperamos você em "
        "outra ocasião!",
        "kept": "Tudo bem, sua consulta continua: {service}, {when}.",
        "move_offer": "Horários livres para remarcar {service} ({when}):",
        "confirmed": "Obrigado, sua consulta está confirmada: {service}, {when}. Até lá!",
        "reminder_declined": "Que pena que não vai dar. Já avisamos a recepção. Horários livres "
        "para remarcar {service}:",
        "nothing_pending": "Agora não há nada aguardando sua resposta. Quer agendar uma "
        "consulta? Diga o serviço e um dia que seja bom para você.",
        "with": " com {provider}",
    },
    "he": {
        "ask_service": "לאיזה טיפול לקבוע תור? השיבו במספר:",
        "offer": "מועדים פנויים ל{service}:",
        "asked_taken": "{when} אינו פנוי ל{service}. המועדים הפנויים הקרובים:",
        "none_free": "מצטערים, לא מצאתי מועד פנוי ל{service} בזמן הזה. האם יום אחר מתאים?",
        "choose_hint": "השיבו במספר, או כתבו יום ושעה אחרים.",
        "hold": "אני שומרת לך את {when} ל{service}{with_provider} למשך 10 דקות. לקבוע? השיבו "
        "כן או לא.",
        "booked": "נקבע: {service}{with_provider}, {when}. נשלח תזכורת לפני הביקור.",
        "moved": "הוזז: {service}{with_provider} עכשיו ב{when}; המועד הקודם התפנה.",
        "hold_lost": "מצטערים, המועד הזה נתפס הרגע.",
        "let_go": "בסדר, שחררתי את המועד; לא נקבע דבר. כתבו אם מועד אחר מתאים.",
        "not_understood": "סליחה, לא הבנתי. השיבו במספר של מועד מהרשימה, או כתבו יום ושעה.",
        "no_upcoming": "אין לך תורים קרובים אצלנו. לקבוע תור?",
        "upcoming": "התורים הקרובים שלך:",
        "held_line": "(שמור עבורך, ממתין לאישורך)",
        "which": "איזה תור? השיבו במספר:",
        "ask_cancel": "לבטל את התור ל{service} ב{when}? השיבו כן כדי לבטל.",
        "cancelled": "בוטל: {service}, {when}. המועד התפנה. נשמח לראותך בפעם אחרת!",
        "kept": "בסדר, התור נשאר: {service}, {when}.",
        "move_offer": "מועדים פנויים להזזת {service} ({when}):",
        "confirmed": "תודה, התור אושר: {service}, {when}. מחכים לך!",
        "reminder_declined": "חבל שלא מסתדר. עדכנו את הצוות. מועדים פנויים להזזת {service}:",
        "nothing_pending": "כרגע אין דבר שממתין לתשובתך. לקבוע תור? כתבו את הטיפול ויום שנוח לך.",
        "with": " אצל {provider}",
    },
}


# What each text is for, as the admin shows it beside a clinic's own words for it (a clinic
# overrides "booking.<key>"; knowledge.reply_texts).
DESCRIPTIONS = {
    "ask_service": "Asks which service to book, before the numbered list.",
    "offer": "Before the free times offered for a service.",
    "asked_taken": "The time the patient asked for is taken; before the nearest free times.",
    "none_free": "No free time for the service when the patient asked.",
    "choose_hint": "After a list of times: how to choose.",
    "hold": "A time is held for the patient: asks for the yes.",
    "booked": "The booking confirmation.",
    "moved": "An appointment moved at the patient's request.",
    "hold_lost": "The held time was taken meanwhile.",
    "let_go": "The patient said no to the held time.",
    "not_understood": "An answer the dialogue could not read.",
    "no_upcoming": "The patient asked for their appointments and has none.",
    "upcoming": "Before the list of the patient's appointments.",
    "held_line": "After an appointment in the list that waits for the patient's yes.",
    "which": "Asks which appointment, before the numbered list.",
    "ask_cancel": "Asks to confirm a cancellation.",
    "cancelled": "An appointment cancelled at the patient's request.",
    "kept": "The patient said no to the cancellation.",
    "move_offer": "Before the free times to move an appointment to.",
    "confirmed": "The patient confirmed their appointment (a yes to a reminder).",
    "reminder_declined": "The patient declined a reminder; before the free times to move to.",
    "nothing_pending": "A yes or a no with nothing waiting for it.",
    "with": "The provider, inserted as {with_provider} into other texts.",
}


def text(key: str, language: str, overrides=None, **values) -> str:
    """The text in the clinic's own words when `overrides` ({(key, language): text},
    knowledge.models.ReplyText.overrides_of) has them, else the default."""
    language = language if language in TEXTS else "en"
    return reply_text(f"booking.{key}", language, TEXTS[language][key], values, overrides)


def default_of(key: str, language: str) -> str:
    return TEXTS[language][key]


def when(moment: datetime, language: str) -> str:
    """ "Tuesday, 8 December, 10:00" in the patient's language; `moment` is clinic-local."""
    locale = BABEL_LOCALES.get(language, "en_US")
    day = format_date(moment, "EEEE, d MMMM", locale=locale)
    return f"{day}, {format_time(moment, 'HH:mm', locale=locale)}"


def numbered(lines: list[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
