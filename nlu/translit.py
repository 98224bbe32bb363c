"""Russian, Ukrainian and Hebrew typed in Latin letters, back in their own script.

Patients without the keyboard write "skolko stoit implant", "skilky koshtuye", "kama ole stima".
Russian and Ukrainian are spelled back letter by letter, the way chat Latin is written ("zh",
"kh", "ch", "sh", "shch", "ya", "yu", "ye"; "y" after a vowel is й), not by a standard such as
GOST or ISO 9: the `transliterate` package, which follows them, turns "dyakuyu" into "дыакуыу"
and "zapisatsya" into "записацыа". A dropped soft sign ("skolko" -> "сколко") is left to the
router's typo correction. Hebrew in Latin letters drops its vowels differently in every word, so
it is read by the word, from a list of the words patients write to a clinic.

Word for word: the n-th word of the result is the n-th of the input, so that positions (clauses,
services, cues) stay where the router found them.
"""

from __future__ import annotations

from functools import lru_cache

from nlu.text import normalize

_VOWELS = frozenset("aeiouy")
# Digraphs first; "y" alone is decided by its neighbours (_y_letter).
_CYRILLIC = {
    "ru": {
        "shch": "щ",
        "sch": "щ",
        "zh": "ж",
        "kh": "х",
        "ch": "ч",
        "sh": "ш",
        "ts": "ц",
        "tz": "ц",
        "ya": "я",
        "ja": "я",
        "yu": "ю",
        "ju": "ю",
        "yo": "е",
        "jo": "е",
        "ye": "е",
        "je": "е",
        "'": "ь",
        "a": "а",
        "b": "б",
        "c": "ц",
        "d": "д",
        "e": "е",
        "f": "ф",
        "g": "г",
        "h": "х",
        "i": "и",
        "j": "й",
        "k": "к",
        "l": "л",
        "m": "м",
        "n": "н",
        "o": "о",
        "p": "п",
        "q": "к",
        "r": "р",
        "s": "с",
        "t": "т",
        "u": "у",
        "v": "в",
        "w": "в",
        "x": "кс",
        "z": "з",
    },
}
# Ukrainian's official Latin spelling writes я, ю, є after a consonant as ia, iu, ie
# ("diakuiu", "vidbiliuvannia"); "pryiom" is прийом.
_CYRILLIC["uk"] = _CYRILLIC["ru"] | {
    "ia": "я",
    "iu": "ю",
    "ie": "є",
    "yio": "ийо",
    "ye": "є",
    "je": "є",
    "yi": "ї",
    "ji": "ї",
    "i": "і",
    "h": "г",
    "g": "г",
    "yo": "йо",
    "jo": "йо",
}
# "y" between consonants: ы in Russian ("vy", "my"), и in Ukrainian ("skilky").
_Y_AFTER_CONSONANT = {"ru": "ы", "uk": "и"}
_LONGEST_KEY = 4


@lru_cache(maxsize=8192)
def to_cyrillic(word: str, language: str) -> str:
    """A normalized Latin word spelled in Russian or Ukrainian letters."""
    table = _CYRILLIC[language]
    out: list[str] = []
    i = 0
    while i < len(word):
        if word[i] == "y" and (i + 1 == len(word) or word[i : i + 2] not in table):
            out.append(_y_letter(word, i, language))
            i += 1
            continue
        for size in range(_LONGEST_KEY, 0, -1):
            letters = table.get(word[i : i + size])
            if letters is not None:
                out.append(letters)
                i += size
                break
        else:
            out.append(word[i])
            i += 1
    cyrillic = "".join(out)
    if language == "uk" and word.endswith("yi") and len(word) > 3:
        cyrillic = cyrillic[:-1] + "ий"  # "nastupnyi", "yakyi": an ending, not ї
    if language == "ru" and word in _RUSSIAN_E_WORDS:
        cyrillic = "э" + cyrillic[1:]  # "eto" is это; "esli", "est" start with е
    return cyrillic


_RUSSIAN_E_WORDS = frozenset("eto eta etot eti etu etogo etoy etom ekstrenno".split())


def _y_letter(word: str, i: int, language: str) -> str:
    if i > 0 and word[i - 1] in _VOWELS:
        return "й"  # "zdravstvuyte", "moy"
    return _Y_AFTER_CONSONANT[language]


