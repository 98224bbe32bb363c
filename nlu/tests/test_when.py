"""read_when: the days, the hour or window, or the list choice a patient's message names, in
every language, read on a fixed Monday (7 December 2026)."""

import subprocess
import sys
from datetime import date, time

import pytest
from babel import Locale

from nlu.tests.test_package import PROJECT_PACKAGES, ROOT
from nlu.when import When, _meanings, read_when

TODAY = date(2026, 12, 7)  # a Monday
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 12, n) for n in range(7, 14))
NEXT_MON, NEXT_FRI = date(2026, 12, 14), date(2026, 12, 18)
# ru, uk, es weeks start on Monday; en (US), pt (BR), he (IL) weeks on Sunday.
NEXT_WEEK_FROM_MONDAY = tuple(date(2026, 12, n) for n in range(14, 21))
NEXT_WEEK_FROM_SUNDAY = tuple(date(2026, 12, n) for n in range(13, 20))


def when(*days, at=None, earliest=None, latest=None, choice=None) -> When:
    def clock(text):
        return time.fromisoformat(text) if text else None

    flat = tuple(d for group in days for d in (group if isinstance(group, tuple) else (group,)))
    return When(flat, clock(at), clock(earliest), clock(latest), choice)


MORNING = {"earliest": "08:00", "latest": "12:00"}
AFTERNOON = {"earliest": "12:00", "latest": "17:00"}
AFTER_LUNCH = {"earliest": "13:00"}
EVENING = {"earliest": "17:00", "latest": "21:00"}
EMPTY = When()

