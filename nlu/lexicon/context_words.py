"""Words whose meaning leans on the rest of the message or the conversation, by language (data
only; read by nlu.context and the router).

NUMBERS: how many of a service a patient asks about ("3 пломбы", "two implants", "e se forem
    dois?"); digits are read as they are. Only counts a price question can mean: 2 to 12 (a
    mouth has 32 teeth; bigger numbers are prices, years and times).
YES_WORDS: an explicit yes ("да", "yes", "sí", "так", "כן"). After a price answer, which asks
    "would you like to book?", only a yes books: "ok", "понятно", "perfeito", "סבבה" say
    "noted", and are thanked for.
AGE_WORDS: a number before one is an age ("ребенку 5 лет"), not how many.
EXTRACTION_VERBS: a tooth's extraction by its verb alone ("what about just pulling it?", "y
    sacarla directamente?", "e pra arrancar logo?", "ומה אם רק לעקור?"). Alone, the verb names
    no service ("arrancar" may be anything, "sacar una radiografía" is an X-ray); after a price
    answer about a tooth's treatment, it asks the extraction's price instead.
PRICE_JUDGEMENTS: "expensive", "дорого", "caro", "יקר": with a service ("is whitening
    expensive?") they ask its price; alone ("that's too expensive") they are a comment for the
    LLM lane, not a request for the price list.
"""

# fmt: off
NUMBERS = {
    "ru": {
        "два": 2, "две": 2, "двух": 2, "двое": 2, "оба": 2, "обе": 2, "обоим": 2, "обеим": 2,
        "пару": 2,
        "три": 3, "трех": 3, "трое": 3, "четыре": 4, "четырех": 4, "пять": 5, "шесть": 6,
        "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
    },
    "uk": {
        "два": 2, "дві": 2, "двох": 2, "двоє": 2, "обидва": 2, "обидві": 2, "обом": 2, "пару": 2,
        "три": 3, "трьох": 3, "троє": 3, "чотири": 4, "п'ять": 5, "шість": 6, "сім": 7,
        "вісім": 8, "дев'ять": 9, "десять": 10,
    },
    "en": {
        "two": 2, "both": 2, "couple": 2, "pair": 2, "three": 3, "four": 4, "five": 5,
        "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    },
    "es": {
        "dos": 2, "ambos": 2, "ambas": 2, "par": 2, "tres": 3, "cuatro": 4, "cinco": 5,
        "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    },
    "pt": {
        "dois": 2, "duas": 2, "ambos": 2, "ambas": 2, "par": 2, "tres": 3, "quatro": 4,
        "cinco": 5, "seis": 6, "sete": 7, "oito": 8, "nove": 9, "dez": 10,
    },
    "he": {
        "שתי": 2, "שני": 2, "שתיים": 2, "שניים": 2, "זוג": 2, "שלוש": 3, "שלושה": 3,
        "ארבע": 4, "ארבעה": 4, "חמש": 5, "חמישה": 5, "שש": 6, "שישה": 6, "שבע": 7, "שמונה": 8,
        "תשע": 9, "עשר": 10, "שלושת": 3, "ארבעת": 4, "חמשת": 5,
    },
}
# fmt: on
MAX_COUNT = 12

YES_WORDS = {
    "ru": "да ага угу конечно давайте давай хочу согласен согласна",
    "uk": "так ага звісно звичайно давайте давай хочу згоден згодна",
    "en": "yes yeah yep yup sure absolutely please definitely",
    "es": "si sí claro dale porfa quiero",
    "pt": "sim claro bora quero pode",
    "he": "כן בטח בשמחה אשמח רוצה",
}

# A number after one of these is an age too ("she's 6", "בן 5"), or a weekday ("ביום שני":
# on Monday, the "second day").
AGE_BEFORE = frozenset("she's he's aged age בן בת בגיל".split())
DAY_BEFORE = frozenset("יום ביום ליום מיום".split())
# Chat spelling: "4 a crown", "2 the clinic" are "for" and "to", not counts.
NOT_A_COUNT_BEFORE = frozenset("a an the my me u you".split())

AGE_WORDS = frozenset(
    """
    лет года год годика месяцев рокiв років роки рік місяців years year yo yrs months años
    ano anos meses שנים שנה חודשים
    """.split()
)

PRICE_JUDGEMENTS = frozenset(
    """
    expensive pricey steep costly cheap дорого дорогой дорогая дорогие дороговато дешево дорогий
    дорога дороге дорогі дешевше caro cara caros caras barato salgado יקר יקרה יקרים יקרות זול
    """.split()
)

EXTRACTION_VERBS = frozenset(
    """
    pull pulling pulled sacar sacarla sacarlo sacarme sacarmela sacarmelo arrancar arranca
    arrancala arrancalo tirar extrair удалить удалять вырвать удалите видалити вирвати
    видаліть לעקור
    """.split()
)
