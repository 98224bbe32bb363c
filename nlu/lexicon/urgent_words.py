"""Urgent symptoms as patients type them, by language (data only; read by nlu.urgency).

These name symptoms that must reach a person at once, not topics: a gum that bleeds when brushed,
a swollen gum, a toothache or a filling that fell out are questions the LLM lane answers (and its
model may still hand them over as urgent); a swollen face, bleeding that does not stop after an
extraction, fever, an injury, a knocked-out or broken tooth, not being able to breathe, swallow
or open the mouth are urgent.

An entry is one or more parts joined by " & ": every part must occur in the message, in any
order ("опух & щек" finds "опухла щека" and "щека опухла"); the first part is the one looked
for first, so it is the rarer (the symptom before the part of the body). A part is words in
their order, with
up to GAP other words between two of them. A word is a regular expression matched at the start
of a word of the normalized message (nlu.text.normalize: lower case, no accents, ё as е), so it
is a stem: "опух" finds "опухла", "опухоль"; "$" at its end asks for the whole word. Hebrew
words may carry the letters glued in front ("ו", "ב", "ה"...).

NEGATIONS: words that, right before a symptom, say the patient does not have it ("no fever",
"без температуры", "sin fiebre", "אין לי חום"): the word after them is not read.
"""

GAP = 3

# Only small words may sit between "broke" and the tooth ("broke my front tooth"): a filling
# that broke on a tooth is no broken tooth.
_EN_SMALL = "(?:(?:my$|a$|his$|her$|the$|one$|front$|of$|two$) )*"
_ES_SMALL = "(?:(?:un$|el$|la$|una$|mi$|dos$|los$|las$|me$) )*"
_PT_SMALL = "(?:(?:um$|o$|a$|meu$|minha$|dois$|os$|da$|do$) )*"
_HE_SMALL = "(?:(?:לי$|לו$|לה$|את$) )*ה?"
# Bleeding that goes on is urgent after an extraction or surgery, not from gums when brushing.
_EN_AFTER_CARE = "(?:extract|pulled|removed|surgery|implant|hours|all night|since yesterday)"
_ES_AFTER_CARE = "(?:extraccion|sacaron|quitaron|cirugia|implante|horas|toda la noche|desde ayer)"
_PT_AFTER_CARE = (
    "(?:extracao|arranc|tirei|tiraram|cirurgia|implante|horas|a noite toda|desde ontem)"
)
_HE_AFTER_CARE = "(?:עקיר|עקרו|עקרתי|ניתוח|שתל|שעות|כל הלילה|מאתמול)"

# "After the extraction", in the words of each language.
_RU = "(?:после|с момента) ~ (?:удален|удалил|удалили|вырвал)"
_UK = "після ~ (?:видален|видалил|видалили|вирвал)"
_EN = (
    "(?:after|since|post) ~ (?:extraction|removal|(?:tooth |wisdom )?(?:pulled|removed|taken out))"
)
_ES = "(?:despues|desde) ~ (?:extraccion|extrajeron|sacaron|quitaron)"
_PT = "(?:depois|apos|desde) ~ (?:extracao|extrai|arranquei|arrancaram|tirei|tiraram)"
_HE = "(?:אחרי|מאז) ~ (?:עקיר|עקרו|עקרתי)"