CASES = [
    # --- the examples ---
    ("en", "book a cleaning tomorrow at 10", when(TUE, at="10:00")),
    ("pt", "a limpeza na sexta de manhã", when(FRI, **MORNING)),
    ("ru", "в четверг после обеда", when(THU, **AFTER_LUNCH)),
    ("ru", "хочу записаться на чистку завтра в 10", when(TUE, at="10:00")),
    ("es", "a las 5 de la tarde", when(at="17:00")),
    ("pt", "às 15h", when(at="15:00")),
    ("he", "בעשר", when(at="10:00")),
    ("ru", "в 10 утра", when(at="10:00")),
    # --- Russian ---
    ("ru", "Сегодня вечером", when(MON, **EVENING)),
    ("ru", "послезавтра", when(WED)),
    ("ru", "в среду утром", when(WED, **MORNING)),
    ("ru", "в пятницу или субботу", when(FRI, SAT)),
    ("ru", "в понедельник", when(NEXT_MON)),  # said on a Monday: next week's
    ("ru", "в этот понедельник", when(MON)),
    ("ru", "в эту пятницу", when(FRI)),
    ("ru", "в следующую пятницу", when(NEXT_FRI)),
    ("ru", "на следующей неделе", when(NEXT_WEEK_FROM_MONDAY)),
    ("ru", "на следующей неделе в пятницу", when(NEXT_FRI)),
    ("ru", "12.12", when(SAT)),
    ("ru", "12-12", when(SAT)),
    ("ru", "на 12.12 в 11.15", when(SAT, at="11:15")),
    ("ru", "5.01", when(date(2027, 1, 5))),
    ("ru", "25.12.2026", when(date(2026, 12, 25))),
    ("ru", "12 декабря", when(SAT)),
    ("ru", "15 января в 10:30", when(date(2027, 1, 15), at="10:30")),
    ("ru", "12-го в 9", when(SAT, at="09:00")),
    ("ru", "в 3 дня", when(at="15:00")),
    ("ru", "в 7 вечера", when(at="19:00")),
    ("ru", "завтра в десять", when(TUE, at="10:00")),
    ("ru", "завтра 10", when(TUE, at="10:00")),
    ("ru", "после трех", when(earliest="15:00")),
    ("ru", "с 10 до 12", when(earliest="10:00", latest="12:00")),
    ("ru", "в 11.11", when(at="11:11")),
    ("ru", "через 2 дня", when(WED)),
    ("ru", "на выходных", when(SAT, SUN)),
    ("ru", "доброе утро, можно завтра в 3?", when(TUE, at="15:00")),
    ("ru", "завтра 2 пломбы", when(TUE)),
    ("ru", "в прошлую пятницу был, а в следующую пятницу в 10?", when(NEXT_FRI, at="10:00")),
    ("ru", "второй", when(choice=2)),
    ("ru", "вариант 3", when(choice=3)),
    ("ru", "2", when(choice=2)),
    ("ru", "сколько стоит чистка?", EMPTY),
    # --- Ukrainian ---
    ("uk", "завтра о 10", when(TUE, at="10:00")),
    ("uk", "о десятій", when(at="10:00")),
    ("uk", "о третій дня", when(at="15:00")),
    ("uk", "о 7 вечора", when(at="19:00")),
    ("uk", "сьогодні ввечері", when(MON, **EVENING)),
    ("uk", "післязавтра зранку", when(WED, **MORNING)),
    ("uk", "на понеділок", when(NEXT_MON)),
    ("uk", "у п’ятницю вранці", when(FRI, **MORNING)),
    ("uk", "в четвер після обіду", when(THU, **AFTER_LUNCH)),
    ("uk", "до обіду в середу", when(WED, latest="12:00")),
    ("uk", "наступного тижня", when(NEXT_WEEK_FROM_MONDAY)),
    ("uk", "12.12", when(SAT)),
    ("uk", "12 грудня", when(SAT)),
    ("uk", "з 9 до 11", when(earliest="09:00", latest="11:00")),
    ("uk", "другий", when(choice=2)),
    ("uk", "зуб болить вже 3 години", EMPTY),  # a duration, not 15:00
    ("uk", "дякую, до побачення", EMPTY),
    # --- English ---
    ("en", "tomorrow at 10", when(TUE, at="10:00")),
    ("en", "at 3", when(at="15:00")),  # an unmarked 1..7 is the afternoon
    ("en", "at ten", when(at="10:00")),
    ("en", "3pm", when(at="15:00")),
    ("en", "10am", when(at="10:00")),
    ("en", "3 p.m. on Thursday", when(THU, at="15:00")),
    ("en", "10:30", when(at="10:30")),
    ("en", "at 10.30", when(at="10:30")),
    ("en", "tonight at 7", when(MON, at="19:00")),
    ("en", "the day after tomorrow in the morning", when(WED, **MORNING)),
    ("en", "on friday", when(FRI)),
    ("en", "fri afternoon", when(FRI, **AFTERNOON)),
    ("en", "monday", when(NEXT_MON)),
    ("en", "this friday", when(FRI)),
    ("en", "next friday", when(NEXT_FRI)),
    ("en", "next week", when(NEXT_WEEK_FROM_SUNDAY)),
    ("en", "12/20", when(date(2026, 12, 20))),  # month first
    ("en", "1/5", when(date(2027, 1, 5))),
    ("en", "12/5/2027", when(date(2027, 12, 5))),
    ("en", "dec 12", when(SAT)),
    ("en", "December 24th at 9:30", when(date(2026, 12, 24), at="09:30")),
    ("en", "can I come on the 15th at 4", when(date(2026, 12, 15), at="16:00")),
    ("en", "after 3", when(earliest="15:00")),
    ("en", "before 12", when(latest="12:00")),
    ("en", "tomorrow 10-12", when(TUE, earliest="10:00", latest="12:00")),
    ("en", "in 3 days", when(THU)),
    ("en", "this weekend", when(SAT, SUN)),
    ("en", "good morning, can I come tomorrow at 3?", when(TUE, at="15:00")),
    ("en", "noon tomorrow", when(TUE, at="12:00")),
    ("en", "I need 2 fillings tomorrow", when(TUE)),
    ("en", "bad toothache since this morning, can you see me today?", when(MON)),
    ("en", "#2", when(choice=2)),
    ("en", "the second one", when(choice=2)),
    ("en", "option 4", when(choice=4)),
    ("en", "10", when(choice=10)),
    ("en", "how much is a cleaning?", EMPTY),
    # --- Spanish ---
    ("es", "mañana a las 10", when(TUE, at="10:00")),
    ("es", "mañana", when(TUE)),
    ("es", "mañana por la mañana", when(TUE, **MORNING)),
    ("es", "por la mañana", when(**MORNING)),
    ("es", "mañana a las 10 de la mañana", when(TUE, at="10:00")),
    ("es", "mañana de mañana", when(TUE, **MORNING)),
    ("es", "tengo que cancelar la cita de mañana", when(TUE)),
    ("es", "pasado mañana", when(WED)),
    ("es", "hoy", when(MON)),
    ("es", "el viernes por la tarde", when(FRI, **AFTERNOON)),
    ("es", "el miércoles después de comer", when(WED, **AFTER_LUNCH)),
    ("es", "el próximo viernes", when(NEXT_FRI)),
    ("es", "el viernes que viene a las 6", when(NEXT_FRI, at="18:00")),
    ("es", "la semana que viene", when(NEXT_WEEK_FROM_MONDAY)),
    ("es", "la próxima semana", when(NEXT_WEEK_FROM_MONDAY)),
    ("es", "12/12", when(SAT)),
    ("es", "5 de enero", when(date(2027, 1, 5))),
    ("es", "el martes 15 de diciembre a las 9", when(date(2026, 12, 15), at="09:00")),
    ("es", "el día 20", when(date(2026, 12, 20))),
    ("es", "a las diez y media", when(at="10:30")),
    ("es", "a la una", when(at="13:00")),
    ("es", "de las 10 a las 12", when(earliest="10:00", latest="12:00")),
    ("es", "buenas tardes, ¿hay hueco el jueves?", when(THU)),
    ("es", "la segunda", when(choice=2)),
    ("es", "3", when(choice=3)),
    ("es", "¿cuánto cuesta una limpieza?", EMPTY),
    # --- Portuguese ---
    ("pt", "amanhã às 10", when(TUE, at="10:00")),
    ("pt", "às dez", when(at="10:00")),
    ("pt", "15h30", when(at="15:30")),
    ("pt", "às 3 da tarde", when(at="15:00")),
    ("pt", "hoje à noite", when(MON, **EVENING)),
    ("pt", "depois de amanhã à tarde", when(WED, **AFTERNOON)),
    ("pt", "sexta-feira", when(FRI)),
    ("pt", "segunda", when(NEXT_MON)),
    ("pt", "na quarta à noite", when(WED, **EVENING)),
    ("pt", "quinta depois do almoço", when(THU, **AFTER_LUNCH)),
    ("pt", "quero marcar pra segunda às 14h", when(NEXT_MON, at="14:00")),
    ("pt", "na próxima sexta", when(NEXT_FRI)),
    ("pt", "semana que vem", when(NEXT_WEEK_FROM_SUNDAY)),
    ("pt", "próxima semana", when(NEXT_WEEK_FROM_SUNDAY)),
    ("pt", "12 de dezembro", when(SAT)),
    ("pt", "20/12", when(date(2026, 12, 20))),
    ("pt", "a segunda", when(choice=2)),
    ("pt", "o terceiro", when(choice=3)),
    ("pt", "segunda opção", when(choice=2)),
    ("pt", "tô com dor de dente faz umas 4 horas", EMPTY),
    ("pt", "obrigado!", EMPTY),
    # --- Hebrew ---
    ("he", "מחר בעשר", when(TUE, at="10:00")),
    ("he", "מחר ב-10", when(TUE, at="10:00")),
    ("he", "ב-9 בבוקר", when(at="09:00")),
    ("he", "ב-7 בערב", when(at="19:00")),
    ("he", "בשעה 9:30", when(at="09:30")),
    ("he", "באחת", when(at="13:00")),
    ("he", "בשתיים", when(at="14:00")),
    ("he", "בשלוש", when(at="15:00")),
    ("he", "בארבע", when(at="16:00")),
    ("he", "בחמש", when(at="17:00")),
    ("he", "בשש", when(at="18:00")),
    ("he", "בשבע", when(at="19:00")),
    ("he", "בשמונה", when(at="08:00")),
    ("he", "בתשע", when(at="09:00")),
    ("he", "באחת עשרה", when(at="11:00")),
    ("he", "בשתים עשרה", when(at="12:00")),
    ("he", "היום אחר הצהריים", when(MON, **AFTERNOON)),
    ("he", "מחרתיים", when(WED)),
    ("he", "ביום שישי", when(FRI)),
    ("he", "ביום חמישי בבוקר", when(THU, **MORNING)),
    ("he", "יום ה'", when(THU)),
    ("he", "ביום שני", when(NEXT_MON)),
    ("he", "ביום שישי הבא", when(NEXT_FRI)),
    ("he", "בשבוע הבא", when(NEXT_WEEK_FROM_SUNDAY)),
    ("he", "12.12", when(SAT)),
    ("he", "12 בדצמבר", when(SAT)),
    ("he", "עד 12", when(latest="12:00")),
    ("he", "השני", when(choice=2)),
    ("he", "שני טיפולים", EMPTY),  # "two treatments", not Monday
    ("he", "תודה רבה", EMPTY),
]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [pytest.param(*case, id=f"{case[0]}: {case[1]}") for case in CASES],
)
def test_read_when(language, text, expected):
    assert read_when(text, language, TODAY) == expected


