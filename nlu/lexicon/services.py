"""Optional, clinic-independent service vocabulary (data, not code).

The price list itself (names in each language and aliases) always comes from the clinic file.
These tables only help a patient who writes in a language the clinic did not name a service in:

SERVICE_SYNONYMS: groups of words that name the same common dental service in different
languages. When one word of a group already names exactly one service of a clinic (in a name or
an alias), the rest of the group is added to that service's aliases. A group that matches no
service, or more than one, adds nothing, so a clinic without whitening never "gets" whitening.
"..." lets up to MAX_SERVICE_GAP other words sit there ("pull ... tooth" finds "pull my wisdom
tooth"); such a phrase only ever matches whole, never by one of its words.

OTHER_DENTAL_SERVICES: words naming dental services beyond the synonym groups. With the words of
the groups (gapped verb phrases aside), they say what a dental service is, offered or not: a
price question whose unexplained words include one ("виниры") is answered "we don't have that"
at once; other unexplained words ("страховое покрытие", "gift card") go to the LLM lane.

GENERIC_SERVICE_WORDS: words that appear in many service names ("dental", "зуба") and so must
never, on their own, select a service; they still count inside a full multi-word name.

SERVICE_STOPWORDS: articles, prepositions and conjunctions skipped when matching names, so that
"пломба и чистка" finds two services and "extracción de una muela" reads as "extracción muela".
"""

