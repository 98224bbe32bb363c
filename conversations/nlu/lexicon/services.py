"""Optional, clinic-independent service vocabulary (data, not code).

The price list itself (names in each language and aliases) always comes from the clinic file.
These tables only help a patient who writes in a language the clinic did not name a service in:

SERVICE_SYNONYMS: groups of words that name the same common dental service in different
languages. When one word of a group already names exactly one service of a clinic (in a name or
an alias), the rest of the group is added to that service's aliases. A group that matches no
service, or more than one, adds nothing, so a clinic without whitening never "gets" whitening.

GENERIC_SERVICE_WORDS: words that appear in many service names ("dental", "зуба") and so must
never, on their own, select a service; they still count inside a full multi-word name.

SERVICE_STOPWORDS: articles, prepositions and conjunctions skipped when matching names, so that
"пломба и чистка" finds two services and "extracción de una muela" reads as "extracción muela".
"""

SERVICE_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("пломба", "filling", "empaste", "obturação", "restauração", "пломбування", "סתימה"),
    (
        "чистка",
        "cleaning",
        "limpieza",
        "limpeza",
        "чищення",
        "ניקוי אבנית",
        "ניקוי שיניים",
        "שיננית",
    ),
    (
        "отбеливание",
        "whitening",
        "blanqueamiento",
        "clareamento",
        "відбілювання",
        "הלבנה",
        "הלבנת שיניים",
    ),
    (
        "удаление",
        "extraction",
        "extracción",
        "extração",
        "видалення",
        "видалити зуб",
        "pull tooth",
        "sacar muela",
        "sacar diente",
        "tirar dente",
        "עקירה",
        "עקירת שן",
    ),
    ("имплант", "implant", "implante", "імплант", "імплантація", "שתל", "שתל דנטלי"),
    (
        "рентген",
        "x-ray",
        "xray",
        "radiografía",
        "raio x",
        "знімок",
        "צילום",
        "צילום רנטגן",
        "רנטגן",
    ),
    (
        "консультация",
        "consultation",
        "checkup",
        "consulta",
        "консультація",
        "огляд",
        "ייעוץ",
        "בדיקה",
    ),
    ("коронка", "crown", "corona", "coroa", "כתר"),
    (
        "лечение каналов",
        "root canal",
        "endodoncia",
        "tratamento de canal",
        "лікування каналів",
        "טיפול שורש",
    ),
    ("виниры", "veneers", "carillas", "facetas", "вініри", "ציפויים"),
    ("брекеты", "braces", "brackets", "aparelho", "брекети", "פלטה"),
)

GENERIC_SERVICE_WORDS: frozenset[str] = frozenset(
    """
    dental dentario dentaria odontologica odontologico professional profesional profissional
    tooth teeth dientes diente dente dentes muela dentist dentista treatment tratamiento
    tratamento зуб зуба зубов зубы зубів зуби стоматолог стоматолога стоматологический
    профессиональная профессиональный професійна професійний лечение лікування
    שן שיניים רופא טיפול מקצועי דנטלי
    """.split()
)

SERVICE_STOPWORDS: frozenset[str] = frozenset(
    """
    a an the of for and or my your to at in on with
    de del la el los las un una unos unas y e o en con para por mi
    da do das dos um uma umas uns o os as no na com pra para meu minha
    и или на в во у за для по с со мне мой мою
    і й та або на в у за для з зі мені мій мою
    את של על עם או
    """.split()
)