URGENT_WORDS: dict[str, tuple[str, ...]] = {
    "ru": (
        # Swelling of the face, not of a gum.
        "(?:опух|отек|отеч|распух|раздул) & (?:щек|лиц|челюст|шея$|шеи$|шею$|глаз|губ)",
        f"{_RU} & (?:опух|отек|отеч|распух)",
        "(?:флюс|абсцес|гнои|гной)",
        # Bleeding that does not stop.
        "(?:кров|кровотеч) ~ не (?:останавл|прекращ|проход|остан|перест)",
        "(?:не останавл|не прекращ) ~ (?:кров)",
        f"{_RU} & (?:кровит|кровоточ|кровотеч|течет кров|идет кров|"
        "кровь идет|кровь течет|кровь не)",
        "(?:до сих пор|все еще|второй день|третий день|несколько часов) & "
        "(?:кровит|кровоточ|кровотеч) & (?:удален|удалил|удалили|вырвал|операц|имплант)",
        # Fever.
        "температур ~ (?:3[89]|4[01])",
        "(?:высок|поднял|подскоч) ~ температур",
        "температур ~ (?:высок|поднял|подскоч)",
        "жар$",
        "лихорад",
        # An injury; a tooth knocked out or broken.
        "травм",
        "(?:авари|дтп$)",
        "(?:выбил|выбили|выбит|вылетел) ~ зуб",
        "зуб ~ (?:выбил|выбили|выбит|вылетел)",
        # Whole words: "сломалась" is a filling or a crown, not a tooth.
        "(?:сломал$|сломался$|сломан$|сломанн|разбил$|раскололся$) ~ зуб",
        "зуб ~ (?:сломал$|сломался$|сломан$|раскололся$)",
        "(?:удар|ударил|упал на|упала на|упал лицом|упала лицом) & (?:зуб|челюст|лиц)",
        # Cannot breathe, swallow or open the mouth.
        "(?:не могу|не может|не получается|трудно|тяжело) ~ (?:дыш|глота|открыть рот|"
        "открыть рта|раскрыть рот|открывается рот)",
        "рот не открыва",
        "(?:задыха|удушь)",
        # Pain no one should wait out.
        "(?:невыносим|нестерпим|адск)",
        f"{_RU} & (?:сильн|очень) (?:бол|болит)",
    ),
    "uk": (
        "(?:опух|набряк|розпух) & (?:щок|щік|обличч|облич|щелеп|ше[ия]$|шию$|око|очі|губ)",
        f"{_UK} & (?:опух|набряк|розпух)",
        "(?:флюс|абсцес|гній|гно)",
        "(?:кров) ~ не (?:зупиня|припиня|прохо|спиня)",
        "(?:не зупиня|не припиня) ~ (?:кров)",
        f"{_UK} & (?:кровит|кровоточ|кровотеч|тече кров|йде кров|кров тече|кров йде|кров не)",
        "(?:досі|все ще|досi|другий день|третій день|кілька годин) & "
        "(?:кровит|кровоточ|кровотеч) & (?:видален|видалил|видалили|вирвал|операц|імплант)",
        "температур ~ (?:3[89]|4[01])",
        "(?:висок|підня|піднял) ~ температур",
        "температур ~ (?:висок|підня|піднял)",
        "жар$",
        "гарячк",
        "травм",
        "(?:авар|дтп$)",
        "(?:вибив|вибил|вибит|вилетів|вилетiв) ~ зуб",
        "зуб ~ (?:вибив|вибил|вибит|вилетів)",
        "(?:зламав$|зламався$|зламан$|зламаний$|розбив$|розколовся$) ~ зуб",
        "зуб ~ (?:зламав$|зламався$|зламан$|розколовся$)",
        "(?:удар|вдарив|вдарил|впав на|впала на|упав на|упала на|впав обличчям|впала обличчям) & "
        "(?:зуб|щелеп|облич)",
        "(?:не можу|не може|не виходить|важко) ~ (?:дихат|дихаю|ковта|відкрити рот|"
        "відкрити рота|розкрити рот|відкривається рот)",
        "рот не відкрива",
        "задиха",
        "(?:нестерпн|пекельн)",
        f"{_UK} & (?:сильн|дуже) (?:бол|біль)",
    ),
    "en": (
        "(?:swell|swollen|puff) & (?:face|cheek|jaw|neck|eye$|eyes$|lip$|lips$)",
        f"{_EN} & (?:swell|swollen)",
        "(?:abscess|pus$)",
        "(?:bleed|blood) ~ (?:won'?t|will not|doesn'?t|does not|didn'?t|not|can'?t|cannot) "
        "(?:stop|slow)",
        "(?:stop|control) ~ (?:the )?(?:bleed|blood)",
        "(?:non stop|nonstop|constant|heavy|heavily|a lot of) ~ (?:bleed|blood)",
        f"(?:keeps|keep|still) ~ (?:bleed|blood) & {_EN_AFTER_CARE}",
        "(?:bleed|blood) ~ (?:for hours|all night|since yesterday|for (?:2|two|3|three) days)",
        "(?:fever|feverish|high temperature|temperature of|temp of|chills$)",
        # "by accident" is no accident.
        "(?:(?:an|car|bike|bicycle|road|sports|traffic)$ accident|injur|trauma$|traumatic)",
        "knock ~ (?:out|loose)? ~ (?:tooth|teeth)",
        "(?:tooth|teeth) ~ knocked",
        f"(?:broke|broken|snapped|split)$ {_EN_SMALL}(?:tooth|teeth|jaw)",
        "(?:tooth|teeth|jaw)$ (?:(?:is|has|got|just)$ )?(?:broke|broken|snapped)$",
        # A fall, not a filling that fell out or a crown that fell off.
        "(?:hit$|punched|fell (?:on|down|over|from)$|fell off (?:my |his |her |the |a )?"
        "(?:bike|bicycle|scooter|horse|skateboard|stairs|swing)) & (?:tooth|teeth|jaw|face|mouth)",
        "(?:can'?t|cannot|can not|unable to|hard to|trouble|difficult|struggling to) ~ "
        "(?:breath|swallow|open (?:my |his |her )?mouth)",
        "(?:short of breath|shortness of breath|choking)",
        "(?:unbearable|excruciating|agoni[sz]ing)",
        f"{_EN} & (?:severe|terrible|extreme|really bad|very bad) pain",
    ),
    "es": (
        "(?:hinch|inflam) & (?:cara|cachete|mejill|mandibul|quijad|cuello|ojo$|ojos$|labio)",
        f"{_ES} & (?:hinch|inflam)",
        "(?:absceso|flemon|pus$)",
        "(?:sangr|hemorrag) ~ no (?:para|paro|se detien|se detuv|se corta|deja|cesa)",
        "no ~ (?:para|deja) de sangr",
        f"(?:sigue|sigo|todavia|aun) ~ sangr & {_ES_AFTER_CARE}",
        "(?:parar|detener|cortar) ~ (?:el )?(?:sangr|hemorrag)",
        "(?:fiebre|calentura|temperatura alta|escalofrio)",
        # "por accidente" (by accident) and "de golpe" (suddenly) are neither.
        "(?:(?:un|el|tuve|tuvo)$ accidente|traumatism|trauma$|un golpe|golpee$|golpeo$|golpearon)",
        "(?:me cai$|se cayo$) & (?:diente|muela|boca|cara|mandibul)",
        "(?:tumbaron|tumbo|volo|volaron)$ ~ (?:diente|muela|dientes)",
        f"(?:rompi|rompio|partio|parti|quebre|quebro)$ {_ES_SMALL}"
        "(?:diente|muela|dientes|mandibul)",
        "(?:diente|muela|dientes) ~ (?:roto|rota|partido|partida|quebrad)",
        "(?:no puedo|no puede|me cuesta|dificultad para|no logro) ~ (?:respir|trag|abrir la boca)",
        "(?:me ahogo|se ahoga|ahogando)",
        "(?:insoportable|inaguantable)",
        f"{_ES} & (?:mucho|muy fuerte|fuertisimo) dolor",
    ),
    "pt": (
        "(?:inch|inflam) & (?:rosto|cara$|bochecha|mandibul|maxilar|pescoco|olho|labio)",
        f"{_PT} & (?:inch|inflam)",
        "(?:abscesso|pus$)",
        "(?:sangr|hemorrag) ~ nao (?:para|parou|estanca|passa)",
        "nao ~ (?:para|parou) de sangr",
        f"(?:continua|ainda) ~ sangr & {_PT_AFTER_CARE}",
        "sangr ~ sem parar",
        "(?:parar|estancar) ~ (?:o )?(?:sangr|hemorrag)",
        "(?:febre|temperatura alta|calafrio)",
        "(?:(?:um|no|num|sofri|sofreu)$ acidente|traumatism|trauma$|pancada|bati a boca|"
        "bateu a boca|bati o rosto|cai de cara)",
        "(?:caiu|arrancou|saiu|voou) ~ (?:dente|dentes) ~ (?:batida|pancada|queda|acidente|cai)",
        f"(?:quebrei|quebrou|parti|partiu|rachou)$ {_PT_SMALL}(?:dente|dentes|mandibula)",
        "(?:dente|dentes) ~ (?:quebrad|partid)",
        "(?:nao consigo|nao consegue|dificuldade (?:de|para|pra)|custa) ~ "
        "(?:respir|engol|abrir a boca)",
        "(?:sufoc|falta de ar)",
        "(?:insuportavel|insuportaveis)",
        f"{_PT} & (?:muita|forte|fortissima) dor",
    ),
    "he": (
        "(?:נפיח|נפוח|נפח) & (?:פנים|לחי|לסת|צוואר|עין|עיניים|שפה|שפתיים)",
        f"{_HE} & (?:נפיח|נפוח)",
        "(?:אבצס|מורסה|מוגלה)",
        "(?:דימום|דם) ~ (?:לא|אינו) (?:נעצר|מפסיק|עוצר|נפסק)",
        "(?:לא|אינו) (?:נעצר|מפסיק|נפסק) ~ (?:דימום|לדמם|דם)",
        f"(?:עדיין|ממשיך|ממשיכה) ~ (?:דימום|מדמם|מדממת|לדמם|דם) & {_HE_AFTER_CARE}",
        "(?:לעצור|להפסיק) ~ (?:את )?(?:הדימום|דימום|הדם)",
        # Fever, not heat ("רגישות לחום", sensitive to heat).
        "(?:(?<![לב])חום$|קדחת|צמרמורת)",
        "(?:תאונ|טראומה|חבלה|מכה$|קיבל מכה|קיבלתי מכה)",
        f"(?:שבר|שברה|שברתי|נשבר|נשברה|נשברו)$ {_HE_SMALL}(?:שן|שיניים|לסת)",
        # A baby tooth that fell out is no injury: broken or knocked out only.
        "(?:שן|שיניים) ~ (?:שבור|נשבר|עפה|עפו)",
        "(?:לא יכול|לא יכולה|לא מצליח|לא מצליחה|קשה) ~ (?:לנשום|לבלוע|לפתוח את הפה|לפתוח פה)",
        "(?:נחנק|חנק)",
        "(?:בלתי נסבל|בלתי נסבלים|כאב תופת|כאבי תופת|גוסס מכאב)",
        f"{_HE} & (?:כאב חזק|כאבים חזקים|כאב נוראי|כאבים נוראיים)",
    ),
}

# A word after one of these is not read as a symptom ("no fever", "без отека", "אין לי חום").
# Spanish "no" and Portuguese "não" negate verbs ("no puedo respirar") and are not listed.
NEGATIONS: dict[str, tuple[str, ...]] = {
    "ru": ("без", "нет", "не было", "ни"),
    "uk": ("без", "немає", "нема", "не було", "ні"),
    "en": ("no", "nor", "without", "not any", "never had"),
    "es": ("sin", "ni"),
    "pt": ("sem", "nem"),
    "he": ("בלי", "ללא", "אין לי", "אין", "לא היה", "לא הייתה"),
}