SERVICE_SYNONYMS: tuple[tuple[str, ...], ...] = (
    (
        "пломба",
        "filling",
        "empaste",
        "obturação",
        "restauração",
        "пломбування",
        "סתימה",
        # by its verb, as with the extraction below
        "запломбировать",
        "пломбировать",
        "запломбувати",
        "пломбувати",
        "fill ... tooth",
        "fill ... cavity",
        "tooth ... filled",
        "cavity ... filled",
        "empastar",
        "obturar",
    ),
    (
        "чистка",
        "cleaning",
        "limpieza",
        "limpeza",
        "чищення",
        "ניקוי אבנית",
        "ניקוי שיניים",
        "שיננית",
        # what the hygienist does, by its parts: scaling (tartar) and polishing
        "профгигиена",
        "удаление зубного камня",
        "снятие зубного камня",
        "гігієна",
        "зняття зубного каменю",
        "почистить ... зубы",
        "почистити ... зуби",
        "clean ... teeth",
        "limpiar ... dientes",
        "limpar ... dentes",
        "scaling",
        "scale and polish",
        "polishing",
        "prophylaxis",
        "profilaxis",
        "tartrectomia",
        "profilaxia",
        "raspagem",
    ),
    (
        "отбеливание",
        "whitening",
        "blanqueamiento",
        "clareamento",
        "відбілювання",
        "הלבנה",
        "הלבנת שיניים",
        # by its verb
        "отбелить",
        "відбілити",
        "whiten",
        "blanquear",
        "clarear",
    ),
    (
        "удаление",
        "extraction",
        "extracción",
        "extração",
        "видалення",
        "видалити зуб",
        "עקירה",
        "עקירת שן",
        # Patients name an extraction by its verb: pull/remove ... tooth, in either order where
        # the language allows it ("сколько стоит зуб вырвать").
        "вырвать ... зуб",
        "вырвите ... зуб",
        "выдернуть ... зуб",
        "выдерните ... зуб",
        "удалить ... зуб",
        "удалите ... зуб",
        "вытащить ... зуб",
        "зуб ... вырвать",
        "зуб ... удалить",
        "вырвать ... восьмерку",
        "удалить ... восьмерку",
        "вирвати ... зуб",
        "вирвіть ... зуб",
        "видалити ... зуб",
        "видаліть ... зуб",
        "висмикнути ... зуб",
        "зуб ... вирвати",
        "зуб ... видалити",
        "вирвати ... вісімку",
        "видалити ... вісімку",
        "pull ... tooth",
        "pull ... teeth",
        "pull ... molar",
        "remove ... tooth",
        "remove ... teeth",
        "remove ... molar",
        "extract ... tooth",
        "take out ... tooth",
        "tooth ... pulled",
        "tooth ... removed",
        "tooth ... extracted",
        "teeth ... pulled",
        "molar ... pulled",
        "molar ... removed",
        "sacar ... muela",
        "sacar ... diente",
        "sacar ... cordal",
        "arrancar ... muela",
        "arrancar ... diente",
        "extraer ... muela",
        "extraer ... diente",
        "extraer ... cordal",
        "quitar ... muela",
        "quitar ... diente",
        "quitar ... cordal",
        "tirar ... dente",
        "tirar ... siso",
        "arrancar ... dente",
        "arrancar ... siso",
        "extrair ... dente",
        "extrair ... siso",
        "remover ... dente",
        "remover ... siso",
        "לעקור ... שן",
        "להוציא ... שן",
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
        # the panoramic picture of the whole jaw, by its common and its clinical names
        "панорамный снимок",
        "панорамка",
        "ортопантомограмма",
        "панорамний знімок",
        "ортопантомограма",
        "panoramic",
        "panoramic x-ray",
        "opg",
        "panorámica",
        "ortopantomografía",
        "panorâmica",
        "צילום פנורמי",
    ),
    (
        # a check-up is a consultation: "revisión", "revisão", "осмотр", "огляд", "בדיקה"
        "консультация",
        "осмотр",
        "consultation",
        "checkup",
        "check ... up",  # "check-up": a gapped phrase only matches whole, never by "up"
        "consulta",
        "revision",
        "chequeo",
        "revisao",
        "консультація",
        "огляд",
        "ייעוץ",
        "בדיקה",
    ),
    (
        "коронка",
        "crown",
        "corona",
        "coroa",
        "כתר",
        # a crown by its material
        "металлокерамика",
        "металокераміка",
        "metalocerámica",
        "metalocerâmica",
    ),
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
    # Words patients type, by language (each group names one service by one word the price
    # list already knows, as above).
    # -- Russian and Ukrainian
    # whitening, as patients shorten it ("отбелка сколько?", "відбілка")
    ("отбеливание", "отбелка", "отбеливать", "відбілювання", "відбілка", "відбілювати"),
    # cleaning by its method: ultrasound scaling, air polishing
    (
        "чистка",
        "чистка ультразвуком",
        "ультразвуковая чистка",
        "эйрфлоу",
        "айрфлоу",
        "чищення ультразвуком",
        "ультразвукова чистка",
        "ейрфлоу",
    ),
    # "удалить" alone is an extraction, as it was before "удалить нерв" (a root canal) shared it
    ("удаление", "удалить", "видалення", "видалити"),
    # a root canal, by what the patient knows of it: the nerve taken out, the pulpitis
    (
        "пульпит",
        "пульпіт",
        "удалить нерв",
        "удалить ... нерв",
        "удаление нерва",
        "убить нерв",
        "убрать нерв",
        "вытащить нерв",
        "депульпирование",
        "депульпация",
        "чистка каналов",
        "пломбировка каналов",
        "лечение корневых каналов",
        "видалити нерв",
        "видалити ... нерв",
        "видалення нерва",
        "вбити нерв",
        "прибрати нерв",
        "депульпування",
        "чищення каналів",
        "пломбування каналів",
    ),
    # (end of Russian and Ukrainian)
    # -- English and Hebrew
    # root canal: "RCT", and Hebrew "nerve treatment" (טיפול עצב) for the same thing
    ("root canal", "rct", "rcts", "root canal treatment", "טיפול שורש", "טיפול עצב", "טיפולי שורש"),
    # a crown by its everyday English name
    ("crown", "cap", "caps", "tooth cap"),
    # whitening as it is often called
    ("whitening", "bleaching", "teeth bleaching", "tooth bleaching"),
    # "get my wisdom teeth out", "have a tooth out"
    ("extraction", "tooth ... out", "teeth ... out", "wisdom tooth", "wisdom teeth"),
    # cleaning, said without the tartar or the teeth ("ומה עם סתם ניקוי?")
    ("cleaning", "ניקוי", "ניקוי אבנית", "הורדת אבנית", "אבנית"),
    # (end of English and Hebrew)
    # -- Spanish and Portuguese
    (
        # a filling by its regional names (tapadura: Chile, Peru; calza: Colombia; emplomadura:
        # Argentina; chumbo: Portugal) and by what it treats
        "empaste",
        "obturação",
        "tapadura",
        "calza",
        "emplomadura",
        "obturación",
        "caries",
        "cárie",
        "cáries",
        "chumbo",
        "chumbar",
        "tapar ... muela",
        "tapar ... diente",
        "tapar ... caries",
        "arreglar ... caries",
        "tapar ... dente",
        "tapar ... buraco",
        "chumbar ... dente",
        "tratar ... cárie",
        "tratar ... cáries",
    ),
    (
        # the hygienist's cleaning by the tartar it takes off (destartarização: Portugal)
        "limpieza dental",
        "limpeza dental",
        "sarro",
        "limpieza de sarro",
        "destartraje",
        "quitar ... sarro",
        "sacar ... sarro",
        "destartarização",
        "tártaro",
        "limpeza de tártaro",
        "tirar ... tártaro",
    ),
    (
        # a root canal by its regional and its plain names: the duct, the nerve killed
        "endodoncia",
        "tratamento de canal",
        "tratamiento de conducto",
        "conducto",
        "conductos",
        "desvitalización",
        "desvitalizar",
        "matar ... nervio",
        "endodontia",
        "desvitalização",
        "matar ... nervo",
        "desvitalizar ... dente",
    ),
    # a crown as patients call it (funda: Spain; jaqueta: Portugal)
    ("corona", "coroa", "funda", "fundas", "jaqueta"),
    # a first visit to be looked at: avaliação (Brazil)
    ("consulta", "avaliação"),
    (
        # the children's dentist
        "revisión infantil",
        "consulta infantil",
        "odontopediatra",
        "odontopediatría",
        "odontopediatria",
        "dentista ... niños",
        "dentista ... niño",
        "dentista ... crianças",
        "dentista ... criança",
    ),
    ("radiografía", "raio x", "rayos x", "rx"),
    ("blanqueamiento", "clareamento", "branqueamento", "branquear"),
    ("extracción", "extração", "exodoncia", "exodontia"),
    # (end of Spanish and Portuguese)
)