# Hebrew words patients write in Latin letters, as they spell them -> the word in Hebrew.
HEBREW_WORDS_IN_LATIN = {
    "shalom": "שלום",
    "hai": "היי",
    "boker": "בוקר",
    "erev": "ערב",
    "tov": "טוב",
    "ma": "מה",
    "nishma": "נשמע",
    "kama": "כמה",
    "kamma": "כמה",
    "ole": "עולה",
    "ola": "עולה",
    "oleh": "עולה",
    "olah": "עולה",
    "olim": "עולים",
    "ze": "זה",
    "zeh": "זה",
    "mechir": "מחיר",
    "mehir": "מחיר",
    "mechirim": "מחירים",
    "mehirim": "מחירים",
    "mechiron": "מחירון",
    "mehiron": "מחירון",
    "yakar": "יקר",
    "stima": "סתימה",
    "stimot": "סתימות",
    "keter": "כתר",
    "ktarim": "כתרים",
    "hashtala": "השתלה",
    "hashtalot": "השתלות",
    "shtal": "שתל",
    "shtalim": "שתלים",
    "akira": "עקירה",
    "akirat": "עקירת",
    "halbana": "הלבנה",
    "hlbana": "הלבנה",
    "nikui": "ניקוי",
    "nikuy": "ניקוי",
    "nikoy": "ניקוי",
    "shinaim": "שיניים",
    "shinayim": "שיניים",
    "shen": "שן",
    "tipul": "טיפול",
    "shoresh": "שורש",
    "tsilum": "צילום",
    "tzilum": "צילום",
    "rentgen": "רנטגן",
    "bdika": "בדיקה",
    "yeladim": "ילדים",
    "ieladim": "ילדים",
    "yeled": "ילד",
    "ye'ud": "ייעוץ",
    "yeutz": "ייעוץ",
    "yeuts": "ייעוץ",
    "tor": "תור",
    "likboa": "לקבוע",
    "likbo'a": "לקבוע",
    "lekabel": "לקבל",
    "lkabel": "לקבל",
    "levatel": "לבטל",
    "lvatel": "לבטל",
    "bitul": "ביטול",
    "lehaziz": "להזיז",
    "lehaavir": "להעביר",
    "toda": "תודה",
    "todah": "תודה",
    "raba": "רבה",
    "rabba": "רבה",
    "ken": "כן",
    "beseder": "בסדר",
    "besseder": "בסדר",
    "sababa": "סבבה",
    "ve": "ו",
    "shnayim": "שניים",
    "shtayim": "שתיים",
    "shalosh": "שלוש",
    "eifo": "איפה",
    "efo": "איפה",
    "eyfo": "איפה",
    "atem": "אתם",
    "ata": "אתה",
    "ani": "אני",
    "rotze": "רוצה",
    "rotza": "רוצה",
    "ktovet": "כתובת",
    "shaot": "שעות",
    "sh'ot": "שעות",
    "ptuchim": "פתוחים",
    "ptuhim": "פתוחים",
    "pticha": "פתיחה",
    "ledaber": "לדבר",
    "lidaber": "לדבר",
    "im": "עם",
    "nazig": "נציג",
    "natzig": "נציג",
    "netzig": "נציג",
    "mazkira": "מזכירה",
    "tafsiku": "תפסיקו",
    "lehafsik": "להפסיק",
    "lishloach": "לשלוח",
    "haodaot": "הודעות",
    "hodaot": "הודעות",
    "al": "על",
    "shel": "של",
    "lo": "לא",
    "mahar": "מחר",
    "machar": "מחר",
    "hayom": "היום",
    "efshar": "אפשר",
    "kvar": "כבר",
    "yesh": "יש",
    "lachem": "לכם",
    "lahem": "לכם",
    "kol": "כל",
    "ahlan": "אהלן",
    "achlan": "אהלן",
    "kore": "קורה",
    "hamatzav": "המצב",
    "hamatsav": "המצב",
    "matai": "מתי",
    "matay": "מתי",
    "hator": "התור",
    "sheli": "שלי",
    "li": "לי",
    "et": "את",
    "le": "ל",
    "mitaim": "מתאים",
    "metaim": "מתאים",
    "lehazmin": "להזמין",
    "yom": "יום",
    "rishon": "ראשון",
    "sheni": "שני",
    "shlishi": "שלישי",
    "revii": "רביעי",
    "chamishi": "חמישי",
    "hamishi": "חמישי",
    "shishi": "שישי",
    "shabat": "שבת",
    "shabbat": "שבת",
    "chanaya": "חניה",
    "hanaya": "חניה",
}
# A few of these are also words of the Latin-script languages ("ma", "ken", "im", "lo", "al",
# "ze"): a message reads as Hebrew only when most of its words are Hebrew ones.
_HEBREW_MIN_SHARE = 0.5


def hebrew_from_latin(tokens: list[str]) -> list[str] | None:
    """The tokens as Hebrew words, when most of them are Hebrew written in Latin letters."""
    known = sum(token in HEBREW_WORDS_IN_LATIN for token in tokens)
    words = [t for t in tokens if not t.isdigit()]
    if not words or known / len(words) < _HEBREW_MIN_SHARE:
        return None
    return [normalize(HEBREW_WORDS_IN_LATIN.get(t, t)) for t in tokens]