ORDINALS = {
    "en": ("first", "second", "third", "fourth", "fifth"),
    "ru": ("первый", "второй", "третий", "четвертый", "пятый"),
    "uk": ("перший", "другий", "третій", "четвертий", "п'ятий"),
    "es": ("la primera", "la segunda", "la tercera", "la cuarta", "la quinta"),
    "pt": ("o primeiro", "a segunda", "o terceiro", "o quarto", "o quinto"),
    "he": ("הראשון", "השני", "השלישי", "הרביעי", "החמישי"),
}


@pytest.mark.parametrize(("language", "words"), ORDINALS.items(), ids=ORDINALS)
def test_first_to_fifth_are_choices(language, words):
    assert [read_when(w, language, TODAY).choice for w in words] == [1, 2, 3, 4, 5]


FRIDAY = date(2026, 12, 11)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "on friday", date(2026, 12, 18)),  # said on a Friday: next week's
        ("en", "this friday", FRIDAY),
        ("ru", "в пятницу", date(2026, 12, 18)),
        ("ru", "сегодня", FRIDAY),
        ("es", "el lunes", date(2026, 12, 14)),
        ("he", "ביום ראשון", date(2026, 12, 13)),
    ],
)
def test_a_weekday_said_on_that_day_is_next_weeks_unless_this(language, text, expected):
    assert read_when(text, language, FRIDAY).days == (expected,)


def test_a_date_without_a_year_already_past_is_next_years():
    assert read_when("1.12", "ru", TODAY).days == (date(2027, 12, 1),)
    assert read_when("7.12", "ru", TODAY).days == (TODAY,)


def test_empty_is_true_only_when_nothing_is_said():
    assert When().empty
    assert read_when("hello", "en", TODAY).empty
    assert not read_when("2", "en", TODAY).empty
    assert not read_when("tomorrow", "en", TODAY).empty


def test_a_word_with_two_meanings_in_the_data_is_refused():
    data = {"days": {"mañana": 1}, "parts": {"mañana": "morning"}}
    with pytest.raises(ValueError, match="two meanings"):
        _meanings("es", data, Locale.parse("es_ES"))


def test_importing_nlu_when_loads_no_django_and_no_other_package_of_the_project():
    forbidden = ("django", *PROJECT_PACKAGES)
    code = (
        "import sys, nlu.when\n"
        f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