# Other dental services a clinic may lack, by their distinctive words in the six languages.
OTHER_DENTAL_SERVICES = """
ортодонтия ортодонт элайнеры элайнер капа каппа протез протезы протезирование мост мостик
вкладка вкладки винир люминиры пародонтолог кюретаж синуслифтинг синус лифтинг остеопластика
фторирование герметизация депульпирование пульпит нерв нервы шинирование
ортодонтія ортодонт елайнери капа протез протези протезування міст вкладка вкладки пародонтолог
фторування герметизація нерв нерви
orthodontics orthodontist aligners aligner invisalign retainer dentures denture bridge inlay
onlay bonding veneer sealant sealants fluoride periodontal graft sinus lift nightguard guard
ortodoncia ortodoncista alineadores protesis dentadura puente incrustacion fluor selladores
ferula injerto
ortodontia ortodontista alinhadores protese dentadura ponte incrustacao fluor selante
placa enxerto lente lentes
יישור קשתיות גשר תותבת תותבות שתלים ציפוי ציפויים שורש כתרים פלטות
למינציה למינציות למינייט חרסינה
nervio nervo contato
"""

GENERIC_SERVICE_WORDS: frozenset[str] = frozenset(
    """
    dental dentario dentaria odontologica odontologico professional profesional profissional
    tooth teeth dientes diente dente dentes muela dentist dentista treatment tratamiento
    зубной зубного зубную зубные зубних зубний
    tratamento зуб зуба зубов зубы зубів зуби стоматолог стоматолога стоматологический
    мудрости мудрості wisdom juicio siso בינה
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
